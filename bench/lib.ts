/** Shared by the process-level benches (memory, boot): build, spawn, measure. */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { GatewayProcess } from '../test/helpers/process';
import { PdvSim, SpidSim } from '../test/helpers/gateway';

export const ROOT = resolve(__dirname, '..');
export const PROD_COMMAND = [process.execPath, 'dist/src/main.js'] as const;

/** Always a fresh `npm run build`: a stale dist/ would measure old code. */
export function build(): void {
  process.stderr.write('bench: npm run build…\n');
  execFileSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
}

/** Env of `npm start`: simulators in-process on free ports. */
export function devEnv(dataDir: string): Record<string, string> {
  return {
    NODE_ENV: 'development',
    DATA_DIR: dataDir,
    SIMULATORS: 'true',
    SIMULATOR_PDV_PORT: '0',
    SIMULATOR_PDV_CONTROL_PORT: '0',
    SIMULATOR_SPID_BASE_PORT: '0',
    SIMULATOR_SPID_CONTROL_PORT: '0',
    SIMULATOR_SPID_REMOTE_PORT: '0',
  };
}

/** Production env against simulators running in the bench's own process (not the gateway's). */
export async function prodUpstreams(): Promise<{ env: (dataDir: string) => Record<string, string>; close(): Promise<void> }> {
  // Production refuses the simulator's default client credentials and the dev keys: give it real-looking ones.
  const clientId = 'orgao-bench';
  const clientSecret = 'issued-by-govbr-bench';
  const pdv = await PdvSim.start({ clientId, clientSecret });
  const spid = await SpidSim.start();
  return {
    env: (dataDir) => ({
      NODE_ENV: 'production',
      DATA_DIR: dataDir,
      SIMULATORS: 'false',
      JWT_SECRET: 'bench-secret-0123456789-0123456789-0123456789',
      PDV_BASE_URL: pdv.url,
      PDV_CLIENT_ID: clientId,
      PDV_CLIENT_SECRET: clientSecret,
      PSEUDONYM_KEY: 'bench-pseudonym-key-0123456789-0123456789',
      REPORT_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
      REPORT_LINK_KEY: 'bench-report-link-key-0123456789-0123456789',
      SPID_STATIONS: spid.stationsEnv,
    }),
    close: async () => {
      await Promise.all([pdv.close(), spid.close()]);
    },
  };
}

/**
 * Spawn → "gateway ready" log line, in ms of wall time, and the CPU time (user + system, from /proc) the
 * gateway's process tree had used by then — on a loaded box the wall time mostly measures the other
 * work, the CPU time much less so.
 */
export async function timedStart(env: Record<string, string>, command?: readonly string[]): Promise<{ gw: GatewayProcess; bootMs: number; bootCpuMs: number }> {
  const t0 = performance.now();
  const gw = await GatewayProcess.start({ LOG_LEVEL: 'info', ...env }, 120_000, command ? { command } : {});
  const bootMs = Math.round(performance.now() - t0);
  return { gw, bootMs, bootCpuMs: treeCpuMs(gw.child.pid ?? -1) };
}

/** A process and all its descendants (tsx runs the gateway in a child node). */
function processTree(rootPid: number): number[] {
  const parents = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      // Field 4 of /proc/<pid>/stat, after the parenthesised command name.
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(Number(d), ppid);
    } catch {
      /* exited meanwhile */
    }
  }
  const tree = [rootPid];
  for (let i = 0; i < tree.length; i++) for (const [pid, ppid] of parents) if (ppid === tree[i]) tree.push(pid);
  return tree;
}

/**
 * CPU time of a process tree so far, in ms: utime + stime and cutime + cstime (fields 14–17 of
 * /proc/<pid>/stat), so children that already exited (PGlite's initdb child) count too.
 */
export function treeCpuMs(rootPid: number): number {
  const tick = 10; // USER_HZ is 100 on Linux
  let ticks = 0;
  for (const pid of processTree(rootPid)) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
    } catch {
      /* exited meanwhile */
    }
  }
  return ticks * tick;
}

/** Resident set of a process and all its descendants, in KiB. */
export function treeRssKiB(rootPid: number): { totalKiB: number; largestKiB: number } {
  const tree = processTree(rootPid);
  let totalKiB = 0;
  let largestKiB = 0;
  for (const pid of tree) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      const kib = m ? Number(m[1]) : 0;
      totalKiB += kib;
      largestKiB = Math.max(largestKiB, kib);
    } catch {
      /* exited meanwhile */
    }
  }
  return { totalKiB, largestKiB };
}

/** One Prometheus sample from the gateway's /metrics (prom-client default metrics, `idgw_` prefix). */
export async function metric(gw: GatewayProcess, name: string): Promise<number | null> {
  const text = await (await fetch(`http://127.0.0.1:${gw.port}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : null;
}

export const mib = (kib: number) => Math.round(kib / 1024);
export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

/** What the figures were measured on; they depend on it (the dev box is 2 shared cores). */
export function box(): { cpus: number; cpuModel: string; memGiB: number; node: string; loadavg1m: number } {
  const load = Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
  return { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memGiB: Math.round(totalmem() / 2 ** 30), node: process.version, loadavg1m: load };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
