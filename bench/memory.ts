/**
 * Idle memory of the gateway as its own process: `npm start` (tsx, simulators
 * in-process) and the production build (`node dist/src/main.js`,
 * SIMULATORS=false, upstream simulators in this bench's process), each on a
 * new DATA_DIR and again on the same, existing DATA_DIR; and the production
 * build once more with a 2 MiB V8 young generation (`--max-semi-space-size=2`),
 * and the production build on PostgreSQL (`DATABASE_URL`, a private database
 * on the local server, dropped after: no PGlite WASM heap in the process).
 * After boot the gateway sits idle `idleSeconds` (V8 gives memory back only
 * after ~30 s without work), then: resident set of its process tree (/proc),
 * and its own external / heap figures from /metrics.
 * Run: npm run bench -- memory [idleSeconds=45]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { privateDatabase } from './lib/pg';
import { PROD_COMMAND, box, build, devEnv, metric, mib, prodUpstreams, sleep, timedStart, treeRssKiB } from './lib';

const idleSeconds = Number(process.argv[2] ?? 45);

interface Sample {
  bootMs: number;
  /** CPU time (user + system) the gateway's process tree used until ready. */
  bootCpuMs: number;
  /** The whole process tree (tsx's launcher + the gateway), MiB. */
  rssMiB: number;
  /** The gateway's own node process, MiB. */
  gatewayRssMiB: number;
  externalMB: number | null;
  heapUsedMB: number | null;
}

async function idle(env: Record<string, string>, command?: readonly string[]): Promise<Sample> {
  const { gw, bootMs, bootCpuMs } = await timedStart(env, command);
  try {
    await sleep(idleSeconds * 1000);
    const rss = treeRssKiB(gw.child.pid ?? -1);
    const ext = await metric(gw, 'idgw_nodejs_external_memory_bytes');
    const heap = await metric(gw, 'idgw_nodejs_heap_size_used_bytes');
    const mb = (b: number | null) => (b === null ? null : Math.round(b / 1e6));
    return { bootMs, bootCpuMs, rssMiB: mib(rss.totalKiB), gatewayRssMiB: mib(rss.largestKiB), externalMB: mb(ext), heapUsedMB: mb(heap) };
  } finally {
    await gw.stop();
  }
}

async function both(env: (dir: string) => Record<string, string>, command?: readonly string[]): Promise<{ newDataDir: Sample; existingDataDir: Sample }> {
  const dir = mkdtempSync(join(tmpdir(), 'mem-bench-'));
  try {
    const newDataDir = await idle(env(dir), command);
    const existingDataDir = await idle(env(dir), command);
    return { newDataDir, existingDataDir };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  build();
  process.stderr.write(`bench: npm start (tsx), idle ${idleSeconds} s…\n`);
  const npmStart = await both(devEnv);
  const upstreams = await prodUpstreams();
  try {
    process.stderr.write(`bench: node dist/src/main.js (SIMULATORS=false), idle ${idleSeconds} s…\n`);
    const production = await both(upstreams.env, PROD_COMMAND);
    const [node, ...args] = PROD_COMMAND;
    const dir = mkdtempSync(join(tmpdir(), 'mem-bench-'));
    let productionSemiSpace2: Sample;
    try {
      await timedStart(upstreams.env(dir), PROD_COMMAND).then(({ gw }) => gw.stop());
      productionSemiSpace2 = await idle(upstreams.env(dir), [node, '--max-semi-space-size=2', ...args]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    process.stderr.write(`bench: node dist/src/main.js on PostgreSQL, idle ${idleSeconds} s…\n`);
    const db = await privateDatabase();
    const pgDir = mkdtempSync(join(tmpdir(), 'mem-bench-'));
    let productionPostgres: Sample;
    try {
      productionPostgres = await idle({ ...upstreams.env(pgDir), DATABASE_URL: db.url }, PROD_COMMAND);
    } finally {
      rmSync(pgDir, { recursive: true, force: true });
      await db.drop();
    }
    process.stdout.write(
      JSON.stringify({ bench: 'memory', idleSeconds, npmStart, production, productionSemiSpace2ExistingDataDir: productionSemiSpace2, productionPostgres, box: box() }) + '\n',
    );
  } finally {
    await upstreams.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
