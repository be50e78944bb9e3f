/**
 * `stats` equals a count over the rows it summarises, read back over the API
 * (`transactions` / `captures`, paged, counted by createdAt and status), for
 * windows that fill whole months, days and hours, windows that cut hours at
 * both ends, a window inside one hour, exact hour boundaries, and stations.
 * Rows come from real flows (a proof of life and a presential capture, whose
 * statuses advance) and from older rows written straight into the store
 * (so windows span weeks); an erasure (privacy) leaves the counts as they were.
 */
import { sql } from 'drizzle-orm';
import {
  CapturesDocument,
  ErasePersonDocument,
  LoginOperatorDocument,
  PersonDocument,
  RequestProofOfLifeDocument,
  StartPresentialCaptureDocument,
  StatsDocument,
  TransactionsDocument,
  type CapturesQuery,
  type StatsQuery,
  type TransactionsQuery,
} from '../__generated__/graphql';
import { PDV_MAGIC_CPFS } from '../../src/simulators/provaDeVida';
import { SPID_MAGIC_CPFS } from '../../src/simulators/spid';
import { PdvSim, SpidSim, TestGateway, eventually } from '../helpers/gateway';

/** A valid CPF no simulator gives a meaning to: the older rows' person (erased at the end). */
const OLD_CPF = '52998224725';
const HOUR = 3_600_000;

let pdv: PdvSim;
let spid: SpidSim;
let gw: TestGateway;
let base: Date;

interface Row {
  status: string;
  createdAt: string;
  stationId: string | null;
}

beforeAll(async () => {
  pdv = await PdvSim.start({ answerAfterMs: 200 });
  spid = await SpidSim.start({ timings: { clientCaptureMs: 100, operatorCaptureMs: 100, verifyProcessingMs: 100, loginSettleMs: 20 } });
  gw = await TestGateway.start({ pdvUrl: pdv.url, spidStations: spid.stationsEnv });

  // Live flows: their rows are created now and change status several times (the counts follow).
  await gw.ok(LoginOperatorDocument, { stationId: 'station-1', operatorCpf: SPID_MAGIC_CPFS.operatorOk });
  const t = await gw.done(RequestProofOfLifeDocument, { input: { cpf: PDV_MAGIC_CPFS.authorizes, reason: 'recadastramento' } });
  const c = await gw.done(StartPresentialCaptureDocument, { stationId: 'station-1', cpf: SPID_MAGIC_CPFS.matches });
  await eventually(async () => {
    const [txs, caps] = await Promise.all([rows('transactions'), rows('captures')]);
    const tx = txs.find((r) => r.createdAt === t.requestProofOfLife.createdAt);
    const cap = caps.find((r) => r.createdAt === c.startPresentialCapture.createdAt);
    return tx?.status === 'AUTHORIZED' && cap?.status === 'SEARCH_MATCH';
  }, 30_000, 100);

  // Older rows, every 7 h 13 min over ~36 days back from an hour boundary (so month, day and hour
  // buckets all fill), final statuses only (no poller picks them up), captures on three stations.
  base = new Date(Math.floor(Date.now() / HOUR) * HOUR - 40 * 24 * HOUR);
  const db = gw.gw.store.db;
  await db.execute(sql`insert into persons (cpf) values (${OLD_CPF}) on conflict do nothing`);
  await db.execute(sql`
    insert into transactions (id, cpf, status, api_version, kind, reason, requester, created_at, expires_at, updated_at)
    select gen_random_uuid(), ${OLD_CPF}, (array['AUTHORIZED','DENIED','EXPIRED','CANCELLED','FAILED'])[1 + i % 5], 'vbeta4', 'B',
           'stats test', '{"cnpj":"00000000000191","name":"Test","service":"Test"}'::jsonb,
           ${base.toISOString()}::timestamptz + i * interval '7 hours 13 minutes',
           ${base.toISOString()}::timestamptz + i * interval '7 hours 13 minutes' + interval '1 day',
           ${base.toISOString()}::timestamptz + i * interval '7 hours 13 minutes'
    from generate_series(0, 119) as i`);
  await db.execute(sql`
    insert into captures (id, station_id, cpf, mode, kind, status, auto_advance, enroll_if_not_found, created_at, updated_at)
    select gen_random_uuid(), 'station-' || (1 + i % 3), ${OLD_CPF}, 'PRESENTIAL', 'VERIFY',
           (array['SEARCH_MATCH','SEARCH_NOT_MATCH','EXPIRED','CAPTURE_CANCELED'])[1 + i % 4], true, false,
           ${base.toISOString()}::timestamptz + i * interval '5 hours 47 minutes',
           ${base.toISOString()}::timestamptz + i * interval '5 hours 47 minutes'
    from generate_series(0, 149) as i`);
}, 120_000);

afterAll(async () => {
  await gw?.close();
  await spid?.close();
  await pdv?.close();
});

/** Every row of a kind, read over the API page by page. */
async function rows(kind: 'transactions' | 'captures'): Promise<Row[]> {
  const out: Row[] = [];
  let after: string | null = null;
  for (;;) {
    if (kind === 'transactions') {
      const page: TransactionsQuery['transactions'] = (await gw.ok(TransactionsDocument, { first: 100, after }, 'viewer')).transactions;
      out.push(...page.edges.map((e) => ({ status: e.node.status, createdAt: e.node.createdAt, stationId: null })));
      if (!page.pageInfo.hasNextPage) return out;
      after = page.pageInfo.endCursor ?? null;
    } else {
      const page: CapturesQuery['captures'] = (await gw.ok(CapturesDocument, { first: 100, after }, 'viewer')).captures;
      out.push(...page.edges.map((e) => ({ status: e.node.status, createdAt: e.node.createdAt, stationId: e.node.stationId })));
      if (!page.pageInfo.hasNextPage) return out;
      after = page.pageInfo.endCursor ?? null;
    }
  }
}

type Tally = { total: number; byStatus: { status: string; count: number }[] };

function tally(list: Row[]): Tally {
  const by = new Map<string, number>();
  for (const r of list) by.set(r.status, (by.get(r.status) ?? 0) + 1);
  return { total: list.length, byStatus: [...by].sort(([a], [b]) => (a < b ? -1 : 1)).map(([status, count]) => ({ status, count })) };
}

/** What `stats` must answer, counted from the rows. */
function expected(txs: Row[], caps: Row[], since: Date, until: Date, stationId: string | null) {
  const inWindow = (r: Row) => Date.parse(r.createdAt) >= since.getTime() && Date.parse(r.createdAt) < until.getTime();
  const c = caps.filter((r) => inWindow(r) && (stationId === null || r.stationId === stationId));
  const stations = [...new Set(c.map((r) => r.stationId!))].sort();
  return {
    // Transactions have no station: a station filter matches none.
    transactions: stationId === null ? tally(txs.filter(inWindow)) : { total: 0, byStatus: [] },
    captures: { ...tally(c), byStation: stations.map((s) => ({ stationId: s, ...tally(c.filter((r) => r.stationId === s)) })) },
  };
}

async function stats(since: Date | null, until: Date | null, stationId: string | null = null): Promise<StatsQuery['stats']> {
  return (await gw.ok(StatsDocument, { since: since?.toISOString() ?? null, until: until?.toISOString() ?? null, stationId }, 'viewer')).stats;
}

const at = (hoursFromBase: number, extraMs = 0) => new Date(base.getTime() + hoursFromBase * HOUR + extraMs);

function windows(): { name: string; since: Date; until: Date }[] {
  const now = new Date(Date.now() + 60_000);
  return [
    { name: 'all time', since: new Date('2000-01-01T00:00:00Z'), until: now },
    { name: 'cuts an hour at both ends, spans days and a month boundary', since: at(3, 17 * 60_000 + 23_456), until: at(30 * 24 + 5, 41 * 60_000 + 7) },
    { name: 'inside one hour', since: at(7, 5 * 60_000), until: at(7, 59 * 60_000) },
    { name: 'exact hour boundaries (a row sits on since)', since: at(0), until: at(13) },
    { name: 'ends exactly on a row (excluded)', since: at(-5), until: at(7, 13 * 60_000) },
    { name: 'a few days, unaligned', since: at(49, 1), until: at(121, -1) },
    { name: 'empty', since: at(2), until: at(2) },
  ];
}

test('stats equals a count over the rows for every window, overall and per station', async () => {
  const [txs, caps] = await Promise.all([rows('transactions'), rows('captures')]);
  expect(txs.length).toBe(121);
  expect(caps.length).toBe(151);
  for (const w of windows()) {
    for (const stationId of [null, 'station-1', 'station-3']) {
      const got = await stats(w.since, w.until, stationId);
      expect({ window: w.name, stationId, ...got }).toEqual({ window: w.name, stationId, since: w.since.toISOString(), until: w.until.toISOString(), ...expected(txs, caps, w.since, w.until, stationId) });
    }
  }
  // Sanity of the data itself: the windows are not all trivially empty.
  const all = await stats(new Date('2000-01-01T00:00:00Z'), new Date(Date.now() + 60_000));
  expect(all.transactions.total).toBe(121);
  expect(all.captures.byStation.map((s) => s.stationId)).toEqual(['station-1', 'station-2', 'station-3']);
}, 60_000);

test('default window: since the start of the current UTC day, until now; live statuses as they are now', async () => {
  const [txs, caps] = await Promise.all([rows('transactions'), rows('captures')]);
  const got = await stats(null, null);
  const now = new Date();
  const today = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  expect(got.since).toBe(today.toISOString());
  expect(Date.parse(got.until)).toBeLessThanOrEqual(Date.now());
  expect(got).toEqual({ since: got.since, until: got.until, ...expected(txs, caps, today, new Date(got.until), null) });
  // The live proof of life went REQUESTING → PENDING → AUTHORIZED: counted once, under its status now.
  expect(got.transactions.byStatus).toContainEqual({ status: 'AUTHORIZED', count: expect.any(Number) });
  expect(got.transactions.byStatus.map((s) => s.status)).not.toContain('PENDING');
  expect(got.captures.byStatus).toContainEqual({ status: 'SEARCH_MATCH', count: expect.any(Number) });
});

test('since after until is refused with BAD_USER_INPUT naming the argument', async () => {
  const r = await gw.request(StatsDocument, { since: '2026-01-02T00:00:00Z', until: '2026-01-01T00:00:00Z', stationId: null }, 'viewer');
  expect(r.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', fields: { since: 'since must not be after until' } });
});

test('an erasure rewrites CPFs, never statuses: the counts stay the same and still equal the rows', async () => {
  const w = windows()[1]!;
  const before = await Promise.all([stats(w.since, w.until), stats(new Date('2000-01-01T00:00:00Z'), new Date(Date.now() + 60_000), 'station-2')]);
  const person = (await gw.ok(PersonDocument, { cpf: OLD_CPF }, 'admin')).person;
  const erased = (await gw.done(ErasePersonDocument, { id: person!.id }, 'admin')).erasePerson;
  expect(erased.transactions).toBe(120);
  expect(erased.captures).toBe(150);
  const after = await Promise.all([stats(w.since, w.until), stats(new Date('2000-01-01T00:00:00Z'), new Date(Date.now() + 60_000), 'station-2')]);
  expect(after[0]).toEqual(before[0]);
  expect({ ...after[1], until: null }).toEqual({ ...before[1], until: null });
  const [txs, caps] = await Promise.all([rows('transactions'), rows('captures')]);
  expect(after[0]).toEqual({ since: after[0].since, until: after[0].until, ...expected(txs, caps, w.since, w.until, null) });
});
