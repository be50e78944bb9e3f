import { nextDelay } from '../../src/pollers/backoff';

const policy = { intervalMs: 1000, factor: 2, maxIntervalMs: 10_000 };

describe('poll backoff', () => {
  test('first poll and any change use the base interval', () => {
    expect(nextDelay(policy, null, false)).toBe(1000);
    expect(nextDelay(policy, 8000, true)).toBe(1000);
  });
  test('grows geometrically while nothing changes, capped', () => {
    const seq: number[] = [];
    let d: number | null = null;
    for (let i = 0; i < 6; i++) seq.push((d = nextDelay(policy, d, false)));
    expect(seq).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000]);
  });
  test('a due time (expiry) pulls the next poll earlier, never negative', () => {
    expect(nextDelay(policy, 8000, false, 300)).toBe(300);
    expect(nextDelay(policy, 8000, false, -50)).toBe(0);
    expect(nextDelay(policy, 1000, false, 60_000)).toBe(2000);
  });
});
