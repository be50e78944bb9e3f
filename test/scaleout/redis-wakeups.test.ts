/**
 * Redis wake-ups across instances (real Redis). Skipped locally when Redis is
 * down; fails in CI (see test/helpers/services.ts).
 */
import Redis from 'ioredis';
import { createRedisWakeups } from '../../src/events/redis';
import { deleteRedisKeys, requireRedisSync, uniquePrefix } from '../helpers/services';

const REDIS = requireRedisSync();
const d = REDIS ? describe : describe.skip;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Fails with a message naming the step instead of hanging until the Jest timeout. */
function within<T>(p: Promise<T>, what: string, ms = 5000): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise<never>((_, reject) => {
      t = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]);
}

d('Redis wake-ups', () => {
  const redisUrl = REDIS!;
  const prefix = uniquePrefix();
  const otherPrefix = uniquePrefix() + 'o';
  let admin: Redis;
  const open: { close(): Promise<void> }[] = [];

  beforeAll(() => {
    admin = new Redis(redisUrl);
  });

  afterAll(async () => {
    await Promise.all(open.map((w) => w.close()));
    await deleteRedisKeys(redisUrl, prefix);
    await deleteRedisKeys(redisUrl, otherPrefix);
    admin.disconnect();
  });

  /** Waits until Redis has `n` subscribers on `channel` (SUBSCRIBE is fire-and-forget in the event target). */
  async function subscribers(channel: string, n: number): Promise<void> {
    for (let i = 0; i < 100; i++) {
      const res = (await admin.pubsub('NUMSUB', channel)) as [string, number];
      if (Number(res[1]) >= n) return;
      await sleep(20);
    }
    throw new Error(`no ${n} subscribers on ${channel}`);
  }

  function wakeups(channelPrefix: string) {
    const w = createRedisWakeups(redisUrl, { channelPrefix });
    open.push(w);
    return w;
  }

  test('instances sharing a prefix see each other’s wake-ups; the seq arrives as a number', async () => {
    const a = wakeups(prefix);
    const b = wakeups(prefix);
    expect(await within(a.health(), 'health')).toBe(true);

    const onA = a.pubsub.subscribe('events:wakeup')[Symbol.asyncIterator]();
    const onB = b.pubsub.subscribe('events:wakeup')[Symbol.asyncIterator]();
    // A Repeater subscribes on its first next().
    const nextA = onA.next();
    const nextB = onB.next();
    await subscribers(`${prefix}:events:wakeup`, 2);

    b.pubsub.publish('events:wakeup', 42);
    const [ra, rb] = await within(Promise.all([nextA, nextB]), 'wake-up from B seen on A and B');
    expect(ra).toEqual({ done: false, value: 42 });
    expect(typeof ra.value).toBe('number');
    expect(rb).toEqual({ done: false, value: 42 });

    const again = onA.next();
    a.pubsub.publish('events:wakeup', 0);
    expect((await within(again, 'second wake-up')).value).toBe(0);

    await within(Promise.all([onA.return?.(), onB.return?.()]), 'unsubscribe');
    // Unsubscribed from Redis once the last local listener is gone.
    for (let i = 0; i < 50; i++) {
      const res = (await admin.pubsub('NUMSUB', `${prefix}:events:wakeup`)) as [string, number];
      if (Number(res[1]) === 0) break;
      await sleep(20);
    }
    expect(Number(((await admin.pubsub('NUMSUB', `${prefix}:events:wakeup`)) as [string, number])[1])).toBe(0);
  });

  test('a different prefix does not see them', async () => {
    const a = wakeups(prefix);
    const other = wakeups(otherPrefix);

    const received: number[] = [];
    const it = other.pubsub.subscribe('events:wakeup')[Symbol.asyncIterator]();
    const pending = it.next().then((r) => {
      if (!r.done) received.push(r.value);
    });
    await subscribers(`${otherPrefix}:events:wakeup`, 1);

    const mine = a.pubsub.subscribe('events:wakeup')[Symbol.asyncIterator]();
    const mineNext = mine.next();
    await subscribers(`${prefix}:events:wakeup`, 1);

    a.pubsub.publish('events:wakeup', 7);
    expect((await within(mineNext, 'own wake-up')).value).toBe(7);
    await sleep(300);
    expect(received).toEqual([]);
    // Nothing on the bare (unprefixed) channel either.
    expect(Number(((await admin.pubsub('NUMSUB', 'events:wakeup')) as [string, number])[1])).toBe(0);

    await within(Promise.all([it.return?.(), pending, mine.return?.()]), 'unsubscribe');
  });

  test('health is false after close', async () => {
    const w = createRedisWakeups(redisUrl, { channelPrefix: prefix });
    expect(await w.health()).toBe(true);
    await w.close();
    expect(await w.health()).toBe(false);
  });
});
