import type Redis from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';

export interface RateLimitConfig {
  /** Mutations per user (token `sub`) per minute. @default 60 */
  perUserPerMinute: number;
  /** Mutations per client IP per minute. @default 120 */
  perIpPerMinute: number;
  /** Query cost units per user (anonymous: per IP) per minute (see `operationCost`). @default 20000 */
  queryCostPerMinute: number;
}

export type RateDecision = { ok: true } | { ok: false; retryAfterMs: number };

/**
 * Per-user and per-IP limits on mutations (each one can notify a citizen or
 * start a capture at a desk), and a per-user cost budget on queries. In-process
 * for one instance; in Redis for a cluster, so N instances do not grant N times the budget.
 */
export class MutationRateLimiter {
  private readonly user: RateLimiterAbstract;
  private readonly ip: RateLimiterAbstract;
  private readonly queryCost: RateLimiterAbstract;

  constructor(cfg: RateLimitConfig, redis?: { client: Redis; prefix: string }) {
    const make = (points: number, keyPrefix: string): RateLimiterAbstract =>
      redis
        ? new RateLimiterRedis({
            storeClient: redis.client,
            keyPrefix: `${redis.prefix}:rl:${keyPrefix}`,
            points,
            duration: 60,
            // Redis away: count in memory instead (per instance), so limits keep
            // working and a request never waits on a reconnecting client.
            rejectIfRedisNotReady: true,
            insuranceLimiter: new RateLimiterMemory({ keyPrefix: `insurance:${keyPrefix}`, points, duration: 60 }),
          })
        : new RateLimiterMemory({ keyPrefix, points, duration: 60 });
    this.user = make(cfg.perUserPerMinute, 'user');
    this.ip = make(cfg.perIpPerMinute, 'ip');
    this.queryCost = make(cfg.queryCostPerMinute, 'qcost');
  }

  /** Spends `cost` units of the caller's query budget (reads call stations too: `Station.online`). */
  async consumeQueryCost(key: string, cost: number): Promise<RateDecision> {
    return this.decide(() => this.queryCost.consume(key, Math.max(1, cost)));
  }

  async consume(userKey: string | null, ipKey: string | null): Promise<RateDecision> {
    return this.decide(() => Promise.all([userKey ? this.user.consume(userKey) : null, ipKey ? this.ip.consume(ipKey) : null]));
  }

  private async decide(spend: () => Promise<unknown>): Promise<RateDecision> {
    try {
      await spend();
      return { ok: true };
    } catch (err) {
      if (err instanceof RateLimiterRes) return { ok: false, retryAfterMs: err.msBeforeNext };
      // Both the limiter's store and its insurance failed: fail open, the request is still authenticated and audited.
      return { ok: true };
    }
  }
}
