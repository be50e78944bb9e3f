/**
 * Shared pieces of the fault tests: a private redis-server the test may kill
 * and restart, a TCP proxy in front of PostgreSQL that can refuse or swallow
 * traffic (an outage without touching the shared server), GraphQL calls that
 * report their duration, and a gateway process stack (own database, own
 * Redis, own simulators).
 */
import { unwrap } from '../helpers/payload';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, Socket, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { Client } from 'pg';
import { signToken, type Role } from '../../src/auth/jwt';
import { loadConfig } from '../../src/config';
import { PdvSim, SpidSim, sleep } from '../helpers/gateway';
import { GatewayProcess } from '../helpers/process';
import { createTestDatabase } from '../helpers/services';
import { rawKey } from '../helpers/ids';

export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** A redis-server of this test only (own port, own temp dir); killed with SIGKILL, never the shared one. */
export class PrivateRedis {
  private child: ChildProcess | null = null;
  private readonly dir = mkdtempSync(join(tmpdir(), 'idgw-redis-'));
  private constructor(readonly port: number) {}

  static async start(): Promise<PrivateRedis> {
    const r = new PrivateRedis(await freePort());
    await r.launch();
    return r;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** `--save ''`: nothing is written unless the test calls `save()` (then a restart loads it). */
  private async launch(): Promise<void> {
    this.child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir, '--dbfilename', 'dump.rdb'], {
      stdio: 'ignore',
    });
    const c = new Redis(this.url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0, enableOfflineQueue: false });
    c.on('error', () => undefined);
    const end = Date.now() + 10_000;
    for (;;) {
      try {
        await c.connect();
        await c.ping();
        break;
      } catch {
        if (Date.now() > end) throw new Error('private redis-server did not start');
        await sleep(50);
      }
    }
    c.disconnect();
  }

  /** A snapshot to dump.rdb, loaded by the next `restart({ withData: true })`. */
  async save(): Promise<void> {
    const c = new Redis(this.url, { maxRetriesPerRequest: 0 });
    try {
      await c.save();
    } finally {
      c.disconnect();
    }
  }

  /** SIGKILL: Redis gone at once, as in a crash. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((r) => {
      child.once('exit', () => r());
      child.kill('SIGKILL');
    });
  }

  /** Same port; `withData: false` removes the snapshot first (a Redis without persistence). */
  async restart(opts: { withData: boolean }): Promise<void> {
    await this.kill();
    if (!opts.withData) rmSync(join(this.dir, 'dump.rdb'), { force: true });
    await this.launch();
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * TCP proxy to PostgreSQL: `pass` forwards, `refuse` closes every connection
 * (existing and new: a server gone), `blackhole` accepts and forwards nothing
 * (a network that silently drops packets).
 */
export class PgProxy {
  private mode: 'pass' | 'refuse' | 'blackhole' = 'pass';
  private readonly pairs = new Set<[Socket, Socket]>();
  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(target: { host: string; port: number }): Promise<PgProxy> {
    let proxy!: PgProxy;
    const server = createServer((client) => proxy.accept(client, target));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    proxy = new PgProxy(server, (server.address() as AddressInfo).port);
    return proxy;
  }

  private accept(client: Socket, target: { host: string; port: number }): void {
    client.on('error', () => undefined);
    if (this.mode === 'refuse') return void client.destroy();
    if (this.mode === 'blackhole') return void this.pairs.add([client, client]);
    const upstream = new Socket();
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    const pair: [Socket, Socket] = [client, upstream];
    this.pairs.add(pair);
    const drop = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', drop);
    upstream.on('close', drop);
    upstream.connect(target.port, target.host, () => {
      client.on('data', (d) => this.mode === 'pass' && upstream.write(d));
      upstream.on('data', (d) => this.mode === 'pass' && client.write(d));
    });
  }

  /** Rewrites a PostgreSQL URL to go through this proxy. */
  urlFor(pgUrl: string): string {
    const u = new URL(pgUrl);
    u.host = `127.0.0.1:${this.port}`;
    return u.toString();
  }

  setMode(mode: 'pass' | 'refuse' | 'blackhole'): void {
    this.mode = mode;
    if (mode === 'refuse') for (const [a, b] of this.pairs) (a.destroy(), b.destroy());
    if (mode === 'pass') {
      // Connections held during a blackhole carry half-sent traffic: drop them; the pool reconnects.
      for (const [a, b] of this.pairs) (a.destroy(), b.destroy());
      this.pairs.clear();
    }
  }

  async close(): Promise<void> {
    for (const [a, b] of this.pairs) (a.destroy(), b.destroy());
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

/** `pg_terminate_backend` of every connection to `dbName` but ours (what a failover does to the gateway). */
export async function terminateBackends(adminUrl: string, dbName: string): Promise<number> {
  const c = new Client({ connectionString: adminUrl });
  await c.connect();
  try {
    const r = await c.query('select pg_terminate_backend(pid) as t from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [dbName]);
    return r.rowCount ?? 0;
  } finally {
    await c.end();
  }
}

/** A query on the test's own database (to compare the store with the simulator). */
export async function queryDb<T>(dbUrl: string, text: string): Promise<T[]> {
  const c = new Client({ connectionString: dbUrl });
  await c.connect();
  try {
    return (await c.query(text)).rows as T[];
  } finally {
    await c.end();
  }
}

const jwt = loadConfig({ NODE_ENV: 'test' }).jwt;

export interface Answer<T = Record<string, unknown>> {
  data: T | null;
  /** The first error's code, or null. */
  code: string | null;
  ms: number;
}

/** One GraphQL call over HTTP; never throws on GraphQL errors (the code is the assertion). */
export async function call<T = Record<string, unknown>>(url: string, query: string, variables: Record<string, unknown> = {}, role: Role = 'admin'): Promise<Answer<T>> {
  const t0 = Date.now();
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await signToken(jwt, { sub: `faults-${role}`, role })}` },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(30_000),
  });
  const body = (await res.json()) as { data?: T | null; errors?: { extensions?: { code?: string } }[] };
  // A mutation's expected refusal is a userError in its payload: the same code, the entity null.
  const userError = Object.values(body.data ?? {}).flatMap((v) => ((v as { userErrors?: { code: string }[] } | null)?.userErrors ?? []))[0]?.code ?? null;
  // A refused mutation leaves its (nullable) payload null beside the error: no data, as before payloads.
  const data = body.data && !userError && !body.errors?.length ? (unwrap(body.data) as T) : null;
  return { data, code: body.errors?.[0]?.extensions?.code ?? userError, ms: Date.now() - t0 };
}

export const REQUEST_POL = `mutation($cpf: CPF!, $r: String!) { requestProofOfLife(input: { cpf: $cpf, reason: $r }) { transaction { id status } userErrors { code } } }`;
export const TX_STATUS = `query($id: ID!) { transaction(id: $id) { id status } }`;
export const LOGIN = `mutation($s: ID!, $o: CPF!) { loginOperator(stationId: $s, operatorCpf: $o) { station { id } status userErrors { code } } }`;
export const START_CAPTURE = `mutation($s: ID!, $c: CPF!) { startPresentialCapture(stationId: $s, cpf: $c) { capture { id status } userErrors { code } } }`;
export const CAPTURE_STATUS = `query($id: ID!) { capture(id: $id) { id status } }`;

/** Lines the gateway's last-resort handler wrote (must stay empty). */
export function unhandledLines(logs: string): string[] {
  return logs.split('\n').filter((l) => l.includes('"msg":"unhandled error"'));
}

/** A gateway process on its own database, its own redis-server and its own simulators. */
export class FaultStack {
  private constructor(
    readonly db: { url: string; drop(): Promise<void> },
    readonly dbName: string,
    readonly redis: PrivateRedis,
    readonly pdv: PdvSim,
    readonly spid: SpidSim,
    readonly proxy: PgProxy,
    readonly env: Record<string, string>,
    public gw: GatewayProcess,
  ) {}

  static async start(pgUrl: string, extraEnv: Record<string, string> = {}): Promise<FaultStack> {
    const db = await createTestDatabase(pgUrl);
    const dbName = new URL(db.url).pathname.slice(1);
    const redis = await PrivateRedis.start();
    const pdv = await PdvSim.start({ answerAfterMs: 600_000 });
    const spid = await SpidSim.start({
      timings: { clientCaptureMs: 300, operatorCaptureMs: 300, verifyProcessingMs: 300, enrollProcessingMs: 400, loginSettleMs: 20 },
    });
    const u = new URL(db.url);
    const proxy = await PgProxy.start({ host: u.hostname, port: Number(u.port || 5432) });
    const env = {
      DATABASE_URL: proxy.urlFor(db.url),
      REDIS_URL: redis.url,
      PDV_BASE_URL: pdv.url,
      SPID_STATIONS: spid.stationsEnv,
      POLL_INTERVAL_MS: '500',
      POLL_BACKOFF_FACTOR: '1',
      POLL_MAX_INTERVAL_MS: '500',
      EVENT_SAFETY_TAIL_MS: '500',
      RATE_LIMIT_USER_PER_MINUTE: '10000',
      RATE_LIMIT_IP_PER_MINUTE: '10000',
      ...extraEnv,
    };
    const gw = await GatewayProcess.start(env);
    return new FaultStack(db, dbName, redis, pdv, spid, proxy, env, gw);
  }

  get alive(): boolean {
    return this.gw.child.exitCode === null && this.gw.child.signalCode === null;
  }

  async readyz(): Promise<number> {
    return (await fetch(`http://127.0.0.1:${this.gw.port}/readyz`)).status;
  }

  /** Open proofs of life the citizen has not answered yet (answered later through the control API). */
  async openTransactions(n: number, cpf: string): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const a = await call<{ requestProofOfLife: { id: string } }>(this.gw.url, REQUEST_POL, { cpf, r: `fault ${i}` }, 'operator');
      if (!a.data) throw new Error(`requestProofOfLife failed: ${a.code}`);
      ids.push(a.data.requestProofOfLife.id);
    }
    return ids;
  }

  /**
   * The simulated citizen answers: the control API speaks the upstream's ids,
   * and a gateway id is its own (the upstream id is kept beside it since intent rows).
   */
  async answer(ids: string[]): Promise<void> {
    const rows = await queryDb<{ id: string; upstream_id: string | null }>(this.db.url, 'select id, upstream_id from transactions');
    const upstream = new Map(rows.map((r) => [r.id, r.upstream_id]));
    for (const id of ids) {
      const u = upstream.get(rawKey(id));
      if (!u) throw new Error(`transaction ${id} has no upstream id`);
      await this.pdv.control('POST', `/transactions/${u}/answer`, { authorized: true });
    }
  }

  async statuses(ids: string[]): Promise<(string | undefined)[]> {
    return Promise.all(ids.map(async (id) => (await call<{ transaction: { status: string } | null }>(this.gw.url, TX_STATUS, { id }, 'viewer')).data?.transaction?.status));
  }

  async close(): Promise<void> {
    await this.gw.stop();
    await Promise.all([this.pdv.close(), this.spid.close(), this.proxy.close(), this.redis.stop()]);
    await this.db.drop();
  }
}

/** One FaultStack for the enclosing `describe` (started before its tests, closed after). */
export function useFaultStack(pgUrl: () => string): () => FaultStack {
  let s: FaultStack | undefined;
  beforeAll(async () => {
    s = await FaultStack.start(pgUrl());
  }, 120_000);
  afterAll(async () => {
    await s?.close();
  }, 60_000);
  return () => {
    if (!s) throw new Error('FaultStack not started');
    return s;
  };
}
