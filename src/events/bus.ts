import type { PubSub } from '@graphql-yoga/subscription';
import type { Logger } from 'pino';
import type { EventFilter, StoredEvent, Store } from '../store/store';

/** The wake-up channel: carries only "the log grew to seq N". In-process or Redis (see memory.ts / redis.ts). */
export type WakeupPubSub = PubSub<{ 'events:wakeup': [seq: number] }>;

export interface EventBusOptions {
  /**
   * Per-subscription queue size: a consumer further behind live is ended with
   * `SubscriberTooSlowError` (the last seq it was given, to resume after),
   * never grown. WebSocket subscribers are bounded per socket instead (see
   * src/server/fanout.ts). @default 1000
   */
  bufferLimit?: number;
  /**
   * Read the log this often even without a wake-up. Redis pub/sub is
   * at-most-once; this bounds how late a lost wake-up can make an event.
   * 0 = only on wake-ups (fine in-process, where wake-ups cannot be lost).
   * @default 0
   */
  safetyTailMs?: number;
  logger?: Logger;
  /** Called for every log row dispatched locally (metrics). */
  onDispatch?: (e: StoredEvent) => void;
}

export interface Listener {
  matches(e: StoredEvent): boolean;
  push(e: StoredEvent): void;
  /** Events waiting for this subscriber to consume them. */
  depth(): number;
  /** Events held but not yet emitted (live queue and replay page). */
  buffered(): StoredEvent[];
  /** Swap held events for their current version from the log (same seq). */
  refresh(fresh: ReadonlyMap<number, StoredEvent>): void;
  /** A listener that serves many subscriptions (the WebSocket fan-out) reports them for metrics. */
  stats?(): { subscriptions: number; max: number; total: number };
}

/** What a subscription asked for: enough for another component (the WebSocket fan-out) to serve it. */
export interface SubscriptionSpec {
  filter: EventFilter;
  afterSeq: number | null;
  extra?: ((e: StoredEvent) => boolean) | undefined;
}

/** The iterator `subscribe` returns, carrying its spec. */
export type BusSubscription = AsyncIterableIterator<StoredEvent> & { readonly spec: SubscriptionSpec };

export function isBusSubscription(x: unknown): x is BusSubscription {
  return typeof x === 'object' && x !== null && 'spec' in x && Symbol.asyncIterator in x;
}

/** Whether an event belongs to a subscription (one definition for replay, live and fan-out). */
export function specMatches(spec: Omit<SubscriptionSpec, 'afterSeq'>, e: StoredEvent): boolean {
  const f = spec.filter;
  const topicOk = typeof f.topic === 'string' ? e.topic === f.topic : f.topic.includes(e.topic);
  return topicOk && (!f.entityId || e.entityId === f.entityId) && (!f.cpf || e.cpf === f.cpf) && (!spec.extra || spec.extra(e));
}

/** A consumer fell more than `bufferLimit` events behind live; resume with `afterSeq: lastDeliveredSeq`. */
export class SubscriberTooSlowError extends Error {
  constructor(readonly lastDeliveredSeq: number) {
    super(`Subscriber too slow; resume with afterSeq ${lastDeliveredSeq}`);
    this.name = 'SubscriberTooSlowError';
  }
}

/** Marker the privacy job appends after rewriting entities' events (see `PrivacyService`). */
export const PSEUDONYMIZED_EVENT = 'PSEUDONYMIZED';

const TAIL_PAGE = 500;
const REPLAY_PAGE = 500;

/**
 * Local fan-out of the event log. Subscribers never receive a pub/sub message
 * directly: a wake-up makes this instance read the log once after the last
 * seq it has dispatched, and dispatch those rows in seq order to its local
 * subscribers. So the log is the only truth; pub/sub only says "look now", and
 * N subscribers cost one read per wake-up, not N.
 */
export class EventBus {
  private readonly listeners = new Set<Listener>();
  private lastSeq = 0;
  private tailing: Promise<void> | null = null;
  private tailAgain = false;
  private safetyTimer: NodeJS.Timeout | null = null;
  private wakeupLoop: AsyncIterator<number> | null = null;
  private readonly bufferLimit: number;
  /** Bumped on every pseudonymisation marker: a replay read that overlapped one is read again. */
  private erasures = 0;

  constructor(
    private readonly store: Store,
    private readonly wakeups: WakeupPubSub,
    private readonly opts: EventBusOptions = {},
  ) {
    this.bufferLimit = opts.bufferLimit ?? 1000;
  }

  async start(): Promise<void> {
    this.lastSeq = await this.store.latestSeq();
    // The store's row cache is kept exact by this tail: nothing it cached before the tail's start is covered.
    this.store.forgetCachedRows();
    const it = this.wakeups.subscribe('events:wakeup')[Symbol.asyncIterator]();
    this.wakeupLoop = it;
    void (async () => {
      for (;;) {
        const r = await it.next();
        if (r.done) return;
        this.tail();
      }
    })();
    if (this.opts.safetyTailMs) {
      this.safetyTimer = setInterval(() => this.tail(), this.opts.safetyTailMs);
      this.safetyTimer.unref();
    }
  }

  async stop(): Promise<void> {
    if (this.safetyTimer) clearInterval(this.safetyTimer);
    await this.wakeupLoop?.return?.();
    await this.tailing;
  }

  /** Called after a change committed: wake every instance (this one included). */
  async published(event: StoredEvent): Promise<void> {
    this.wakeups.publish('events:wakeup', event.seq);
  }

  /** Reads the log after the last dispatched seq; one read at a time, re-run if woken meanwhile. */
  tail(): Promise<void> {
    if (this.tailing) {
      this.tailAgain = true;
      return this.tailing;
    }
    this.tailing = (async () => {
      try {
        do {
          this.tailAgain = false;
          for (;;) {
            const rows = await this.store.eventsAfter(this.lastSeq, TAIL_PAGE);
            for (const e of rows) {
              this.lastSeq = e.seq;
              // Another instance's change (or ours again): drop the cached rows it touched.
              this.store.observeCommitted(e);
              this.opts.onDispatch?.(e);
              if (e.topic === 'privacy' && e.type === PSEUDONYMIZED_EVENT) await this.forgetErased(e);
              for (const l of this.listeners) if (l.matches(e)) l.push(e);
            }
            if (rows.length < TAIL_PAGE) break;
          }
        } while (this.tailAgain);
      } catch (err) {
        this.opts.logger?.error({ err }, 'event log tail failed; next wake-up retries');
      } finally {
        this.tailing = null;
      }
    })();
    return this.tailing;
  }

  /** The last seq dispatched to local subscribers (event-log lag = head − this). */
  get dispatchedSeq(): number {
    return this.lastSeq;
  }

  /** Queued events per subscription: the slowest one and the sum (metrics). */
  queueDepths(): { max: number; total: number } {
    let max = 0;
    let total = 0;
    for (const l of this.listeners) {
      if (l.stats) {
        const s = l.stats();
        total += s.total;
        if (s.max > max) max = s.max;
        continue;
      }
      const d = l.depth();
      total += d;
      if (d > max) max = d;
    }
    return { max, total };
  }

  /**
   * Erasure reached this instance (every instance reads the marker from the
   * log): events of the erased entities that subscriptions still hold —
   * queued for a slow client, or in a replay page read before the erasure —
   * are replaced by their pseudonymised version from the log, so no
   * subscriber receives the CPF after the erasure.
   */
  private async forgetErased(marker: StoredEvent): Promise<void> {
    this.erasures++;
    const ids = new Set(Array.isArray(marker.payload['entityIds']) ? (marker.payload['entityIds'] as unknown[]).map(String) : []);
    const seqs = new Set<number>();
    for (const l of this.listeners) for (const e of l.buffered()) if (ids.has(e.entityId)) seqs.add(e.seq);
    if (!seqs.size) return;
    const fresh = new Map((await this.store.eventsBySeqs([...seqs])).map((e) => [e.seq, e]));
    for (const l of this.listeners) l.refresh(fresh);
  }

  /** Number of live subscriptions on this instance (metrics, tests). */
  get subscriberCount(): number {
    let n = 0;
    for (const l of this.listeners) n += l.stats ? l.stats().subscriptions : 1;
    return n;
  }

  /** Every dispatched event, in seq order, for a component that does its own per-subscription work (the WebSocket fan-out). */
  listen(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * A subscription over the log. With `afterSeq`, it first catches up from
   * the log, page by page as the client consumes (memory stays bounded however
   * far behind it starts), then tails live — without a gap and without a
   * duplicate: the live listener is registered *before* the first log read,
   * and nothing at or below the last emitted seq is emitted again.
   */
  subscribe(
    filter: EventFilter,
    afterSeq: number | null | undefined,
    extra?: (e: StoredEvent) => boolean,
  ): BusSubscription {
    const spec: SubscriptionSpec = { filter, afterSeq: afterSeq ?? null, extra };
    const limit = this.bufferLimit;
    const store = this.store;
    const erasures = () => this.erasures;
    const queue: StoredEvent[] = [];
    let page: StoredEvent[] = [];
    let catchingUp = afterSeq != null;
    /** Live events were dropped during catch-up: the log still has them, so read it once more. */
    let droppedWhileCatchingUp = false;
    let lastEmitted = afterSeq ?? 0;
    let waiting: ((r: IteratorResult<StoredEvent>) => void) | null = null;
    let done = false;
    let tooSlow = false;

    const matches = (e: StoredEvent) => specMatches(spec, e);

    const listener: Listener = {
      matches,
      push: (e) => {
        if (done || e.seq <= lastEmitted) return;
        if (waiting && !catchingUp && queue.length === 0) {
          const w = waiting;
          waiting = null;
          lastEmitted = e.seq;
          w({ value: e, done: false });
          return;
        }
        queue.push(e);
        if (queue.length <= limit) return;
        if (catchingUp) {
          // Everything in the queue is committed, so the log will hand it over again.
          queue.length = 0;
          droppedWhileCatchingUp = true;
        } else {
          // Constant work, bounded memory: drop the queue and tell the consumer where to resume.
          queue.length = 0;
          tooSlow = true;
          this.listeners.delete(listener);
        }
      },
      depth: () => queue.length,
      buffered: () => [...queue, ...page],
      refresh: (fresh) => {
        const swap = (e: StoredEvent) => fresh.get(e.seq) ?? e;
        // A subscription filtered by the erased CPF no longer matches its events: drop them, do not hand it the pseudonym.
        queue.splice(0, queue.length, ...queue.map(swap).filter(matches));
        page = page.map(swap);
      },
    };
    this.listeners.add(listener);

    const finish = () => {
      done = true;
      this.listeners.delete(listener);
      queue.length = 0;
      page = [];
      if (waiting) {
        const w = waiting;
        waiting = null;
        w({ value: undefined, done: true });
      }
    };

    const emit = (e: StoredEvent): IteratorResult<StoredEvent> => {
      lastEmitted = e.seq;
      return { value: e, done: false };
    };

    const iterator: BusSubscription = {
      spec,
      next: async () => {
        if (tooSlow && !done) {
          finish();
          throw new SubscriberTooSlowError(lastEmitted);
        }
        while (!done) {
          while (page.length) {
            const e = page.shift()!;
            if (e.seq > lastEmitted && matches(e)) return emit(e);
          }
          if (catchingUp) {
            droppedWhileCatchingUp = false;
            const epoch = erasures();
            const rows = await store.eventsMatching(filter, lastEmitted, REPLAY_PAGE);
            // An erasure was dispatched while this page was read: it may predate it. Read again.
            if (epoch !== erasures()) continue;
            page = rows;
            if (rows.length < REPLAY_PAGE && !droppedWhileCatchingUp) catchingUp = false;
            continue;
          }
          while (queue.length) {
            const e = queue.shift()!;
            if (e.seq > lastEmitted) return emit(e);
          }
          return new Promise<IteratorResult<StoredEvent>>((resolve) => {
            waiting = resolve;
          });
        }
        return { value: undefined, done: true };
      },
      return: async () => {
        finish();
        return { value: undefined, done: true };
      },
      throw: async (err: unknown) => {
        finish();
        throw err;
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  }
}
