import { Kind, createSourceEventStream, execute, getOperationAST, subscribe as graphqlSubscribe, type ExecutionArgs, type ExecutionResult, type FormattedExecutionResult } from 'graphql';
import type { Logger } from 'pino';
import { WebSocket } from 'ws';
import { isBusSubscription, specMatches, type EventBus, type SubscriptionSpec } from '../events/bus';
import type { StoredEvent, Store } from '../store/store';
import type { Context } from '../../resolvers/context';
import { SocketQueue } from './socket-queue';

export { TOO_SLOW_CLOSE_CODE } from './socket-queue';

export interface FanoutOptions {
  bus: EventBus;
  store: Store;
  /** Bounds of each socket's send queue (entries, bytes): past them the socket is told where to resume and closed. */
  maxMessages: number;
  maxBytes: number;
  /** Error masking, applied once per group and event. */
  format: (r: ExecutionResult) => FormattedExecutionResult;
  logger?: Logger | undefined;
}

const REPLAY_PAGE = 500;
const YIELD_EVERY = 16;
/** Rendered payloads kept per group, so replays that run together share executions too. */
const RECENT_PER_GROUP = 256;

interface Operation {
  socket: WebSocket;
  id: string;
  /** The document as the client sent it: the cheapest exact identity of "the same document". */
  query: string;
}

/**
 * One subscription (one graphql-ws operation id on one socket), and the async
 * iterator graphql-ws consumes for it: nothing is ever yielded. Payloads go
 * straight to the socket as graphql-ws `next` frames (same protocol, bytes
 * rendered once per group); the iterator only tells graphql-ws when the
 * operation is over, and its `return()` (client `complete`, socket closed)
 * ends it at once. The protocol is implemented by methods (not closures per
 * subscription: ~800 B each, measured) — only what graphql-ws uses.
 */
class Member implements AsyncIterator<ExecutionResult> {
  lastSent: number;
  catchingUp: boolean;
  /** Live payloads that arrived during catch-up (bounded; on overflow the log is read again). */
  buffer: { seq: number; payload: Buffer }[] = [];
  dropped = false;
  done = false;
  readonly prefix: Buffer;
  private waiting: ((r: IteratorResult<ExecutionResult>) => void) | null = null;

  constructor(
    readonly id: string,
    readonly group: Group,
    readonly queue: SocketQueue<Member>,
    afterSeq: number | null,
  ) {
    this.lastSent = afterSeq ?? 0;
    this.catchingUp = afterSeq !== null;
    this.prefix = Buffer.from(`{"id":${JSON.stringify(id)},"type":"next","payload":`);
  }

  /** Leaves the group and the socket; graphql-ws sees the operation end. */
  end(): void {
    if (this.done) return;
    this.done = true;
    this.buffer = [];
    this.group.leave(this);
    this.queue.members.delete(this);
    const w = this.waiting;
    this.waiting = null;
    w?.({ value: undefined, done: true });
  }

  next(): Promise<IteratorResult<ExecutionResult>> {
    return this.done ? Promise.resolve({ value: undefined, done: true }) : new Promise<IteratorResult<ExecutionResult>>((r) => (this.waiting = r));
  }

  return(): Promise<IteratorResult<ExecutionResult>> {
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(err: unknown): Promise<IteratorResult<ExecutionResult>> {
    this.end();
    return Promise.reject(err);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** As graphql-ws's `subscribe` result (the cast: `AsyncGenerator`'s type also wants `Symbol.asyncDispose` where the disposable lib is loaded). */
  iterator(): AsyncGenerator<ExecutionResult> {
    return this as unknown as AsyncGenerator<ExecutionResult>;
  }
}

/** Subscribers that would get identical bytes for every event: one execution and one serialization per event. */
class Group {
  readonly members = new Set<Member>();
  private readonly recent = new Map<number, Promise<Buffer>>();

  constructor(
    readonly key: string,
    readonly spec: SubscriptionSpec,
    private readonly args: ExecutionArgs,
    private readonly fanout: Fanout,
  ) {}

  matches(e: StoredEvent): boolean {
    return specMatches(this.spec, e);
  }

  /** The event's payload for this group, executed and serialized once (memoized for replays running alongside). */
  render(e: StoredEvent): Promise<Buffer> {
    let p = this.recent.get(e.seq);
    if (p) return p;
    p = (async () => {
      const result = await execute({ ...this.args, rootValue: e });
      return Buffer.from(JSON.stringify(this.fanout.opts.format(result)));
    })();
    this.recent.set(e.seq, p);
    if (this.recent.size > RECENT_PER_GROUP) this.recent.delete(this.recent.keys().next().value as number);
    return p;
  }

  deliver(seq: number, payload: Buffer): void {
    const limit = this.fanout.opts.maxMessages;
    for (const m of this.members) {
      if (m.catchingUp) {
        m.buffer.push({ seq, payload });
        if (m.buffer.length > limit) {
          // All of it is in the log: drop it and let the catch-up read on.
          m.buffer = [];
          m.dropped = true;
        }
      } else if (seq > m.lastSent) {
        m.queue.offer(m, seq, payload);
      }
    }
  }

  leave(m: Member): void {
    this.members.delete(m);
    if (this.members.size === 0) this.fanout.dropGroup(this);
  }
}

/**
 * Shared execution for graphql-ws subscriptions over the event bus.
 *
 * Subscribers whose document, operation name, variables (but `afterSeq`),
 * role (masking, field auth) and station scope are equal form a group. One
 * bus listener takes every dispatched event in seq order; for each, the
 * groups it matches (filters stay exact: the resolver's own filter) execute
 * it once and serialize it once, and the same payload bytes go to every
 * socket of the group — after every group has rendered it, so each socket
 * receives events in seq order across its subscriptions (one cursor per
 * socket is enough to resume).
 *
 * A subscriber with `afterSeq` joins its group first (buffering live
 * payloads), replays the log after it — paced by its socket's queue — then
 * drains the buffer skipping what the replay sent: the DESIGN's gap-free
 * replay, and afterwards it receives exactly what live-only members receive.
 */
export class Fanout {
  private readonly groups = new Map<string, Group>();
  private readonly sockets = new Map<WebSocket, SocketQueue<Member>>();
  private readonly operations = new WeakMap<object, Operation>();
  private pipeline: StoredEvent[] = [];
  private head = 0;
  private running = false;
  private readonly unlisten: () => void;
  members = 0;

  constructor(readonly opts: FanoutOptions) {
    this.unlisten = opts.bus.listen({
      matches: () => this.groups.size > 0,
      push: (e) => this.enqueue(e),
      depth: () => 0,
      // Erasure (privacy): events not yet rendered are swapped for their pseudonymised version.
      buffered: () => this.pipeline.slice(this.head),
      refresh: (fresh) => {
        this.pipeline = this.pipeline.map((e, i) => (i >= this.head ? (fresh.get(e.seq) ?? e) : e));
      },
      stats: () => this.stats(),
    });
  }

  private readonly socketClosed = (() => {
    const sockets = this.sockets;
    return function (this: WebSocket): void {
      const q = sockets.get(this);
      sockets.delete(this);
      q?.wake();
    };
  })();

  get logger(): Logger | undefined {
    return this.opts.logger;
  }

  stop(): void {
    this.unlisten();
  }

  /** ws.ts registers each operation's transport facts under its context value (graphql-ws hands `subscribe` only the execution args). */
  register(contextValue: object, op: Operation): void {
    this.operations.set(contextValue, op);
  }

  /** Drop-in for graphql-js `subscribe` in graphql-ws's `useServer`. */
  readonly subscribe = async (args: ExecutionArgs): Promise<AsyncGenerator<ExecutionResult> | ExecutionResult> => {
    const op = args.contextValue ? this.operations.get(args.contextValue as object) : undefined;
    if (!op) return graphqlSubscribe(args);
    // The resolver's own `subscribe` runs (auth, argument checks, its filter); we keep its spec, not its iterator.
    const source = await createSourceEventStream(args);
    if (!(Symbol.asyncIterator in source)) return source;
    if (!isBusSubscription(source)) {
      await (source as AsyncIterableIterator<unknown>).return?.();
      return graphqlSubscribe(args);
    }
    await source.return?.();
    if (op.socket.readyState !== WebSocket.OPEN) return { data: null };

    const key = groupKey(args, op.query);
    let group = this.groups.get(key);
    if (!group) {
      // Its own copy: the group executes with the first member's context for as long as it lives.
      group = new Group(key, source.spec, { ...args }, this);
      this.groups.set(key, group);
    }
    // graphql-ws keeps these execution args (our `onSubscribe` result) in its per-operation frame for the
    // operation's life, and never uses them again once this returns an iterator that yields nothing. A member
    // never executes (its group does): dropping the per-operation context (ten DataLoaders, ~5.5 KB per
    // subscription in heap snapshots) keeps an idle subscriber cheap.
    args.contextValue = undefined;
    args.variableValues = undefined;
    let queue = this.sockets.get(op.socket);
    if (!queue) {
      const q = new SocketQueue<Member>(op.socket, this);
      queue = q;
      this.sockets.set(op.socket, q);
      // One shared listener (not a closure + `once` wrapper per socket): `this` is the socket.
      op.socket.on('close', this.socketClosed);
    }
    const m = new Member(op.id, group, queue, source.spec.afterSeq);
    group.members.add(m);
    queue.members.add(m);
    if (m.catchingUp) void this.catchUp(m);
    return m.iterator();
  };

  /** Members per group (tests, diagnostics): how much execution is shared. */
  groupSizes(): number[] {
    return [...this.groups.values()].map((g) => g.members.size).sort((a, b) => a - b);
  }

  dropGroup(g: Group): void {
    if (this.groups.get(g.key) === g) this.groups.delete(g.key);
  }

  private stats(): { subscriptions: number; max: number; total: number } {
    let subscriptions = 0;
    for (const g of this.groups.values()) subscriptions += g.members.size;
    // Queued = frames waiting in a socket's buffer (per socket, the bounded queue).
    let max = 0;
    let total = 0;
    for (const q of this.sockets.values()) {
      total += q.pending;
      if (q.pending > max) max = q.pending;
    }
    return { subscriptions, max, total };
  }

  private enqueue(e: StoredEvent): void {
    this.pipeline.push(e);
    if (!this.running) void this.run();
  }

  /** Events in seq order; for each, every matching group renders, then every group delivers. */
  private async run(): Promise<void> {
    this.running = true;
    try {
      let sinceYield = 0;
      while (this.head < this.pipeline.length) {
        // A burst (a 500-row log page) must not hold the loop: sockets drain and clients' messages
        // are read between slices, so a reader that keeps up is never mistaken for a slow one.
        if (++sinceYield === YIELD_EVERY) {
          sinceYield = 0;
          await new Promise<void>((r) => setImmediate(r));
        }
        const e = this.pipeline[this.head++]!;
        const groups: Group[] = [];
        for (const g of this.groups.values()) if (g.matches(e)) groups.push(g);
        if (!groups.length) continue;
        const rendered = await Promise.all(
          groups.map((g) =>
            g.render(e).catch((err: unknown) => {
              this.opts.logger?.error({ err, seq: e.seq }, 'subscription payload failed to render');
              return null;
            }),
          ),
        );
        groups.forEach((g, i) => {
          const payload = rendered[i];
          if (payload) g.deliver(e.seq, payload);
        });
      }
      this.pipeline = [];
      this.head = 0;
    } finally {
      this.running = false;
    }
  }

  /** Replay from the log after the member's afterSeq, paced by its socket, then go live without gap or duplicate. */
  private async catchUp(m: Member): Promise<void> {
    const g = m.group;
    let cursor = m.lastSent;
    try {
      for (;;) {
        m.dropped = false;
        const rows = await this.opts.store.eventsMatching(g.spec.filter, cursor, REPLAY_PAGE);
        for (const e of rows) {
          cursor = e.seq;
          if (m.done) return;
          if (e.seq <= m.lastSent || !g.matches(e)) continue;
          const payload = await g.render(e);
          await m.queue.room();
          if (!m.queue.offer(m, e.seq, payload)) return;
        }
        if (rows.length < REPLAY_PAGE && !m.dropped) break;
      }
      const buffered = m.buffer;
      m.buffer = [];
      m.catchingUp = false;
      for (const b of buffered) if (b.seq > m.lastSent && !m.queue.offer(m, b.seq, b.payload)) return;
    } catch (err) {
      this.opts.logger?.error({ err }, 'subscription replay failed; closing the socket so the client resumes');
      m.queue.socket.close(1011, 'Replay failed; resume with afterSeq');
      m.end();
    }
  }
}

/**
 * Equal keys ⇒ equal bytes for every event: the document text, operation
 * name, variables except the one bound to the root field's `afterSeq` (it only
 * chooses where replay starts), the role (CPF masking, field authorization)
 * and the station scope.
 */
function groupKey(args: ExecutionArgs, query: string): string {
  const op = getOperationAST(args.document, args.operationName);
  const root = op?.selectionSet.selections[0];
  let skip: string | null = null;
  if (root?.kind === Kind.FIELD) {
    const a = root.arguments?.find((x) => x.name.value === 'afterSeq');
    if (a?.value.kind === Kind.VARIABLE) skip = a.value.name.value;
  }
  const vars = Object.entries(args.variableValues ?? {})
    .filter(([k]) => k !== skip)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const user = (args.contextValue as Context).user;
  const stations = user?.stations ? [...user.stations].sort() : null;
  return JSON.stringify([query, args.operationName ?? null, vars, user?.role ?? null, stations]);
}
