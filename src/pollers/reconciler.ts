import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import { withTimeout } from '../util/timeout';

/** Where open entities come from (the store: the truth). */
export interface OpenEntitySource {
  kind: string;
  openIds(): Promise<string[]>;
}

/** What a scheduler offers the reconciler (both adapters implement it). */
export interface ReconcilableScheduler {
  ensureWatched(kind: string, ids: readonly string[]): Promise<number>;
  ensureCrons(): Promise<number>;
  /** This instance's own jobs left locked by a Redis restored from a snapshot (scale-out only). */
  releaseOwnOrphans?(): Promise<number>;
}

/**
 * Cluster-wide coordination of reconciler passes over Redis. Its own client
 * fails fast (no offline queue, no retries per command), so a tick during an
 * outage costs one failed round trip, not a wait.
 */
export class RedisCoordination {
  private readonly client: Redis;
  private readonly token = randomUUID();
  private readonly leaderKey: string;
  private readonly passKey: string;

  constructor(url: string, prefix: string, logger?: Logger) {
    // Loaded here, not at the top: the embedded default never loads ioredis (see `load` in src/app.ts).
    const { Redis: RedisClient } = require('ioredis') as typeof import('ioredis');
    this.client = new RedisClient(url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 1000 });
    this.client.on('error', (err: Error) => logger?.debug({ err: err.message }, 'reconciler redis error'));
    this.leaderKey = `${prefix}:reconciler:leader`;
    this.passKey = `${prefix}:reconciler:passes`;
  }

  /** `up` when the connection is (re)established, `down` when it is lost. */
  onChange(fn: (state: 'up' | 'down') => void): void {
    this.client.on('ready', () => fn('up'));
    this.client.on('close', () => fn('down'));
  }

  async healthy(): Promise<boolean> {
    if (this.client.status !== 'ready') return false;
    try {
      return (await withTimeout(this.client.ping(), 1000, 'redis ping')) === 'PONG';
    } catch {
      return false;
    }
  }

  /** One instance per tick: the key expires before the next tick, so leadership moves freely. */
  async tryLead(ttlMs: number): Promise<boolean> {
    return (await this.client.set(this.leaderKey, this.token, 'PX', ttlMs, 'NX')) === 'OK';
  }

  /** Gives the lead up (only if still ours). */
  async resign(): Promise<void> {
    await this.client.eval("if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0", 1, this.leaderKey, this.token);
  }

  /** Completed passes since Redis last lost its data (a missing key reads 0). */
  async passes(): Promise<number> {
    return Number((await this.client.get(this.passKey)) ?? 0);
  }

  async completePass(): Promise<void> {
    await this.client.incr(this.passKey);
  }

  async close(): Promise<void> {
    this.client.disconnect();
  }
}

export interface ReconcilerOptions {
  scheduler: ReconcilableScheduler;
  sources: OpenEntitySource[];
  /** @default 5000 (`RECONCILE_INTERVAL_MS`) */
  intervalMs: number;
  /** Scale-out: only one instance runs each pass. Absent (embedded): this process is the cluster. */
  coordination?: RedisCoordination | undefined;
  logger?: Logger | undefined;
}

/**
 * Nothing stranded: every `intervalMs` (and at once when Redis comes back)
 * one instance of the cluster makes sure every open entity in the store has
 * its poll job and every job scheduler exists. Redis can lose them all
 * (restart without persistence) or some (a registration that failed after
 * the row was committed); the store cannot.
 *
 * Readiness: not ready while Redis is unreachable, nor after it returns
 * until a pass — by any instance — completed after the return, so a load
 * balancer only sends traffic once every open flow is being polled again.
 */
export class Reconciler {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private redisUp = true;
  /** Pass count seen when Redis came back; ready once it grows. null = no pass owed. */
  private owedAfter: number | null = null;
  private orphansOwed = false;

  constructor(private readonly opts: ReconcilerOptions) {}

  start(): void {
    this.stopped = false;
    this.timer = setInterval(() => void this.tick(), this.opts.intervalMs);
    this.timer.unref();
    this.opts.coordination?.onChange((state) => {
      if (this.stopped) return;
      // Lost: not ready at once. Back: do not wait for the next interval.
      if (state === 'down') this.markDown();
      else setTimeout(() => void this.tick(), 50).unref();
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
    await this.opts.coordination?.close();
  }

  ready(): boolean {
    return this.redisUp && this.owedAfter === null;
  }

  /** One tick; concurrent calls share the running one. */
  tick(): Promise<void> {
    if (!this.running) {
      this.running = this.tickOnce()
        .catch((err: unknown) => {
          this.opts.logger?.warn({ err: err instanceof Error ? err.message : String(err) }, 'reconcile pass failed; retrying');
          // Right after Redis returns, the queue's own connection may lag behind ours: retry soon, not in a full interval.
          if (!this.ready() && !this.stopped) setTimeout(() => void this.tick(), 500).unref();
        })
        .finally(() => (this.running = null));
    }
    return this.running;
  }

  private async tickOnce(): Promise<void> {
    if (this.stopped) return;
    const coord = this.opts.coordination;
    if (!coord) {
      await this.pass();
      return;
    }
    if (!(await coord.healthy())) {
      this.markDown();
      return;
    }
    if (!this.redisUp) {
      this.owedAfter = await coord.passes();
      this.redisUp = true;
      this.orphansOwed = true;
    }
    if (this.orphansOwed) {
      // Every instance, not only the leader: only a worker knows which of its locks are stale.
      const released = (await this.opts.scheduler.releaseOwnOrphans?.()) ?? 0;
      if (released) this.opts.logger?.info({ released }, 'released poll jobs locked by a restored snapshot');
      this.orphansOwed = false;
    }
    if (await coord.tryLead(Math.max(100, Math.floor(this.opts.intervalMs * 0.8)))) {
      try {
        await this.pass();
      } catch (err) {
        // Let the retry (here or on another instance) lead at once.
        await coord.resign().catch(() => undefined);
        throw err;
      }
      await coord.completePass();
    }
    if (this.owedAfter !== null && (await coord.passes()) !== this.owedAfter) {
      this.opts.logger?.info('reconciled after a redis outage: ready');
      this.owedAfter = null;
    }
  }

  private markDown(): void {
    if (this.redisUp) this.opts.logger?.warn('redis unreachable: not ready until it returns and a reconcile pass completes');
    this.redisUp = false;
  }

  private async pass(): Promise<void> {
    const t0 = Date.now();
    let jobs = 0;
    let crons = 0;
    try {
      for (const s of this.opts.sources) jobs += await this.opts.scheduler.ensureWatched(s.kind, await s.openIds());
      crons = await this.opts.scheduler.ensureCrons();
    } finally {
      // Also when the pass fails part-way (Redis still reconnecting): jobs it did restore are running already, and
      // the retry will find them present, so this is the only record of them.
      if (jobs || crons) this.opts.logger?.info({ jobs, crons, ms: Date.now() - t0 }, 'reconciler restored poll jobs and schedulers');
    }
  }
}
