/**
 * `npm run bench -- fanout N [--cpu-prof]`: N subscribers on the unfiltered
 * `transactionResponseChanged` feed of (1) the gateway (`node --import tsx
 * src/main.ts`, embedded PGlite + simulators, viewer tokens: auth, masking,
 * a store write) and (2) a bare graphql-ws reference server (one execution per
 * subscriber); the same client harness, in this one run. Then one event:
 * gateway = `requestProofOfLife` (time from the mutation's send), reference =
 * publish (time from the publish's send), to each subscriber's `next`.
 * Prints one JSON line per server and one with the ratios gateway/reference.
 * `--cpu-prof` writes the gateway's CPU profile (connect burst included) to bench/profiles/.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { signToken } from '../../src/auth/jwt';
import { loadConfig } from '../../src/config';
import { PDV_MAGIC_CPFS } from '../../src/simulators/provaDeVida';
import { connectClients, percentile, type HarnessResult } from './harness';

const ROOT = resolve(__dirname, '../..');
export const QUERY = 'subscription { transactionResponseChanged { seq type at transaction { id cpf status kind reason autoAuthorized createdAt updatedAt version } } }';

interface Line {
  server: 'gateway' | 'reference';
  subscribers: number;
  connected: number;
  connectedInMs: number;
  delivered: number;
  p50Ms: number;
  p99Ms: number;
  rssPerSubscriberKiB: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

/** Spawns a node process and resolves with the first stdout JSON line matching `ready`. */
export function spawnReady(args: string[], env: Record<string, string>, ready: (j: Record<string, unknown>) => number | null): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((res, rej) => {
    let buf = '';
    const onData = (c: Buffer) => {
      buf += c.toString();
      for (const line of buf.split('\n')) {
        if (!line.startsWith('{')) continue;
        try {
          const port = ready(JSON.parse(line) as Record<string, unknown>);
          if (port) {
            child.stdout?.off('data', onData);
            child.stdout?.resume();
            return res({ child, port });
          }
        } catch {
          /* partial line */
        }
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => rej(new Error(`exited ${code}: ${buf.slice(-2000)}`)));
  });
}

/**
 * Connects in two halves and samples the server's RSS after each (settled):
 * per-subscriber memory = growth over the second half / its size. Sampling
 * "before any client" instead mixes in boot garbage the GC returns later.
 */
/** `--burst`: every handshake at once (dashboards reconnecting after a restart); default 200 in flight. */
let handshakesInFlight: number | undefined;

async function connectMeasured(pid: number, opts: Parameters<typeof connectClients>[0]): Promise<{ h: HarnessResult; rssPerSubscriberKiB: number }> {
  if (handshakesInFlight !== undefined) opts = { ...opts, concurrency: handshakesInFlight };
  const half = Math.floor(opts.n / 2);
  const a = await connectClients({ ...opts, n: half });
  await sleep(1500);
  const r1 = rssKiB(pid);
  const b = await connectClients({ ...opts, n: opts.n - half, init: (i) => opts.init(half + i) });
  await sleep(1500);
  const r2 = rssKiB(pid);
  const h: HarnessResult = {
    connectedInMs: a.connectedInMs + b.connectedInMs,
    connected: a.connected + b.connected,
    sockets: [...a.sockets, ...b.sockets],
    get arrivals() {
      const all = new Float64Array(a.arrivals.length + b.arrivals.length);
      all.set(a.arrivals);
      all.set(b.arrivals, a.arrivals.length);
      return all;
    },
    arm: () => {
      a.arm();
      b.arm();
    },
    close: () => {
      a.close();
      b.close();
    },
  };
  return { h, rssPerSubscriberKiB: Math.round(((r2 - r1) / (opts.n - half)) * 10) / 10 };
}

function summarize(server: Line['server'], n: number, h: HarnessResult, t0: number, rssPerSubscriberKiB: number): Line {
  const lat = Array.from(h.arrivals)
    .filter((x) => !Number.isNaN(x))
    .map((x) => x - t0)
    .sort((a, b) => a - b);
  return {
    server,
    subscribers: n,
    connected: h.connected,
    connectedInMs: Math.round(h.connectedInMs),
    delivered: lat.length,
    p50Ms: Math.round(percentile(lat, 50)),
    p99Ms: Math.round(percentile(lat, 99)),
    rssPerSubscriberKiB,
  };
}

async function waitDelivered(h: HarnessResult, expected: number, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    let got = 0;
    for (const a of h.arrivals) if (!Number.isNaN(a)) got++;
    if (got >= expected) return;
    await sleep(50);
  }
}

/** The gateway as `npm start` runs it (embedded store, simulators), port 0 everywhere: nothing to collide with on this box. */
export function gatewayEnv(dataDir: string): Record<string, string> {
  return {
    DATA_DIR: dataDir,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    SIMULATOR_PDV_PORT: '0',
    SIMULATOR_PDV_CONTROL_PORT: '0',
    SIMULATOR_SPID_BASE_PORT: '0',
    SIMULATOR_SPID_CONTROL_PORT: '0',
    SIMULATOR_SPID_REMOTE_PORT: '0',
    SIMULATOR_ANSWER_AFTER_SECONDS: '600',
    WS_MAX_SUBSCRIPTIONS_PER_USER: '100000',
    RATE_LIMIT_USER_PER_MINUTE: '100000',
  };
}

async function benchGateway(n: number, cpuProf: boolean): Promise<Line> {
  const dataDir = mkdtempSync(join(tmpdir(), 'fanout-bench-'));
  const env = gatewayEnv(dataDir);
  const profDir = resolve(ROOT, 'bench/profiles');
  if (cpuProf) mkdirSync(profDir, { recursive: true });
  const args = [...(cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : []), '--import', 'tsx', 'src/main.ts'];
  const { child, port } = await spawnReady(args, env, (j) => (j['msg'] === 'gateway ready' && typeof j['port'] === 'number' ? j['port'] : null));
  try {
    const jwt = loadConfig({ NODE_ENV: 'development', ...env }).jwt;
    const tokens = await Promise.all(Array.from({ length: n }, (_, i) => signToken(jwt, { sub: `dash-${i}`, role: 'viewer' })));
    const operator = await signToken(jwt, { sub: 'bench-operator', role: 'operator' });
    const mutate = () =>
      fetch(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${operator}` },
        body: JSON.stringify({ query: `mutation { requestProofOfLife(input: { cpf: "${PDV_MAGIC_CPFS.neverAnswers}", reason: "bench" }) { transaction { id } } }` }),
      });
    // A running gateway: upstream token cached, code warm. Not measured.
    await (await mutate()).text();
    await sleep(500);
    const { h, rssPerSubscriberKiB } = await connectMeasured(child.pid!, { url: `ws://127.0.0.1:${port}/graphql`, n, query: QUERY, init: (i) => ({ authorization: `Bearer ${tokens[i]}` }) });
    // Every subscription registered: the gateway's own gauge says so.
    const end = Date.now() + 60_000;
    while (Date.now() < end) {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const m = /^idgw_subscriptions (\d+)/m.exec(text);
      if (m && Number(m[1]) >= h.connected) break;
      await sleep(100);
    }
    await sleep(500);
    h.arm();
    const t0 = performance.now();
    const res = await mutate();
    if (!res.ok) throw new Error(`mutation failed: ${res.status} ${await res.text()}`);
    await waitDelivered(h, h.connected);
    const line = summarize('gateway', n, h, t0, rssPerSubscriberKiB);
    h.close();
    return line;
  } finally {
    await new Promise<void>((r) => {
      child.once('exit', () => r());
      child.kill('SIGTERM');
    });
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function benchReference(n: number): Promise<Line> {
  const { child, port } = await spawnReady(['--import', 'tsx', 'bench/fanout/reference-server.ts'], {}, (j) => (typeof j['port'] === 'number' ? j['port'] : null));
  try {
    await (await fetch(`http://127.0.0.1:${port}/publish`, { method: 'POST' })).text();
    await sleep(500);
    const { h, rssPerSubscriberKiB } = await connectMeasured(child.pid!, { url: `ws://127.0.0.1:${port}/graphql`, n, query: QUERY, init: () => ({}) });
    h.arm();
    const t0 = performance.now();
    await fetch(`http://127.0.0.1:${port}/publish`, { method: 'POST' });
    await waitDelivered(h, h.connected);
    const line = summarize('reference', n, h, t0, rssPerSubscriberKiB);
    h.close();
    return line;
  } finally {
    child.kill('SIGKILL');
  }
}

export async function main(args: string[]): Promise<void> {
  const n = Number(args.find((a) => /^\d+$/.test(a)) ?? 1000);
  const cpuProf = args.includes('--cpu-prof');
  if (args.includes('--burst')) handshakesInFlight = n;
  const ref = await benchReference(n);
  process.stdout.write(`${JSON.stringify(ref)}\n`);
  const gw = await benchGateway(n, cpuProf);
  process.stdout.write(`${JSON.stringify(gw)}\n`);
  const r = (a: number, b: number) => Math.round((a / b) * 100) / 100;
  process.stdout.write(
    `${JSON.stringify({ ratio: 'gateway/reference', subscribers: n, connectedIn: r(gw.connectedInMs, ref.connectedInMs), p50: r(gw.p50Ms, ref.p50Ms), p99: r(gw.p99Ms, ref.p99Ms), rssPerSubscriber: r(gw.rssPerSubscriberKiB, ref.rssPerSubscriberKiB) })}\n`,
  );
}
