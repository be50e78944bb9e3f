/**
 * N concurrent `requestProofOfLife` (distinct CPFs) against the in-process
 * Prova de Vida simulator; latency of each as the client sees it. Prints one
 * JSON line. `--postgres`: on a private database on the server of
 * `DATABASE_URL` (default the local one), dropped afterwards.
 * `--simulators-apart`: the simulators in their own process (as in
 * production, where the upstream is elsewhere), so `cpuMsPerMutation` is the
 * gateway's alone; then the same burst also goes to a reference in the same
 * run, rounds interleaved (`--rounds`, default 2): a bare graphql-http
 * server doing the least a correct create does (bench/lib/bare-mutation-server.ts)
 * on the same store kind and the same simulator. A burst on one Node thread
 * ends after about N × CPU per mutation, so the ratio of CPU per mutation is
 * what says how far the gateway is from the reference on this box.
 *
 *   npm run bench -- mutations [n=200] [--postgres] [--simulators-apart] [--rounds 2]
 *
 * BENCH_CPU_PROF_DIR=<dir> runs the gateway under `node --cpu-prof` (the
 * profile is written when it exits); BENCH_NODE_ARGS adds node flags (e.g.
 * `--require ./probe.cjs`).
 */
import { Pool } from 'undici';
import { loadConfig } from '../src/config';
import { signToken } from '../src/auth/jwt';
import { withCheckDigits } from '../src/domain/cpf';
import { benchNodeArgs, box, percentile, round1, round2, spawnGateway, spawnServer, type Child } from './lib/proc';
import { privateDatabase } from './lib/pg';

const n = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 200);
const postgres = process.argv.includes('--postgres');
const apart = process.argv.includes('--simulators-apart');
const roundsArg = process.argv.indexOf('--rounds');
const rounds = apart ? (roundsArg >= 0 ? Number(process.argv[roundsArg + 1]) : 2) : 1;

/** `npm run simulators` on free ports; its banner prints the gateway's env. */
async function simulatorsApart(): Promise<{ sims: Child; env: NodeJS.ProcessEnv }> {
  const ports = { SIMULATOR_PDV_PORT: '0', SIMULATOR_PDV_CONTROL_PORT: '0', SIMULATOR_SPID_BASE_PORT: '0', SIMULATOR_SPID_CONTROL_PORT: '0', SIMULATOR_SPID_REMOTE_PORT: '0' };
  let env: NodeJS.ProcessEnv = {};
  const sims = await spawnServer('src/simulators/main.ts', ports, (line) => {
    const m = /SIMULATORS=false PDV_BASE_URL=(\S+) SPID_STATIONS='(.*)' npm start/.exec(line);
    if (!m) return null;
    env = { SIMULATORS: 'false', PDV_BASE_URL: m[1], SPID_STATIONS: m[2] };
    return m[1]!;
  });
  return { sims, env };
}

const MUTATION = 'mutation M($cpf: CPF!) { requestProofOfLife(input: { cpf: $cpf, reason: "Benefício previdenciário" }) { transaction { id status } userErrors { code } } }';

interface Burst {
  lat: number[];
  cpuMs: number;
  errors: number;
  codes: Record<string, number>;
}

/** One mutation, timed as the client sees it. */
async function one(pool: Pool, path: string, headers: Record<string, string>, cpfN: number): Promise<{ ms: number; ok: boolean; code?: string }> {
  const cpf = withCheckDigits(String(300_000_000 + cpfN));
  const t0 = performance.now();
  try {
    const r = await pool.request({ method: 'POST', path, headers, body: JSON.stringify({ query: MUTATION, variables: { cpf }, operationName: 'M' }) });
    const j = (await r.body.json()) as { data?: { requestProofOfLife?: { transaction: { id: string } | null } }; errors?: { extensions?: { code?: string } }[] };
    const ok = r.statusCode === 200 && !j.errors && Boolean(j.data?.requestProofOfLife?.transaction?.id);
    return { ms: performance.now() - t0, ok, ...(ok ? {} : { code: j.errors?.[0]?.extensions?.code ?? `HTTP_${r.statusCode}` }) };
  } catch {
    return { ms: performance.now() - t0, ok: false, code: 'NETWORK' };
  }
}

/** N mutations at once (CPFs from `first`), with the server's process-group CPU over the burst. */
async function burst(server: Child, pool: Pool, headers: Record<string, string>, first: number, into: Burst): Promise<void> {
  const path = new URL(server.url).pathname;
  const cpu0 = server.cpuMs();
  const results = await Promise.all(Array.from({ length: n }, (_, i) => one(pool, path, headers, first + i)));
  into.cpuMs += server.cpuMs() - cpu0;
  for (const r of results) {
    into.lat.push(r.ms);
    if (r.ok) continue;
    into.errors++;
    into.codes[r.code!] = (into.codes[r.code!] ?? 0) + 1;
  }
}

function summary(b: Burst): Record<string, unknown> {
  const sorted = [...b.lat].sort((x, y) => x - y);
  return {
    p50Ms: round1(percentile(sorted, 50)),
    p99Ms: round1(percentile(sorted, 99)),
    maxMs: round1(sorted.at(-1) ?? NaN),
    cpuMsPerMutation: round1(b.cpuMs / b.lat.length),
    errors: b.errors,
    ...(b.errors ? { errorCodes: b.codes } : {}),
  };
}

async function main(): Promise<void> {
  const db = postgres ? await privateDatabase() : null;
  const apartSims = apart ? await simulatorsApart() : null;
  const gw = await spawnGateway({ ...(db ? { DATABASE_URL: db.url } : {}), ...apartSims?.env }, benchNodeArgs());
  const bare = apartSims
    ? await spawnServer('bench/lib/bare-mutation-server.ts', { PDV_BASE_URL: apartSims.env['PDV_BASE_URL'], DATABASE_URL: db?.url ?? '' }, (line) => {
        const m = /^bare ready (\d+)$/.exec(line);
        return m ? `http://127.0.0.1:${m[1]}/graphql` : null;
      })
    : null;
  const pools = new Map<Child, Pool>([[gw, new Pool(new URL(gw.url).origin, { connections: n })]]);
  if (bare) pools.set(bare, new Pool(new URL(bare.url).origin, { connections: n }));
  try {
    const token = await signToken(loadConfig({}).jwt, { sub: 'bench-operator', role: 'operator' });
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
    // CPFs: each server and round its own range, so no upstream transaction is opened twice for a CPF.
    let next = 0;
    const take = (k: number) => ((next += k), next - k);
    // Warm-up, not counted: one request each (token fetch, first connection), then BENCH_WARMUP=<k> mutations to the
    // gateway (default 0: warming with 200 changed nothing measurable, and leaves 200 open flows polling during the burst).
    for (const [server, pool] of pools) await one(pool, new URL(server.url).pathname, headers, take(1));
    const warm = Number(process.env['BENCH_WARMUP'] ?? 0);
    if (warm > 0) {
      const first = take(warm);
      await Promise.all(Array.from({ length: warm }, (_, i) => one(pools.get(gw)!, new URL(gw.url).pathname, headers, first + i)));
    }
    const totals = new Map<Child, Burst>([...pools.keys()].map((c) => [c, { lat: [], cpuMs: 0, errors: 0, codes: {} }]));
    for (let r = 0; r < rounds; r++) {
      // Interleaved, the order alternating: the box's load drifts, and the second burst of a pair meets the first's
      // open flows being polled.
      const order = r % 2 === 0 ? [...pools.keys()] : [...pools.keys()].reverse();
      for (const server of order) await burst(server, pools.get(server)!, headers, take(n), totals.get(server)!);
    }
    const g = summary(totals.get(gw)!);
    const b = bare ? summary(totals.get(bare)!) : null;
    process.stdout.write(
      JSON.stringify({
        bench: 'mutations',
        store: postgres ? 'postgres' : 'pglite',
        simulators: apart ? 'own process' : 'in the gateway process',
        n,
        rounds,
        ...g,
        ...(b ? { bare: b, cpuRatio: round2((g['cpuMsPerMutation'] as number) / (b['cpuMsPerMutation'] as number)) } : {}),
        box: box(),
      }) + '\n',
    );
  } finally {
    for (const pool of pools.values()) await pool.close();
    await gw.stop();
    await bare?.stop();
    await apartSims?.sims.stop();
    await db?.drop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
