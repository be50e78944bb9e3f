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
}

export type PollHandler = (id: string) => Promise<PollResult>;

/**
 * Keeps exactly one poll series per open entity, however many subscribers or
 * callers ask for it. Adapters: in-process timers (`memory.ts`) and BullMQ job
 * schedulers (`bullmq.ts`, scale-out).
 */
export interface PollScheduler {
  register(kind: string, handler: PollHandler): void;
  /** Ensure `id` is polled; a no-op when it already is. `delayMs` = first poll delay. */
  watch(kind: string, id: string, opts?: { delayMs?: number | undefined }): Promise<void>;
  /** Number of entities watched by this instance. */
  watchedCount(kind?: string): number;
  /** Runs `handler` on a cron `pattern`, once per tick for the whole deployment. */
  cron(name: string, pattern: string, handler: () => Promise<void>): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Whether new polls can be registered now, answered within `timeoutMs` (absent = always). */
  available?(timeoutMs: number): Promise<boolean>;
}
