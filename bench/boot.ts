/**
 * Boot time of `npm start` (tsx src/main.ts with the in-process simulators),
 * from process spawn to the "gateway ready" log line, on a fresh DATA_DIR and
 * on an existing one. Run: npx tsx bench/boot.ts [runs=3]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');
const runs = Number(process.argv[2] ?? 3);

function bootOnce(dataDir: string, port: number): Promise<number> {
  const t0 = performance.now();
  const child = spawn(resolve(ROOT, 'node_modules/.bin/tsx'), ['src/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      PORT: String(port),
      SIMULATOR_PDV_PORT: String(port + 1),
      SIMULATOR_PDV_CONTROL_PORT: String(port + 2),
      SIMULATOR_SPID_BASE_PORT: String(port + 10),
      SIMULATOR_SPID_CONTROL_PORT: String(port + 20),
      SIMULATOR_SPID_REMOTE_PORT: String(port + 21),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((res, rej) => {
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('"msg":"gateway ready"')) {
        const ms = performance.now() - t0;
        child.once('exit', () => res(ms));
        child.kill('SIGTERM');
      }
    });
    child.once('exit', (code) => {
      if (!out.includes('gateway ready')) rej(new Error(`exited ${code}: ${out}`));
    });
  });
}

async function main(): Promise<void> {
  const cold: number[] = [];
  const warm: number[] = [];
  for (let i = 0; i < runs; i++) {
    const dir = mkdtempSync(join(tmpdir(), 'boot-bench-'));
    cold.push(await bootOnce(dir, 15_000));
    warm.push(await bootOnce(dir, 15_000));
    rmSync(dir, { recursive: true, force: true });
  }
  const fmt = (xs: number[]) => xs.map((x) => `${Math.round(x)} ms`).join(', ');
  process.stdout.write(`npm start boot, new DATA_DIR: ${fmt(cold)}\nnpm start boot, existing DATA_DIR: ${fmt(warm)}\n`);
}

void main();
