/**
 * N concurrent `requestProofOfLife` (distinct CPFs) against the in-process
 * Prova de Vida simulator; latency of each as the client sees it. Prints one
 * JSON line. `--postgres`: on a private database on the server of
 * `DATABASE_URL` (default the local one), dropped afterwards.
 * `--simulators-apart`: the simulators in their own process (as in
 * production, where the upstream is elsewhere), so `cpuMsPerMutation` is the
 * gateway's alone.
 *
 *   npm run bench -- mutations [n=200] [--postgres] [--simulators-apart]
 *
 * BENCH_CPU_PROF_DIR=<dir> runs the gateway under `node --cpu-prof` (the
 * profile is written when it exits); BENCH_NODE_ARGS adds node flags (e.g.
 * `--require ./probe.cjs`).
 */
import { Pool } from 'undici';
import { loadConfig } from '../src/config';
import { signToken } from '../src/auth/jwt';
import { withCheckDigits } from '../src/domain/cpf';
import { benchNodeArgs, box, percentile, round1, spawnGateway, spawnServer, type Child } from './lib/proc';
import { privateDatabase } from './lib/pg';

const n = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 200);
const postgres = process.argv.includes('--postgres');
const apart = process.argv.includes('--simulators-apart');

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

async function main(): Promise<void> {
  const db = postgres ? await privateDatabase() : null;
  const apartSims = apart ? await simulatorsApart() : null;
  const gw = await spawnGateway({ ...(db ? { DATABASE_URL: db.url } : {}), ...apartSims?.env }, benchNodeArgs());
  const url = new URL(gw.url);
  const pool = new Pool(url.origin, { connections: n });
  try {
    const token = await signToken(loadConfig({}).jwt, { sub: 'bench-operator', role: 'operator' });
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
    const one = async (i: number): Promise<{ ms: number; ok: boolean; code?: string }> => {
      const cpf = withCheckDigits(String(300_000_000 + i));
      const t0 = performance.now();
      try {
        const r = await pool.request({ method: 'POST', path: url.pathname, headers, body: JSON.stringify({ query: MUTATION, variables: { cpf }, operationName: 'M' }) });
        const j = (await r.body.json()) as { data?: { requestProofOfLife?: { transaction: { id: string } | null } }; errors?: { extensions?: { code?: string } }[] };
        const ok = r.statusCode === 200 && !j.errors && Boolean(j.data?.requestProofOfLife?.transaction?.id);
        return { ms: performance.now() - t0, ok, ...(ok ? {} : { code: j.errors?.[0]?.extensions?.code ?? `HTTP_${r.statusCode}` }) };
      } catch {
        return { ms: performance.now() - t0, ok: false, code: 'NETWORK' };
      }
    };
    // Warm-up, not counted: one request (token fetch, first connection), then BENCH_WARMUP=<k> mutations (default 0:
    // warming with 200 changed nothing measurable, and leaves 200 open flows polling during the burst).
    await one(n);
    const warm = Number(process.env['BENCH_WARMUP'] ?? 0);
    if (warm > 0) await Promise.all(Array.from({ length: warm }, (_, i) => one(n + 1 + i)));
    const cpu0 = gw.cpuMs();
    const results = await Promise.all(Array.from({ length: n }, (_, i) => one(i)));
    // Gateway + in-process simulator CPU for the burst: less sensitive to the box's load than latency.
    const cpuMsPerMutation = (gw.cpuMs() - cpu0) / n;
    const sorted = results.map((r) => r.ms).sort((a, b) => a - b);
    const errors = results.filter((r) => !r.ok);
    const codes: Record<string, number> = {};
    for (const e of errors) codes[e.code!] = (codes[e.code!] ?? 0) + 1;
    process.stdout.write(
      JSON.stringify({
        bench: 'mutations',
        store: postgres ? 'postgres' : 'pglite',
        simulators: apart ? 'own process' : 'in the gateway process',
        n,
        p50Ms: round1(percentile(sorted, 50)),
        p99Ms: round1(percentile(sorted, 99)),
        maxMs: round1(sorted.at(-1) ?? NaN),
        cpuMsPerMutation: round1(cpuMsPerMutation),
        errors: errors.length,
        ...(errors.length ? { errorCodes: codes } : {}),
        box: box(),
      }) + '\n',
    );
  } finally {
    await pool.close();
    await gw.stop();
    await apartSims?.sims.stop();
    await db?.drop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
