/**
 * BullMQ poll scheduler across two instances (real Redis). Skipped locally
 * when Redis is down; fails in CI (see test/helpers/services.ts).
 */
import { BullMqPollScheduler } from '../../src/pollers/bullmq';
import type { BackoffPolicy } from '../../src/pollers/backoff';
import type { PollResult } from '../../src/pollers/scheduler';
import { deleteRedisKeys, requireRedisSync, uniquePrefix } from '../helpers/services';

const REDIS = requireRedisSync();
const d = REDIS ? describe : describe.skip;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const KIND = 'tx';

/** Counts polls per id across instances and records overlapping polls of one id. */
class Recorder {
  readonly calls = new Map<string, number>();
  readonly byInstance = new Map<string, number>();
  readonly inFlight = new Map<string, number>();
  overlaps = 0;

  handler(instance: string, result: (id: string, n: number) => PollResult | Promise<PollResult> = () => ({ done: false, changed: false }), busyMs = 20) {
    return async (id: string): Promise<PollResult> => {
      const n = (this.calls.get(id) ?? 0) + 1;
      this.calls.set(id, n);
      this.byInstance.set(instance, (this.byInstance.get(instance) ?? 0) + 1);
      const f = (this.inFlight.get(id) ?? 0) + 1;
      this.inFlight.set(id, f);
      if (f > 1) this.overlaps++;
      try {
        await sleep(busyMs);
        return await result(id, n);
      } finally {
        this.inFlight.set(id, (this.inFlight.get(id) ?? 1) - 1);
      }
    };
  }

  count(id: string): number {
    return this.calls.get(id) ?? 0;
  }
}

async function waitFor(cond: () => boolean, timeoutMs: number, stepMs = 20): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(stepMs);
  }
}

d('BullMqPollScheduler (two instances, one Redis)', () => {
  const redisUrl = REDIS!;
  const base = uniquePrefix();
  let seq = 0;
  let live: BullMqPollScheduler[] = [];

  /** Each test gets its own BullMQ prefix under `base` (one cleanup at the end). */
  function cluster(policy: BackoffPolicy, extra: { lockDurationMs?: number; stalledIntervalMs?: number } = {}) {
    const prefix = `${base}:${++seq}`;
    return (): BullMqPollScheduler => {
      const s = new BullMqPollScheduler({ redisUrl, policy, prefix, ...extra });
      live.push(s);
      return s;
    };
  }

  afterEach(async () => {
    await Promise.all(live.map((s) => s.stop()));
    live = [];
  });

  afterAll(async () => {
    await deleteRedisKeys(redisUrl, base);
  });

  const ids = Array.from({ length: 20 }, (_, i) => `id-${i}`);

  test('each entity is polled once per interval cluster-wide, never concurrently', async () => {
    const make = cluster({ intervalMs: 200, factor: 1, maxIntervalMs: 200 });
    const rec = new Recorder();
    const a = make();
    const b = make();
    a.register(KIND, rec.handler('a'));
    b.register(KIND, rec.handler('b'));
    await Promise.all([a.start(), b.start()]);
    expect(await a.health()).toBe(true);

    const t0 = Date.now();
    await Promise.all([...ids.map((id) => a.watch(KIND, id)), ...ids.map((id) => b.watch(KIND, id))]);
    // Watching again is a no-op.
    await Promise.all(ids.map((id) => b.watch(KIND, id, { delayMs: 0 })));
    expect(await a.clusterWatchedCount(KIND)).toBe(20);
    expect(await a.clusterWatchedCount('other')).toBe(0);
    expect(a.watchedCount(KIND)).toBe(20);
    expect(b.watchedCount()).toBe(20);

    const windowMs = 2000;
    await sleep(windowMs - (Date.now() - t0));
    const max = windowMs / 200 + 2;
    for (const id of ids) {
      expect(rec.count(id)).toBeLessThanOrEqual(max);
      expect(rec.count(id)).toBeGreaterThanOrEqual(5);
    }
    expect(rec.overlaps).toBe(0);
    // Both instances took a share of the work.
    expect(rec.byInstance.get('a') ?? 0).toBeGreaterThan(0);
    expect(rec.byInstance.get('b') ?? 0).toBeGreaterThan(0);
  });

  test('done stops polling that entity', async () => {
    const make = cluster({ intervalMs: 100, factor: 1, maxIntervalMs: 100 });
    const rec = new Recorder();
    const even = (id: string) => Number(id.slice(3)) % 2 === 0;
    const result = (id: string, n: number): PollResult => ({ done: even(id) && n >= 3, changed: false });
    const a = make();
    const b = make();
    a.register(KIND, rec.handler('a', result));
    b.register(KIND, rec.handler('b', result));
    await Promise.all([a.start(), b.start()]);
    await Promise.all(ids.map((id, i) => (i % 2 ? a : b).watch(KIND, id, { delayMs: 0 })));

    await waitFor(() => ids.filter(even).every((id) => rec.count(id) >= 3), 3000);
    await sleep(500);
    for (const id of ids) {
      if (even(id)) expect(rec.count(id)).toBe(3);
      else expect(rec.count(id)).toBeGreaterThanOrEqual(4);
    }
    expect(await a.clusterWatchedCount(KIND)).toBe(10);
    expect(rec.overlaps).toBe(0);

    // A finished entity can be watched again.
    await a.watch(KIND, 'id-0', { delayMs: 0 });
    await waitFor(() => rec.count('id-0') >= 4, 2000);
  });

  test('backoff: factor 2 polls an unchanging entity less and less often; changes keep the base interval', async () => {
    const make = cluster({ intervalMs: 200, factor: 2, maxIntervalMs: 10_000 });
    const rec = new Recorder();
    const times = new Map<string, number[]>();
    const result = (id: string): PollResult => {
      const t = times.get(id) ?? [];
      t.push(Date.now());
      times.set(id, t);
      // 'hot' reports a change every time: stays at the base interval.
      return { done: false, changed: id === 'hot' };
    };
    const a = make();
    const b = make();
    a.register(KIND, rec.handler('a', result, 0));
    b.register(KIND, rec.handler('b', result, 0));
    await Promise.all([a.start(), b.start()]);
    const cold = ['c1', 'c2', 'c3', 'c4', 'c5'];
    await Promise.all([...cold, 'hot'].map((id) => a.watch(KIND, id)));
    await sleep(2500);

    // Delays 200 (first poll), then 200, 400, 800 → polls at ~200, 400, 800, 1600 ms
    // (each up to ~100 ms late: Redis wakes blocked workers at its `hz` tick, 10/s by default).
    for (const id of cold) {
      expect(rec.count(id)).toBeGreaterThanOrEqual(3);
      expect(rec.count(id)).toBeLessThanOrEqual(5);
      const t = times.get(id)!;
      const gaps = t.slice(1).map((x, i) => x - t[i]!);
      // Each gap grows (the backoff state travels in the job, whichever instance polls).
      for (let i = 1; i < gaps.length; i++) expect(gaps[i]!).toBeGreaterThan(gaps[i - 1]! * 1.3);
    }
    // Factor 1 would be ~12 polls in that window; a change every time keeps the base interval.
    expect(rec.count('hot')).toBeGreaterThanOrEqual(8);
    expect(rec.overlaps).toBe(0);
  });

  test('a handler error counts as "no change": polling goes on with backoff', async () => {
    const make = cluster({ intervalMs: 100, factor: 1, maxIntervalMs: 100 });
    const rec = new Recorder();
    const a = make();
    a.register(
      KIND,
      rec.handler('a', () => {
        throw new Error('upstream down');
      }, 0),
    );
    await a.start();
    await a.watch(KIND, 'flaky', { delayMs: 0 });
    await waitFor(() => rec.count('flaky') >= 4, 3000);
    expect(await a.clusterWatchedCount(KIND)).toBe(1);
  });

  test('a job for a kind with no handler on the instance that takes it is not lost', async () => {
    const make = cluster({ intervalMs: 100, factor: 1, maxIntervalMs: 100 });
    const rec = new Recorder();
    const without = make();
    await without.start();
    await without.watch(KIND, 'orphan', { delayMs: 0 });
    await sleep(400); // taken (and failed, retried) by the instance without a handler
    expect(await without.clusterWatchedCount(KIND)).toBe(1);

    const withHandler = make();
    withHandler.register(KIND, rec.handler('with'));
    await withHandler.start();
    await without.stop();
    await waitFor(() => rec.count('orphan') >= 2, 3000);
  });

  test('stalled recovery: a poll whose instance dies is picked up by another instance', async () => {
    const make = cluster({ intervalMs: 200, factor: 1, maxIntervalMs: 200 }, { lockDurationMs: 1000, stalledIntervalMs: 1000 });
    const rec = new Recorder();
    let hung = 0;
    const b = make();
    b.register(KIND, async () => {
      hung++;
      return new Promise<PollResult>(() => {}); // never settles
    });
    await b.start();
    await b.watch(KIND, 'victim', { delayMs: 0 });
    await waitFor(() => hung === 1, 3000);

    // "kill -9" of B: its worker stops renewing the lock without finishing the job.
    const worker = (b as unknown as { worker: { close(force?: boolean): Promise<void> } | null }).worker!;
    await worker.close(true);
    live = live.filter((s) => s !== b); // its stop() would wait for the hung job

    const a = make();
    a.register(KIND, rec.handler('a'));
    await a.start();
    const t0 = Date.now();
    await waitFor(() => rec.count('victim') >= 1, 6000);
    const recoveredAfter = Date.now() - t0;
    // Then A keeps polling it, once per interval.
    const n0 = rec.count('victim');
    await sleep(1000);
    expect(rec.count('victim') - n0).toBeLessThanOrEqual(1000 / 200 + 2);
    expect(rec.count('victim') - n0).toBeGreaterThanOrEqual(2);
    expect(rec.overlaps).toBe(0);
    expect(hung).toBe(1);
    expect(recoveredAfter).toBeLessThan(6000);
    // Close B's remaining connections (its hung poll stays pending forever, harmless).
    await (b as unknown as { queue: { close(): Promise<void> } }).queue.close();
  });

  test('cron: one run per tick cluster-wide with two instances', async () => {
    const make = cluster({ intervalMs: 200, factor: 1, maxIntervalMs: 200 });
    const a = make();
    const b = make();
    await Promise.all([a.start(), b.start()]);
    const runs: { at: number; by: string }[] = [];
    const handler = (by: string) => async () => {
      runs.push({ at: Date.now(), by });
    };
    await Promise.all([a.cron('resend', '* * * * * *', handler('a')), b.cron('resend', '* * * * * *', handler('b'))]);
    await sleep(3200);
    expect(runs.length).toBeGreaterThanOrEqual(2);
    expect(runs.length).toBeLessThanOrEqual(4);
    // Never two runs for one tick.
    const ticks = runs.map((r) => Math.floor(r.at / 1000));
    expect(new Set(ticks).size).toBe(ticks.length);
  });

  test('health is false once stopped', async () => {
    const make = cluster({ intervalMs: 200, factor: 1, maxIntervalMs: 200 });
    const a = make();
    await a.start();
    expect(await a.health()).toBe(true);
    await a.stop();
    expect(await a.health()).toBe(false);
  });
});
