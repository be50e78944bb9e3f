import { Cron } from 'croner';
import type { Logger } from 'pino';
import { delayAfterPoll, type BackoffPolicy } from './backoff';
import type { PollHandler, PollScheduler } from './scheduler';

interface Entry {
  timer: NodeJS.Timeout | null;
  running: boolean;
  delayMs: number | null;
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
  private readonly crons: Cron[] = [];

  constructor(
    private readonly policy: BackoffPolicy,
    private readonly logger?: Logger,
  ) {}

  register(kind: string, handler: PollHandler): void {
    this.handlers.set(kind, handler);
  }

  async start(): Promise<void> {
    this.stopped = false;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const c of this.crons.splice(0)) c.stop();
    for (const e of this.entries.values()) if (e.timer) clearTimeout(e.timer);
    this.entries.clear();
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
        try {
          await handler();
        } catch (err) {
          this.logger?.error({ err, job: name }, 'scheduled job failed');
        }
      }),
    );
  }

  async watch(kind: string, id: string, opts: { delayMs?: number | undefined } = {}): Promise<void> {
    if (this.stopped) return;
    const key = `${kind}:${id}`;
    if (this.entries.has(key)) return;
    const entry: Entry = { timer: null, running: false, delayMs: null };
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
      result = await handler(id);
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
