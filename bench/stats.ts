/**
 * `npm run bench -- stats [rows]` — the cost of `Query.stats` at scale.
 *
 * In a private PostgreSQL database (created here, dropped at the end): runs
 * the migrations, loads `rows` entity rows (default 1,000,000: 60 %
 * transactions, 40 % captures on 8 stations, created uniformly over the last
 * two years, random statuses), builds the counts with the migration's own
 * backfill (`stat_counts_rebuild()`, timed: it is what migrating an existing
 * database costs), then times `stats` (the flow the resolver calls) for a
 * day, a month and all time, overall and for one station, each window
 * unaligned on the hour so both edge scans run. Each answer is checked
 * against a plain GROUP BY over the rows (also timed: the full-scan cost the
 * counts avoid). Finally, the write cost the triggers add to a state change:
 * single-row status updates, each its own transaction, with and without them.
 * Prints one JSON line.
 */
import { Client } from 'pg';
import { countStats, type Stats } from '../src/flows/stats';
import { openPostgresStore } from '../src/store/postgres';
import { box, median } from './lib';
import { privateDatabase } from './lib/pg';

const ROWS = Number(process.argv[2] ?? 1_000_000);
const RUNS = 15;
const UPDATES = 1000;
const log = (s: string) => process.stderr.write(`[stats] ${s}\n`);

const TX_STATUSES = ['AUTHORIZED', 'DENIED', 'EXPIRED', 'CANCELLED', 'PENDING', 'FAILED'];
const CAPTURE_STATUSES = ['SEARCH_MATCH', 'SEARCH_NOT_MATCH', 'ENROLLED', 'EXPIRED', 'CAPTURE_CANCELED', 'CAPTURE_FAILED', 'PROCESSING', 'FAILED'];

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = process.hrtime.bigint();
  const value = await fn();
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, value };
}

const round = (ms: number) => Math.round(ms * 100) / 100;

/** The reference: a GROUP BY over the rows of the window (what `stats` would cost without the counts). */
async function fullScan(pg: Client, since: Date, until: Date, stationId: string | null): Promise<{ transactions: number; captures: number; byStatus: Record<string, number> }> {
  const t = stationId
    ? { rows: [] as { status: string; n: string }[] }
    : await pg.query<{ status: string; n: string }>('select status, count(*) as n from transactions where created_at >= $1 and created_at < $2 group by status', [since, until]);
  const c = await pg.query<{ status: string; n: string }>(
    `select status, count(*) as n from captures where created_at >= $1 and created_at < $2 ${stationId ? 'and station_id = $3' : ''} group by status`,
    stationId ? [since, until, stationId] : [since, until],
  );
  const byStatus: Record<string, number> = {};
  for (const r of c.rows) byStatus[r.status] = Number(r.n);
  return { transactions: t.rows.reduce((a, r) => a + Number(r.n), 0), captures: c.rows.reduce((a, r) => a + Number(r.n), 0), byStatus };
}

function agrees(s: Stats, ref: Awaited<ReturnType<typeof fullScan>>): boolean {
  const by = Object.fromEntries(s.captures.byStatus.map((x) => [x.status, x.count]));
  return s.transactions.total === ref.transactions && s.captures.total === ref.captures && JSON.stringify(by, Object.keys(by).sort()) === JSON.stringify(ref.byStatus, Object.keys(by).sort());
}

async function main(): Promise<void> {
  const db = await privateDatabase();
  log(`database ${new URL(db.url).pathname.slice(1)}`);
  const store = await openPostgresStore(db.url, { timeoutMs: 600_000 });
  const pg = new Client({ connectionString: db.url });
  await pg.connect();
  try {
    const nTx = Math.round(ROWS * 0.6);
    const nCap = ROWS - nTx;
    log(`loading ${nTx} transactions and ${nCap} captures (triggers off; the backfill builds the counts)`);
    await pg.query('alter table transactions disable trigger user');
    await pg.query('alter table captures disable trigger user');
    const load = await timed(async () => {
      await pg.query(
        `insert into transactions (id, cpf, status, api_version, kind, reason, requester, created_at, expires_at, updated_at)
         select gen_random_uuid(), lpad((i % 100000)::text, 11, '0'), ($2::text[])[1 + floor(random() * array_length($2::text[], 1))::int], 'vbeta4', 'B', 'bench',
                '{"cnpj":"00000000000191","name":"Bench","service":"Bench"}'::jsonb, t, t + interval '1 day', t
         from (select i, now() - random() * interval '730 days' as t from generate_series(1, $1::int) as i) as x`,
        [nTx, TX_STATUSES],
      );
      await pg.query(
        `insert into captures (id, station_id, cpf, mode, kind, status, auto_advance, enroll_if_not_found, created_at, updated_at)
         select gen_random_uuid(), 'station-' || (1 + i % 8), lpad((i % 100000)::text, 11, '0'), 'PRESENTIAL', 'VERIFY',
                ($2::text[])[1 + floor(random() * array_length($2::text[], 1))::int], true, false, t, t
         from (select i, now() - random() * interval '730 days' as t from generate_series(1, $1::int) as i) as x`,
        [nCap, CAPTURE_STATUSES],
      );
    });
    await pg.query('alter table transactions enable trigger user');
    await pg.query('alter table captures enable trigger user');
    log(`loaded in ${Math.round(load.ms)} ms; backfill`);
    const backfill = await timed(() => pg.query('select stat_counts_rebuild()'));
    await pg.query('vacuum analyze transactions');
    await pg.query('vacuum analyze captures');
    await pg.query('vacuum analyze stat_counts');
    const countRows = Number((await pg.query<{ n: string }>('select count(*) as n from stat_counts')).rows[0]!.n);

    const now = new Date();
    // Unaligned on purpose: every window has a sub-hour edge at both ends.
    const until = new Date(now.getTime() - 17 * 60_000 - 23_456);
    const windows = {
      day: new Date(until.getTime() - 24 * 3_600_000 + 11 * 60_000),
      month: new Date(until.getTime() - 30 * 24 * 3_600_000 + 29 * 60_000),
      allTime: new Date('2000-01-01T00:00:00Z'),
    };
    const results: Record<string, unknown> = {};
    let exact = true;
    for (const [name, since] of Object.entries(windows)) {
      for (const stationId of [null, 'station-3']) {
        const w = { since, until, stationId };
        await countStats(store, w); // warm-up
        const times: number[] = [];
        let last: Stats | null = null;
        for (let i = 0; i < RUNS; i++) {
          const r = await timed(() => countStats(store, w));
          times.push(r.ms);
          last = r.value;
        }
        const ref = await timed(() => fullScan(pg, since, until, stationId));
        const ok = agrees(last!, ref.value);
        exact &&= ok;
        results[stationId ? `${name}_station` : name] = {
          rowsCounted: last!.transactions.total + last!.captures.total,
          p50Ms: round(median(times)),
          maxMs: round(Math.max(...times)),
          fullScanMs: round(ref.ms),
          exact: ok,
        };
        log(`${name}${stationId ? ' (station-3)' : ''}: ${JSON.stringify(results[stationId ? `${name}_station` : name])}`);
      }
    }

    // What the triggers add to one state change: single-row status updates, each its own transaction.
    const ids = (await pg.query<{ id: string }>(`select id from captures order by created_at desc limit ${UPDATES}`)).rows.map((r) => r.id);
    const updates = async () => {
      const t0 = process.hrtime.bigint();
      for (const [i, id] of ids.entries()) await pg.query('update captures set status = $2, updated_at = now() where id = $1', [id, CAPTURE_STATUSES[i % CAPTURE_STATUSES.length]]);
      return Number(process.hrtime.bigint() - t0) / 1e6 / ids.length;
    };
    const withTriggers = await updates();
    await pg.query('alter table captures disable trigger user');
    const withoutTriggers = await updates();
    await pg.query('alter table captures enable trigger user');
    await pg.query('select stat_counts_rebuild()');

    process.stdout.write(
      JSON.stringify({
        bench: 'stats',
        rows: ROWS,
        transactions: nTx,
        captures: nCap,
        loadMs: Math.round(load.ms),
        backfillMs: Math.round(backfill.ms),
        countRows,
        runs: RUNS,
        windows: results,
        exact,
        statusUpdateMs: { withTriggers: round(withTriggers), withoutTriggers: round(withoutTriggers) },
        box: box(),
      }) + '\n',
    );
  } finally {
    await pg.end().catch(() => undefined);
    await store.close().catch(() => undefined);
    await db.drop();
    log('database dropped');
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
