/**
 * Boot time, spawn → the "gateway ready" log line, median of `runs`, as wall
 * time and as the CPU time the gateway used (the figure a loaded box distorts less):
 * - the production build (`node dist/src/main.js`, SIMULATORS=false, upstream
 *   simulators in this bench's process) on an existing DATA_DIR — the
 *   restart of a deployed gateway;
 * - `npm start`'s path (tsx src/main.ts, simulators in-process) on an existing
 *   DATA_DIR and on a new one (a new user's first `npm start`).
 * Run: npm run bench -- boot [runs=3]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROD_COMMAND, box, build, devEnv, median, prodUpstreams, timedStart } from './lib';

const runs = Number(process.argv[2] ?? 3);

interface Boot {
  wallMs: number;
  cpuMs: number;
}

async function bootMs(env: Record<string, string>, command?: readonly string[]): Promise<Boot> {
  const { gw, bootMs, bootCpuMs } = await timedStart(env, command);
  await gw.stop();
  return { wallMs: bootMs, cpuMs: bootCpuMs };
}

const summary = (xs: Boot[]) => ({
  wallMs: median(xs.map((x) => x.wallMs)),
  cpuMs: median(xs.map((x) => x.cpuMs)),
  wallSamples: xs.map((x) => x.wallMs),
  cpuSamples: xs.map((x) => x.cpuMs),
});

async function main(): Promise<void> {
  build();
  const upstreams = await prodUpstreams();
  const dirs: string[] = [];
  const newDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'boot-bench-'));
    dirs.push(d);
    return d;
  };
  try {
    const prodDir = newDir();
    await bootMs(upstreams.env(prodDir), PROD_COMMAND); // creates the data dirs
    const devDir = newDir();
    await bootMs(devEnv(devDir));
    const prod: Boot[] = [];
    const tsxExisting: Boot[] = [];
    const tsxNew: Boot[] = [];
    for (let i = 0; i < runs; i++) {
      process.stderr.write(`bench: boot round ${i + 1}/${runs}…\n`);
      prod.push(await bootMs(upstreams.env(prodDir), PROD_COMMAND));
      tsxNew.push(await bootMs(devEnv(newDir())));
      tsxExisting.push(await bootMs(devEnv(devDir)));
    }
    process.stdout.write(
      JSON.stringify({
        bench: 'boot',
        runs,
        productionExistingDataDir: summary(prod),
        npmStartExistingDataDir: summary(tsxExisting),
        npmStartNewDataDir: summary(tsxNew),
        box: box(),
      }) + '\n',
    );
  } finally {
    await upstreams.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
