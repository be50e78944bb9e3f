/**
 * Rate limits with Redis down: the limiter falls back to in-memory counters
 * (rate-limiter-flexible's insurance limiter), so limits keep applying and no
 * request waits on a reconnecting client.
 */
import Redis from 'ioredis';
import { MutationRateLimiter } from '../../src/server/rate-limit';
import { PrivateRedis } from './support';

describe('mutation rate limiter without Redis', () => {
  let redis: PrivateRedis;
  let client: Redis;

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    // The gateway's own settings for this client (src/app.ts).
    client = new Redis(redis.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    client.on('error', () => undefined);
    await new Promise<void>((r) => client.once('ready', () => r()));
  });
  afterAll(async () => {
    client.disconnect();
    await redis.stop();
  });

  test('limits keep applying, in memory, answered at once', async () => {
    const limiter = new MutationRateLimiter({ perUserPerMinute: 3, perIpPerMinute: 100, queryCostPerMinute: 20_000 }, { client, prefix: 'rl-fault' });
    expect(await limiter.consume('u:a', 'ip:1')).toEqual({ ok: true });
    await redis.kill();
    await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    const decisions = [];
    for (let i = 0; i < 4; i++) decisions.push(await limiter.consume('u:b', 'ip:1'));
    const ms = Date.now() - t0;
    expect(decisions.map((d) => d.ok)).toEqual([true, true, true, false]);
    expect(ms).toBeLessThan(500);
  });
});
