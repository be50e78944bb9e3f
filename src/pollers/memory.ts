import { Cron } from 'croner';
import type { Logger } from 'pino';
import { delayAfterPoll, type BackoffPolicy } from './backoff';
import type { PollHandler, PollMeta, PollScheduler } from './scheduler';

interface Entry {
  timer: NodeJS.Timeout | null;
  running: boolean;
  delayMs: number | null;
  meta: PollMeta;
}

/**
 * In-process scheduler for the embedded mode: one timer per open entity. It
 * keeps nothing on disk — the store is the truth, and `resume` at boot
 * re-watches every open entity it finds there.
 */
export class MemoryPollScheduler implements PollScheduler {
  private readonly handlers = new Map<string, PollHandler>();
  private readonly entries = new Map<string, Entry>();
  private stopped = true;
  private stopping: Promise<void> | null = null;
  private readonly crons: Cron[] = [];
  /** Polls and cron ticks running now: `stop()` waits for them, so none writes to a closed store. */
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly policy: BackoffPolicy,
    private readonly logger?: Logger,
  ) {}

  register(kind: string, handler: PollHandler): void {
    this.handlers.set(kind, handler);
  }

  async start(): Promise<void> {
    this.stopped = false;
    this.stopping = null;
  }

  /** No poll or cron tick starts after this is called; resolves when the running ones have finished. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.stopped = true;
      for (const c of this.crons.splice(0)) c.stop();
      for (const e of this.entries.values()) if (e.timer) clearTimeout(e.timer);
      this.entries.clear();
      await Promise.allSettled([...this.inFlight]);
    })();
    return this.stopping;
  }

  /** Polls and cron ticks running right now. */
  get running(): number {
    return this.inFlight.size;
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p)).catch(() => undefined);
    return p;
  }

  watchedCount(kind?: string): number {
    if (!kind) return this.entries.size;
    let n = 0;
    for (const k of this.entries.keys()) if (k.startsWith(`${kind}:`)) n++;
    return n;
  }

  async cron(name: string, pattern: string, handler: () => Promise<void>): Promise<void> {
    // protect: a tick that is still running when the next one comes is skipped, not stacked.
    this.crons.push(
      new Cron(pattern, { protect: true }, async () => {
        if (this.stopped) return;
        try {
          await this.track(handler());
        } catch (err) {
          this.logger?.error({ err, job: name }, 'scheduled job failed');
        }
      }),
    );
  }

  async jobCounts(): Promise<Record<string, number>> {
    let running = 0;
    for (const e of this.entries.values()) if (e.running) running++;
    return { scheduled: this.entries.size - running, running };
  }

  async watch(kind: string, id: string, opts: { delayMs?: number | undefined; traceparent?: string | undefined } = {}): Promise<void> {
    if (this.stopped) return;
    const key = `${kind}:${id}`;
    if (this.entries.has(key)) return;
    const entry: Entry = { timer: null, running: false, delayMs: null, meta: { traceparent: opts.traceparent } };
    this.entries.set(key, entry);
    this.arm(kind, id, key, entry, opts.delayMs ?? this.policy.intervalMs);
  }

  /** Reconciler pass: watches whatever is open and not watched (nothing, unless a watch was skipped). */
  async ensureWatched(kind: string, ids: readonly string[]): Promise<number> {
    let added = 0;
    for (const id of ids) {
      if (this.stopped || this.entries.has(`${kind}:${id}`)) continue;
      await this.watch(kind, id);
      added++;
    }
    return added;
  }

  /** Crons live in this process: nothing can lose them. */
  async ensureCrons(): Promise<number> {
    return 0;
  }

  private arm(kind: string, id: string, key: string, entry: Entry, delayMs: number): void {
    entry.timer = setTimeout(() => void this.run(kind, id, key, entry), delayMs);
  }

  private async run(kind: string, id: string, key: string, entry: Entry): Promise<void> {
    entry.timer = null;
    const handler = this.handlers.get(kind);
    if (!handler || this.stopped || this.entries.get(key) !== entry) return;
    entry.running = true;
    let result;
    try {
      result = await this.track(handler(id, entry.meta));
    } catch (err) {
      // The handler records nothing on failure; keep polling with backoff.
      this.logger?.warn({ err, kind, id }, 'poll failed; backing off');
      result = { done: false, changed: false };
    } finally {
      entry.running = false;
    }
    if (this.stopped || this.entries.get(key) !== entry) return;
    if (result.done) {
      this.entries.delete(key);
      return;
    }
    const { backoffMs, waitMs } = delayAfterPoll(this.policy, entry.delayMs, result);
    entry.delayMs = backoffMs;
    this.arm(kind, id, key, entry, waitMs);
  }
}
