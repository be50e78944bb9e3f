import { planWindow } from '../../src/flows/stats';

const d = (s: string) => new Date(s);

/** The pieces of a plan, sorted: they must tile [since, until) exactly, without overlap. */
function pieces(since: Date, until: Date): { from: number; to: number; grain: string }[] {
  const p = planWindow(since, until);
  return [...p.buckets.map((b) => ({ from: b.from.getTime(), to: b.to.getTime(), grain: b.grain })), ...p.edges.map((e) => ({ from: e.from.getTime(), to: e.to.getTime(), grain: 'rows' }))].sort((a, b) => a.from - b.from);
}

test.each([
  ['2026-10-15T03:27:11.123Z', '2026-11-20T18:45:10.007Z'],
  ['2000-01-01T00:00:00Z', '2026-11-26T13:00:00Z'],
  ['2026-11-26T13:05:00Z', '2026-11-26T13:50:00Z'],
  ['2026-11-26T13:00:00Z', '2026-11-26T14:00:00Z'],
  ['2026-02-28T23:59:59.999Z', '2026-03-01T00:00:00.001Z'],
  ['2026-12-31T22:10:00Z', '2027-01-02T01:00:00Z'],
])('%s → %s: whole buckets plus sub-hour edges tile the window', (a, b) => {
  const since = d(a);
  const until = d(b);
  const ps = pieces(since, until);
  expect(ps[0]!.from).toBe(since.getTime());
  expect(ps.at(-1)!.to).toBe(until.getTime());
  for (let i = 1; i < ps.length; i++) expect(ps[i]!.from).toBe(ps[i - 1]!.to);
  for (const p of ps) {
    expect(p.from).toBeLessThan(p.to);
    if (p.grain === 'rows') expect(p.to - p.from).toBeLessThan(3_600_000);
    if (p.grain === 'hour') expect(p.from % 3_600_000).toBe(0);
    if (p.grain === 'day' || p.grain === 'month') expect(p.from % 86_400_000).toBe(0);
    if (p.grain === 'month') expect(new Date(p.from).getUTCDate()).toBe(1);
  }
  // Bounded work: at most one month range, two day ranges, two hour ranges, two edges.
  expect(ps.length).toBeLessThanOrEqual(7);
});

test('an empty window has no pieces', () => {
  expect(planWindow(d('2026-11-26T13:00:00Z'), d('2026-11-26T13:00:00Z'))).toEqual({ buckets: [], edges: [] });
});
