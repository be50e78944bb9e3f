/**
 * The data query at N connections, the gateway against a bare graphql-http
 * server with the same shape serving from memory, in the same run with
 * interleaved rounds; CPU per request from /proc of each process group.
 * Prints one JSON line.
 *
 *   npm run bench -- query [--postgres] [--typename] [--rounds 3] [--seconds 5] [--connections 50]
 *
 * `--postgres` runs the gateway on a private database created on the server
 * of `DATABASE_URL` (default the local one) and dropped afterwards; the
 * database's own CPU is not counted (another process group).
 * BENCH_CPU_PROF_DIR / BENCH_NODE_ARGS as in the mutations bench.
 */
import { loadConfig } from '../src/config';
import { signToken } from '../src/auth/jwt';
import { PDV_MAGIC_CPFS } from '../src/simulators/provaDeVida/magic';
import { benchNodeArgs, box, gql, load, percentile, round1, round2, spawnGateway, spawnServer, type Child } from './lib/proc';
import { privateDatabase } from './lib/pg';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
};
const postgres = process.argv.includes('--postgres');
const rounds = arg('rounds', 3);
const seconds = arg('seconds', 5);
const connections = arg('connections', 50);
/** `--typename`: both servers answer `{ __typename }` (the gateway still authenticates, limits and logs): the framework's floor. */
const typename = process.argv.includes('--typename');

const QUERY = typename
  ? 'query T { __typename }'
  : 'query T($id: ID!) { transaction(id: $id) { id status cpf reason createdAt expiresAt person { cpf transactions { nodes { id status } } } } }';

interface Totals {
  requests: number;
  errors: number;
  seconds: number;
  cpuMs: number;
  lat: number[];
}

async function round(target: Child, body: string, headers: Record<string, string>, t: Totals): Promise<void> {
  const c0 = target.cpuMs();
  const r = await load(target.url, body, headers, connections, seconds);
  t.cpuMs += target.cpuMs() - c0;
  t.requests += r.requests;
  t.errors += r.errors;
  t.seconds += r.seconds;
  for (const l of r.latenciesMs) t.lat.push(l);
}

function summary(t: Totals) {
  const sorted = [...t.lat].sort((a, b) => a - b);
  return {
    reqPerSec: round1(t.requests / t.seconds),
    cpuMsPerReq: round2(t.cpuMs / Math.max(1, t.requests)),
    p50Ms: round1(percentile(sorted, 50)),
    p99Ms: round1(percentile(sorted, 99)),
    errors: t.errors,
  };
}

async function main(): Promise<void> {
  const db = postgres ? await privateDatabase() : null;
  const gw = await spawnGateway(db ? { DATABASE_URL: db.url } : {}, benchNodeArgs());
  const bare = await spawnServer('bench/lib/bare-server.ts', {}, (line) => {
    const m = /^bare ready (\d+)$/.exec(line);
    return m ? `http://127.0.0.1:${m[1]}/graphql` : null;
  });
  try {
    const jwt = loadConfig({}).jwt;
    const operator = await signToken(jwt, { sub: 'bench-operator', role: 'operator' });
    const viewer = await signToken(jwt, { sub: 'bench-viewer', role: 'viewer' });
    // Three transactions of one person: `person.transactions` returns a short list, as in real use.
    let id = '';
    for (let i = 0; i < 3; i++) {
      const d = await gql<{ requestProofOfLife: { transaction: { id: string } } }>(
        gw.url,
        operator,
        'mutation($cpf: CPF!) { requestProofOfLife(input: { cpf: $cpf, reason: "Benefício previdenciário" }) { transaction { id } } }',
        { cpf: PDV_MAGIC_CPFS.authorizes },
      );
      id ||= d.requestProofOfLife.transaction.id;
    }
    const gwBody = JSON.stringify({ query: QUERY, variables: { id }, operationName: 'T' });
    const bareBody = JSON.stringify({ query: QUERY, variables: { id: '00000000-0000-4000-8000-000000000000' }, operationName: 'T' });
    const gwHeaders = { authorization: `Bearer ${viewer}` };
    // Warm-up (JIT, caches, connection setup), not counted.
    await load(gw.url, gwBody, gwHeaders, connections, 2);
    await load(bare.url, bareBody, {}, connections, 2);
    const g: Totals = { requests: 0, errors: 0, seconds: 0, cpuMs: 0, lat: [] };
    const b: Totals = { requests: 0, errors: 0, seconds: 0, cpuMs: 0, lat: [] };
    for (let r = 0; r < rounds; r++) {
      await round(gw, gwBody, gwHeaders, g);
      await round(bare, bareBody, {}, b);
    }
    const gs = summary(g);
    const bs = summary(b);
    process.stdout.write(
      JSON.stringify({
        bench: 'query',
        document: typename ? '{ __typename }' : 'transaction',
        store: postgres ? 'postgres' : 'pglite',
        connections,
        rounds,
        secondsPerRound: seconds,
        gateway: gs,
        bare: bs,
        ratio: { cpuPerReq: round2(gs.cpuMsPerReq / bs.cpuMsPerReq), reqPerSec: round2(gs.reqPerSec / bs.reqPerSec) },
        box: box(),
      }) + '\n',
    );
  } finally {
    await Promise.all([gw.stop(), bare.stop()]);
    await db?.drop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
