/**
 * `npm run bench -- fanout-heap N`: where the gateway's memory per idle
 * subscriber goes. Starts the gateway with `--heapsnapshot-signal`, samples
 * RSS / V8 heap / external memory and writes a heap snapshot with 0 and with N
 * subscribers (the fan-out bench's clients and document), then prints the
 * per-subscriber difference by constructor (self size) and the RSS split.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signToken } from '../../src/auth/jwt';
import { loadConfig } from '../../src/config';
import { connectClients } from './harness';
import { gatewayEnv, QUERY, spawnReady } from './index';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Mem { rss: number; heapTotal: number; heapUsed: number; external: number }

async function metrics(port: number): Promise<Mem & { subscriptions: number }> {
  const t = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const g = (name: string, label = '') => {
    const m = new RegExp(`^${name}${label.replace(/[{}"]/g, '\\$&')} ([0-9.e+]+)`, 'm').exec(t);
    return m ? Number(m[1]) : NaN;
  };
  return {
    rss: g('idgw_process_resident_memory_bytes'),
    heapTotal: g('idgw_nodejs_heap_size_total_bytes'),
    heapUsed: g('idgw_nodejs_heap_size_used_bytes'),
    external: g('idgw_nodejs_external_memory_bytes'),
    subscriptions: g('idgw_subscriptions'),
  };
}

/** Self size and count per constructor (objects) or per node type (strings, code, native…). */
function byConstructor(file: string): Map<string, { size: number; count: number }> {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
    nodes: number[];
    strings: string[];
  };
  const f = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const w = f.length;
  const iType = f.indexOf('type'), iName = f.indexOf('name'), iSize = f.indexOf('self_size');
  const out = new Map<string, { size: number; count: number }>();
  for (let i = 0; i < snap.nodes.length; i += w) {
    const type = types[snap.nodes[i + iType]!]!;
    const name = type === 'object' || type === 'native' || type === 'closure' ? `${type}:${snap.strings[snap.nodes[i + iName]!]}` : type;
    const e = out.get(name) ?? { size: 0, count: 0 };
    e.size += snap.nodes[i + iSize]!;
    e.count++;
    out.set(name, e);
  }
  return out;
}

async function snapshot(pid: number, dir: string): Promise<string> {
  const before = new Set(readdirSync(dir));
  process.kill(pid, 'SIGUSR2');
  for (;;) {
    await sleep(500);
    const f = readdirSync(dir).find((x) => !before.has(x) && x.endsWith('.heapsnapshot'));
    if (f) {
      // Written in one go; wait until its size stops changing.
      let last = -1;
      for (;;) {
        const s = statSync(join(dir, f)).size;
        if (s === last) return join(dir, f);
        last = s;
        await sleep(1000);
      }
    }
  }
}

export async function heapMain(args: string[]): Promise<void> {
  const n = Number(args.find((a) => /^\d+$/.test(a)) ?? 2000);
  const dataDir = mkdtempSync(join(tmpdir(), 'fanout-heap-'));
  const snapDir = mkdtempSync(join(tmpdir(), 'fanout-snap-'));
  const env = gatewayEnv(dataDir);
  const nodeArgs = ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${snapDir}`];
  const { child, port } = await spawnReady([...nodeArgs, '--import', 'tsx', 'src/main.ts'], env, (j) => (j['msg'] === 'gateway ready' && typeof j['port'] === 'number' ? j['port'] : null));
  try {
    const jwt = loadConfig({ NODE_ENV: 'development', ...env }).jwt;
    const tokens = await Promise.all(Array.from({ length: n }, (_, i) => signToken(jwt, { sub: `dash-${i}`, role: 'viewer' })));
    // Warm: one client connects, subscribes and leaves (caches, code), as in a running gateway.
    const warm = await connectClients({ url: `ws://127.0.0.1:${port}/graphql`, n: 10, query: QUERY, init: (i) => ({ authorization: `Bearer ${tokens[i]}` }) });
    await sleep(500);
    warm.close();
    await sleep(1500);
    // `--no-snapshot`: only the RSS / heap / external split (a snapshot's own allocations inflate RSS).
    const snap = !args.includes('--no-snapshot');
    const s0 = snap ? await snapshot(child.pid!, snapDir) : '';
    const m0 = await metrics(port);
    const h = await connectClients({ url: `ws://127.0.0.1:${port}/graphql`, n, query: QUERY, init: (i) => ({ authorization: `Bearer ${tokens[i]}` }) });
    for (let i = 0; i < 600; i++) {
      if ((await metrics(port)).subscriptions >= h.connected) break;
      await sleep(100);
    }
    await sleep(1500);
    const per = (a: Mem, b: Mem) => Object.fromEntries((['rss', 'heapTotal', 'heapUsed', 'external'] as const).map((k) => [k, Math.round((b[k] - a[k]) / n)]));
    const m1 = await metrics(port);
    process.stdout.write(`${JSON.stringify({ subscribers: n, connected: h.connected, settledMs: 1500, perSubscriberBytes: per(m0, m1) })}\n`);
    if (!snap) {
      await sleep(10_000);
      process.stdout.write(`${JSON.stringify({ subscribers: n, settledMs: 11_500, perSubscriberBytes: per(m0, await metrics(port)) })}\n`);
      h.close();
      return;
    }
    const s1 = await snapshot(child.pid!, snapDir);
    const a = byConstructor(s0);
    const b = byConstructor(s1);
    const rows = [...b.entries()].map(([k, v]) => {
      const o = a.get(k) ?? { size: 0, count: 0 };
      return { k, bytes: (v.size - o.size) / n, count: (v.count - o.count) / n };
    });
    rows.sort((x, y) => y.bytes - x.bytes);
    let total = 0;
    for (const r of rows) total += r.bytes;
    process.stdout.write(`heap self size per subscriber: ${Math.round(total)} B\n`);
    for (const r of rows.slice(0, Number(process.env['TOP'] ?? 45))) process.stdout.write(`${r.bytes.toFixed(0).padStart(7)} B  ${r.count.toFixed(2).padStart(6)}×  ${r.k}\n`);
    h.close();
  } finally {
    await new Promise<void>((r) => {
      child.once('exit', () => r());
      child.kill('SIGTERM');
    });
    rmSync(dataDir, { recursive: true, force: true });
    if (!process.env['KEEP_SNAPSHOTS']) rmSync(snapDir, { recursive: true, force: true });
    else process.stderr.write(`snapshots in ${snapDir}\n`);
  }
}
