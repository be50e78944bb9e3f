import { DelayedError, Queue, Worker, type Job } from 'bullmq';
import type { Logger } from 'pino';
import { delayAfterPoll, type BackoffPolicy } from './backoff';
import type { PollHandler, PollResult, PollScheduler } from './scheduler';
import { withTimeout } from '../util/timeout';
import { LIVE_STATES, ensureJobs, jobIdFor, parseJobId, releaseOrphans } from './bullmq-jobs';

/*
 * Why not one BullMQ *job scheduler* per entity
 * ---------------------------------------------
 * With job schedulers (`upsertJobScheduler(id, { every })`), BullMQ creates the
 * next iteration's delayed job at the moment the current one is moved to
 * *active* (Worker.nextJobFromJobData → updateJobScheduler), not when it
 * completes. So:
 *   - a poll slower than the interval overlaps the next one on another
 *     instance (two concurrent polls of one entity);
 *   - a stalled poll (instance killed) is retried by stalled recovery AND the
 *     next iteration already exists: the entity ends up polled twice;
 *   - changing `every` for backoff from inside the processor races with the
 *     iteration already created, and `every` slots are aligned to the
 *     scheduler's start, not to the end of the previous poll.
 * The de-duplicated "re-add on completion" variant has a gap instead: the
 * deduplication key is held until the active job completes, so the next job
 * can only be added after completion, non-atomically (a crash in between
 * loses the entity until the next boot `resume`).
 *
 * What this adapter does instead: ONE long-lived job per entity, with a
 * deterministic jobId derived from `${kind}:${id}` (so `watch` from any number
 * of instances is a no-op when the job exists, in any state). The worker runs
 * the handler and then *moves the same job back to delayed*
 * (`job.moveToDelayed(now + delay, token)` + `throw new DelayedError()`,
 * BullMQ's documented "step job" pattern): active → delayed is one Lua script,
 * so there is always exactly one job per entity, never two in flight, and no
 * window where it is lost. The previous delay lives in the job data
 * (`prevMs`), so whichever instance takes the next poll continues the backoff.
 * `done` → the processor returns and the job completes (removeOnComplete, so
 * the id can be watched again later). An instance dying mid-poll leaves the
 * job active without a lock: BullMQ stalled-job recovery moves it back to
 * wait after `lockDurationMs` (+ up to two `stalledIntervalMs` checks) and
 * another instance polls it.
 *
 * Timing caveat: a delayed job becomes due through Redis's blocking-command
 * timeout (BZPOPMIN on the queue marker), which Redis resolves at its `hz`
 * tick (10/s by default), so a poll can run up to ~100 ms late. Irrelevant for
 * intervals of seconds.
 *
 * Job schedulers ARE used for `cron` (one scheduler per name, cluster-wide):
 * there every tick is one job with id `repeat:<name>:<millis>`, so each tick
 * runs once whatever the number of instances.
 */

const POLL_JOB = 'poll';
const CRON_JOB = 'cron';
/** How often the local `watchedCount` bookkeeping drops entities finished on other instances. */
const RECONCILE_MS = 60_000;
/** `watch` gives up after this (the entity is stored; the reconciler retries). */
const WATCH_TIMEOUT_MS = 1000;

interface PollJobData {
  kind: string;
  id: string;
  /** Delay used before this poll (null before the first poll): the backoff state. */
  prevMs: number | null;
  /** W3C traceparent of the span that watched the entity (see PollMeta). */
  traceparent?: string | undefined;
}

interface CronJobData {
  name: string;
}

export interface BullMqPollSchedulerOptions {
  /** Redis URL. */
  redisUrl: string;
  policy: BackoffPolicy;
  /** Key prefix, so tests and deployments do not collide. @default 'idgw' */
  prefix?: string;
  /** Queue name. @default 'polls' */
  queueName?: string;
  /** BullMQ lock duration: a job held longer by a dead instance is considered stalled. @default 30000 */
  lockDurationMs?: number;
  /** How often stalled jobs are checked. @default 30000 */
  stalledIntervalMs?: number;
  /** Worker concurrency per instance. @default 10 */
  concurrency?: number;
  logger?: Logger;
  /** Called for every job this instance finds stalled: by its worker's stalled check or by a reconciler pass (metrics). @default undefined */
  onStalled?: (jobId: string) => void;
}

/**
 * Scale-out poll scheduler: N gateway instances share one BullMQ queue in
 * Redis; each open entity is polled once per interval cluster-wide (see the
 * note at the top of this file for how).
 */
export class BullMqPollScheduler implements PollScheduler {
  private readonly handlers = new Map<string, PollHandler>();
  private readonly crons = new Map<string, () => Promise<void>>();
  private readonly cronPatterns = new Map<string, string>();
  /** `${kind}:${id}` of entities watched through this instance and not seen finished. */
  private readonly local = new Set<string>();
  private readonly policy: BackoffPolicy;
  private readonly prefix: string;
  private readonly queueName: string;
  private readonly lockDurationMs: number;
  private readonly stalledIntervalMs: number;
  private readonly concurrency: number;
  private readonly logger: Logger | undefined;
  private queue: Queue | null = null;
  private worker: Worker | null = null;
  private reconcileTimer: NodeJS.Timeout | null = null;
  /** Job ids this instance's processor is running now. */
  private readonly inFlight = new Set<string>();

  constructor(private readonly opts: BullMqPollSchedulerOptions) {
    this.policy = opts.policy;
    this.prefix = opts.prefix ?? 'idgw';
    this.queueName = opts.queueName ?? 'polls';
    this.lockDurationMs = opts.lockDurationMs ?? 30_000;
    this.stalledIntervalMs = opts.stalledIntervalMs ?? 30_000;
    this.concurrency = opts.concurrency ?? 10;
    this.logger = opts.logger;
  }

  register(kind: string, handler: PollHandler): void {
    this.handlers.set(kind, handler);
  }

  async start(): Promise<void> {
    if (this.queue) return;
    const queue = new Queue(this.queueName, {
      prefix: this.prefix,
      // Fail fast while Redis is away (BullMQ's advice for producers): a
      // mutation gets QUEUE_UNAVAILABLE, the reconciler registers the rest later.
      connection: { url: this.opts.redisUrl, enableOfflineQueue: false },
    });
    // Connection errors repeat every reconnect attempt while Redis is away: message and code only.
    queue.on('error', (err) => this.logger?.warn({ err: err.message, code: (err as { code?: unknown }).code }, 'bullmq queue error'));
    this.queue = queue;
    const worker = new Worker(this.queueName, (job, token) => this.process(job, token), {
      prefix: this.prefix,
      // Blocking connection: ioredis must retry forever rather than fail the blocking command.
      connection: { url: this.opts.redisUrl, maxRetriesPerRequest: null },
      concurrency: this.concurrency,
      lockDuration: this.lockDurationMs,
      stalledInterval: this.stalledIntervalMs,
      // A poll job lives as long as its entity (days) and BullMQ never resets the
      // per-job stall counter, so the default (1) would fail an entity for good
      // after its second instance crash. A stall here is an instance dying.
      maxStalledCount: 1_000_000,
    });
    worker.on('error', (err) => this.logger?.warn({ err: err.message, code: (err as { code?: unknown }).code }, 'bullmq worker error'));
    worker.on('stalled', (jobId) => this.opts.onStalled?.(jobId));
    worker.on('failed', (job, err) =>
      this.logger?.warn({ err, jobId: job?.id, name: job?.name, attempts: job?.attemptsMade }, 'bullmq job failed'),
    );
    this.worker = worker;
    await Promise.all([queue.waitUntilReady(), worker.waitUntilReady()]);
    this.reconcileTimer = setInterval(() => void this.reconcile(), RECONCILE_MS);
    this.reconcileTimer.unref();
  }

  /**
   * Shutdown, first half: this instance takes no more polls or cron ticks and waits for its running
   * ones; the queue stays open, so a request still draining can register its entity's poll job.
   */
  async stopWorker(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    await worker?.close();
  }

  /** Graceful: waits for the polls running on this instance, then closes the connections. */
  async stop(): Promise<void> {
    if (this.reconcileTimer) clearInterval(this.reconcileTimer);
    this.reconcileTimer = null;
    const { worker, queue } = this;
    this.worker = null;
    this.queue = null;
    await worker?.close();
    await queue?.close();
    this.local.clear();
  }

  /**
   * Ensures `kind:id` is polled somewhere in the cluster. Idempotent
   * cluster-wide: the jobId is deterministic and BullMQ ignores an add whose
   * id exists (whatever its state; `delayMs` then does not apply).
   */
  async watch(kind: string, id: string, opts: { delayMs?: number | undefined; traceparent?: string | undefined } = {}): Promise<void> {
    // Never throws and never waits long: the entity is already in the store, and
    // a registration lost to a Redis outage is redone by the reconciler.
    try {
      await withTimeout(this.add(kind, id, opts.delayMs ?? this.policy.intervalMs, opts.traceparent), WATCH_TIMEOUT_MS, 'poll job registration');
      this.local.add(`${kind}:${id}`);
    } catch (err) {
      this.logger?.warn({ err: err instanceof Error ? err.message : String(err), kind, id }, 'poll job not registered; the reconciler will');
    }
  }

  private async add(kind: string, id: string, delayMs: number, traceparent?: string): Promise<void> {
    const queue = this.queue;
    if (!queue) return;
    const data: PollJobData = { kind, id, prevMs: null, ...(traceparent ? { traceparent } : {}) };
    await queue.add(POLL_JOB, data, {
      jobId: jobIdFor(kind, id),
      delay: Math.max(0, delayMs),
      // Completed = done: free the id so the entity can be watched again.
      removeOnComplete: true,
      removeOnFail: true,
      // Failures are only "no handler for this kind on the instance that took
      // it" (handler errors are caught): retry forever, at the base interval.
      attempts: Number.MAX_SAFE_INTEGER,
      backoff: { type: 'fixed', delay: this.policy.intervalMs },
    });
  }

  /** Entities watched through this instance and not yet seen finished (local knowledge). */
  watchedCount(kind?: string): number {
    if (!kind) return this.local.size;
    let n = 0;
    for (const k of this.local) if (k.startsWith(`${kind}:`)) n++;
    return n;
  }

  /** Entities polled cluster-wide (reads the queue: job ids only). */
  async clusterWatchedCount(kind?: string): Promise<number> {
    const ids = await this.liveJobIds();
    let n = 0;
    for (const jobId of ids) {
      const p = parseJobId(jobId);
      if (p && (kind === undefined || p.kind === kind)) n++;
    }
    return n;
  }

  /**
   * A cluster-wide cron job: one BullMQ job scheduler per `name` (upserting it
   * from every instance is idempotent), each tick run once by whichever
   * instance takes it. The handler must be registered on every instance
   * (a tick taken by an instance without it fails and is retried twice).
   */
  async cron(name: string, pattern: string, handler: () => Promise<void>): Promise<void> {
    const queue = this.queue;
    if (!queue) throw new Error('BullMqPollScheduler.cron() called before start()');
    this.crons.set(name, handler);
    this.cronPatterns.set(name, pattern);
    await this.upsertCron(queue, name, pattern);
  }

  private async upsertCron(queue: Queue, name: string, pattern: string): Promise<void> {
    const data: CronJobData = { name };
    await queue.upsertJobScheduler(
      name,
      { pattern },
      {
        name: CRON_JOB,
        data,
        opts: { removeOnComplete: true, removeOnFail: 100, attempts: 3, backoff: { type: 'fixed', delay: 1000 } },
      },
    );
  }

  /** Jobs by state in the shared queue (cluster-wide, not only this instance's). */
  async jobCounts(): Promise<Record<string, number>> {
    const queue = this.queue;
    if (!queue) return {};
    return queue.getJobCounts('wait', 'active', 'delayed', 'prioritized', 'failed');
  }

  /** Redis round trip through the queue's client, for /readyz. */
  async health(): Promise<boolean> {
    const queue = this.queue;
    if (!queue) return false;
    try {
      const client = await withTimeout(queue.getBackend().client, 2000);
      // BullMQ 6's client abstraction has no PING; any round trip will do.
      await withTimeout(client.get(queue.toKey('health')), 2000);
      return true;
    } catch {
      return false;
    }
  }

  /** Redis answers through the queue's client within `timeoutMs` (the mutations' pre-check). */
  async available(timeoutMs: number): Promise<boolean> {
    const queue = this.queue;
    if (!queue) return false;
    try {
      const client = await withTimeout(queue.getBackend().client, timeoutMs);
      await withTimeout(client.get(queue.toKey('health')), timeoutMs);
      return true;
    } catch {
      return false;
    }
  }

  /** Reconciler pass, poll jobs (see `ensureJobs`). */
  async ensureWatched(kind: string, ids: readonly string[]): Promise<number> {
    if (!this.queue) return 0;
    return ensureJobs(
      this.queue,
      kind,
      ids,
      async (k, id) => {
        await this.add(k, id, 0);
        this.local.add(`${k}:${id}`);
      },
      this.opts.onStalled,
    );
  }

  /** After Redis returns from a snapshot (see `releaseOrphans`). */
  async releaseOwnOrphans(): Promise<number> {
    if (!this.queue || !this.worker) return 0;
    return releaseOrphans(this.queue, this.worker.id, this.inFlight);
  }

  /** Reconciler pass, cron jobs: re-creates a job scheduler Redis lost. Returns how many. */
  async ensureCrons(): Promise<number> {
    const queue = this.queue;
    if (!queue) return 0;
    let fixed = 0;
    for (const [name, pattern] of this.cronPatterns) {
      if (await queue.getJobScheduler(name)) continue;
      await this.upsertCron(queue, name, pattern);
      fixed++;
    }
    return fixed;
  }

  private async process(job: Job, token: string | undefined): Promise<unknown> {
    if (job.name === CRON_JOB) return this.runCron(job.data as CronJobData);
    if (job.name !== POLL_JOB) throw new Error(`unknown job ${job.name}`);
    const data = job.data as PollJobData;
    if (job.id) this.inFlight.add(job.id);
    try {
      return await this.poll(job, data, token);
    } finally {
      if (job.id) this.inFlight.delete(job.id);
    }
  }

  private async poll(job: Job, data: PollJobData, token: string | undefined): Promise<unknown> {
    const handler = this.handlers.get(data.kind);
    // Not lost: the job fails, is retried (attempts ∞, fixed backoff) and
    // eventually taken by an instance that has the handler.
    if (!handler) throw new Error(`no poll handler for kind "${data.kind}" on this instance`);

    let result: PollResult;
    try {
      result = await handler(data.id, { traceparent: data.traceparent });
    } catch (err) {
      // The handler records nothing on failure; keep polling with backoff (= no change).
      this.logger?.warn({ err, kind: data.kind, id: data.id }, 'poll failed; backing off');
      result = { done: false, changed: false };
    }
    const key = `${data.kind}:${data.id}`;
    if (result.done) {
      this.local.delete(key);
      return { done: true };
    }
    const { backoffMs, waitMs } = delayAfterPoll(this.policy, data.prevMs, result);
    if (backoffMs !== data.prevMs) await job.updateData({ ...data, prevMs: backoffMs });
    // Atomic active → delayed of this same job (checks our lock token): the
    // next poll is due `waitMs` after this one ended, whichever instance runs it.
    await job.moveToDelayed(Date.now() + waitMs, token);
    throw new DelayedError();
  }

  private async runCron(data: CronJobData): Promise<void> {
    const handler = this.crons.get(data.name);
    if (!handler) throw new Error(`no cron handler "${data.name}" on this instance`);
    await handler();
  }

  private async liveJobIds(): Promise<string[]> {
    const queue = this.queue;
    if (!queue) return [];
    return queue.getRanges(LIVE_STATES, 0, -1);
  }

  /** Drops local entries whose job is gone (finished on another instance). */
  private async reconcile(): Promise<void> {
    if (!this.local.size) return;
    // Only entries known before the read: one watched meanwhile is live but may be missing from it.
    const snapshot = [...this.local];
    try {
      const live = new Set<string>();
      for (const jobId of await this.liveJobIds()) {
        const p = parseJobId(jobId);
        if (p) live.add(`${p.kind}:${p.id}`);
      }
      for (const k of snapshot) if (!live.has(k)) this.local.delete(k);
    } catch (err) {
      this.logger?.debug({ err }, 'watchedCount reconcile failed');
    }
  }
}
