/** What a poll handler reports back to the scheduler. */
export interface PollResult {
  /** The entity reached a terminal state: stop polling it. */
  done: boolean;
  /** Something changed (resets the backoff). */
  changed: boolean;
  /** Poll again no later than this (e.g. the expiry, to record EXPIRED on time). */
  dueAt?: Date | undefined;
  /** Poll again no sooner than this many ms (an enroll processes for hours: no need to ask every 2 s). */
  minDelayMs?: number | undefined;
  /**
   * The upstream read failed (the handler caught it and carried on, e.g. to
   * record an expiry): the poll counts as an `error`, whatever else it did.
   */
  upstreamFailed?: boolean | undefined;
}

/** What the scheduler kept from the `watch` call, handed to every poll of that entity. */
export interface PollMeta {
  /** W3C traceparent of the span that asked for the watch (the creating mutation): poll spans link to it. */
  traceparent?: string | undefined;
}

export type PollHandler = (id: string, meta?: PollMeta) => Promise<PollResult>;

/**
 * Keeps exactly one poll series per open entity, however many subscribers or
 * callers ask for it. Adapters: in-process timers (`memory.ts`) and BullMQ job
 * schedulers (`bullmq.ts`, scale-out).
 */
export interface PollScheduler {
  register(kind: string, handler: PollHandler): void;
  /** Ensure `id` is polled; a no-op when it already is. `delayMs` = first poll delay. */
  watch(kind: string, id: string, opts?: { delayMs?: number | undefined; traceparent?: string | undefined }): Promise<void>;
  /** Number of entities watched by this instance. */
  watchedCount(kind?: string): number;
  /** Runs `handler` on a cron `pattern`, once per tick for the whole deployment. */
  cron(name: string, pattern: string, handler: () => Promise<void>): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Jobs by state, for `/metrics` (BullMQ: Redis job counts; in-process: timers). */
  jobCounts?(): Promise<Record<string, number>>;
  /** Whether new polls can be registered now, answered within `timeoutMs` (absent = always). */
  available?(timeoutMs: number): Promise<boolean>;
}

/** A scheduler that forwards everything to `inner`: the base of the decorating wrappers. */
export function forwardScheduler(inner: PollScheduler): PollScheduler {
  return {
    register: (kind, handler) => inner.register(kind, handler),
    watch: (kind, id, opts) => inner.watch(kind, id, opts),
    watchedCount: (kind) => inner.watchedCount(kind),
    cron: (name, pattern, handler) => inner.cron(name, pattern, handler),
    start: () => inner.start(),
    stop: () => inner.stop(),
    ...(inner.jobCounts ? { jobCounts: inner.jobCounts.bind(inner) } : {}),
    ...(inner.available ? { available: inner.available.bind(inner) } : {}),
  };
}
