/**
 * Bench plumbing: child servers in their own process group (so their CPU can
 * be read from /proc, tsx's child node included), and a closed-loop load
 * generator on an undici Pool.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Pool } from 'undici';

export const ROOT = resolve(__dirname, '..', '..');
const TSX = resolve(ROOT, 'node_modules/.bin/tsx');
/** USER_HZ: Linux reports utime/stime in 1/100 s on every platform Node runs on. */
const CLOCK_TICK_MS = 10;

export interface Child {
  proc: ChildProcess;
  url: string;
  /** utime+stime of every process in the child's process group, in ms. */
  cpuMs(): number;
  stop(): Promise<void>;
}

/** CPU time (ms) of all live processes whose process group is `pgid`. */
export function groupCpuMs(pgid: number): number {
  let ticks = 0;
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${d}/stat`, 'utf8');
    } catch {
      continue;
    }
    // Fields after the parenthesised command name: state ppid pgrp … utime(14) stime(15).
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(f[2]) !== pgid) continue;
    ticks += Number(f[11]) + Number(f[12]);
  }
  return ticks * CLOCK_TICK_MS;
}

/** Spawns `tsx <script>` detached and waits until a stdout line matches `ready` (returns the URL it yields). */
export function spawnServer(
  script: string,
  env: NodeJS.ProcessEnv,
  ready: (line: string) => string | null,
  opts: { timeoutMs?: number; nodeArgs?: string[] } = {},
): Promise<Child> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  // Node flags such as --cpu-prof are refused in NODE_OPTIONS: then run node itself with tsx as a loader.
  const [cmd, args] = opts.nodeArgs ? [process.execPath, [...opts.nodeArgs, '--import', 'tsx', script]] : [TSX, [script]];
  const proc = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const pgid = proc.pid!;
  let errText = '';
  proc.stderr!.on('data', (c: Buffer) => {
    // BENCH_STDERR=1 passes the child's stderr through (ad-hoc timing while profiling).
    if (process.env['BENCH_STDERR']) process.stderr.write(c);
    if (errText.length < 4000) errText += c.toString();
  });
  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    try {
      process.kill(-pgid, 'SIGTERM');
    } catch {
      return;
    }
    const t = setTimeout(() => {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, 30_000);
    await exited;
    clearTimeout(t);
  };
  return new Promise((res, rej) => {
    let buf = '';
    let found = false;
    const timer = setTimeout(() => {
      void stop();
      rej(new Error(`${script} not ready after ${timeoutMs} ms: ${errText}`));
    }, timeoutMs);
    proc.stdout!.on('data', (c: Buffer) => {
      if (found) return; // keep draining the pipe, ignore the logs
      buf += c.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        const url = ready(line);
        if (url) {
          found = true;
          clearTimeout(timer);
          res({ proc, url, cpuMs: () => groupCpuMs(pgid), stop });
          return;
        }
      }
    });
    proc.once('exit', (code) => {
      if (found) return;
      clearTimeout(timer);
      rej(new Error(`${script} exited with ${code}: ${errText}`));
    });
  });
}

/** Node flags for a bench's gateway from the environment: BENCH_CPU_PROF_DIR (`--cpu-prof`, written at exit) and BENCH_NODE_ARGS. */
export function benchNodeArgs(): string[] | undefined {
  const args = [
    ...(process.env['BENCH_CPU_PROF_DIR'] ? ['--cpu-prof', `--cpu-prof-dir=${process.env['BENCH_CPU_PROF_DIR']}`] : []),
    ...(process.env['BENCH_NODE_ARGS']?.split(' ').filter(Boolean) ?? []),
  ];
  return args.length ? args : undefined;
}

/** The gateway as `npm start` runs it (simulators in-process), on free ports and a throwaway data dir. */
export async function spawnGateway(env: NodeJS.ProcessEnv = {}, nodeArgs?: string[]): Promise<Child & { dataDir: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'idgw-bench-'));
  const child = await spawnServer(
    'src/main.ts',
    {
      DATA_DIR: dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      SIMULATOR_PDV_PORT: '0',
      SIMULATOR_PDV_CONTROL_PORT: '0',
      SIMULATOR_SPID_BASE_PORT: '0',
      SIMULATOR_SPID_CONTROL_PORT: '0',
      SIMULATOR_SPID_REMOTE_PORT: '0',
      RATE_LIMIT_USER_PER_MINUTE: '1000000',
      RATE_LIMIT_IP_PER_MINUTE: '1000000',
      // The query budget is per user: a bench sends thousands a second as one user.
      RATE_LIMIT_QUERY_COST_PER_MINUTE: '100000000',
      ...env,
    },
    (line) => {
      if (!line.includes('"msg":"gateway ready"')) return null;
      const port = (JSON.parse(line) as { port: number }).port;
      return `http://127.0.0.1:${port}/graphql`;
    },
    nodeArgs ? { nodeArgs } : {},
  );
  return {
    ...child,
    dataDir,
    stop: async () => {
      await child.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  latenciesMs: number[];
}

/** Closed loop: `connections` requests in flight for `seconds`, each POSTing `body`. */
export async function load(url: string, body: string, headers: Record<string, string>, connections: number, seconds: number): Promise<LoadResult> {
  const u = new URL(url);
  const pool = new Pool(u.origin, { connections, pipelining: 1 });
  const latenciesMs: number[] = [];
  let errors = 0;
  let firstError: string | null = null;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  const worker = async () => {
    while (performance.now() < end) {
      const s = performance.now();
      try {
        const r = await pool.request({ method: 'POST', path: u.pathname, headers: { 'content-type': 'application/json', ...headers }, body });
        const text = await r.body.text();
        if (r.statusCode !== 200 || text.includes('"errors"')) {
          errors++;
          firstError ??= `${r.statusCode} ${text.slice(0, 300)}`;
        }
      } catch (err) {
        errors++;
        firstError ??= err instanceof Error ? err.message : String(err);
      }
      latenciesMs.push(performance.now() - s);
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  const secs = (performance.now() - t0) / 1000;
  await pool.close();
  // A bench that measures error responses measures nothing: say what came back.
  if (firstError) process.stderr.write(`load ${url}: ${errors} errors, first: ${firstError}\n`);
  return { requests: latenciesMs.length, errors, seconds: secs, latenciesMs };
}

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export const round1 = (n: number) => Math.round(n * 10) / 10;
export const round2 = (n: number) => Math.round(n * 100) / 100;

/** What the numbers were measured on: benches on a shared box are only comparable within one run. */
export function box(): { cpus: number; model: string; loadavg1: number } {
  const c = cpus();
  return { cpus: c.length, model: c[0]?.model.trim() ?? 'unknown', loadavg1: round2(loadavg()[0]!) };
}

export async function gql<T>(url: string, token: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const r = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const j = (await r.json()) as { data?: T; errors?: { message: string; extensions?: { code?: string } }[] };
  if (j.errors?.length) throw new Error(`GraphQL error ${j.errors[0]!.extensions?.code ?? ''}: ${j.errors[0]!.message}`);
  return j.data as T;
}
