/**
 * Fail fast, say all: an unreachable DATABASE_URL or REDIS_URL stops the
 * process within 5 s with one stderr line naming the variable (no URL, no
 * credentials, no stack); several config errors are reported in one start.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { createServer, type Server, type Socket } from 'node:net';
import { createTestDatabase, requirePostgresSync } from '../helpers/services';
import { freePort } from './support';

const ROOT = resolve(__dirname, '../..');
const TSX = resolve(ROOT, 'node_modules/.bin/tsx');
const PG = requirePostgresSync();
const d = PG ? describe : describe.skip;

interface Exit {
  code: number | null;
  stderr: string;
  stdout: string;
  /** From spawn to exit, including tsx compiling the gateway. */
  ms: number;
  /** From the gateway's 'starting' log line (modules loaded, config read) to exit: the gateway's own part. */
  sinceStartingMs: number | null;
}

function run(env: Record<string, string>, timeoutMs = 20_000): Promise<Exit> {
  const t0 = Date.now();
  const child = spawn(TSX, ['src/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'test', HOST: '127.0.0.1', PORT: '0', SIMULATORS: 'false', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  let startingAt: number | null = null;
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
    if (startingAt === null && stdout.includes('"msg":"starting"')) startingAt = Date.now();
  });
  return new Promise((r) => {
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(t);
      const end = Date.now();
      r({ code, stderr, stdout, ms: end - t0, sinceStartingMs: startingAt === null ? null : end - startingAt });
    });
  });
}

/** How long tsx takes to reach a config error on this machine (reported next to the measures). */
let baselineMs = 0;

describe('config errors', () => {
  test('every problem is reported in one start, one line per variable', async () => {
    const r = await run({ NODE_ENV: 'production', PORT: 'eighty', POLL_INTERVAL_MS: '5', REDIS_URL: 'not a url' });
    baselineMs = r.ms;
    expect(r.code).toBe(2);
    const named = r.stderr
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.trim().split(':')[0]);
    expect(named.sort()).toEqual(
      ['JWT_SECRET', 'PDV_BASE_URL', 'PDV_CLIENT_ID/PDV_CLIENT_SECRET', 'POLL_INTERVAL_MS', 'PORT', 'PSEUDONYM_KEY', 'REDIS_URL', 'REPORT_ENCRYPTION_KEY', 'REPORT_LINK_KEY', 'SPID_STATIONS'].sort(),
    );
  }, 30_000);
});

d('unreachable dependencies at boot', () => {
  const upstreams = {
    PDV_BASE_URL: 'http://127.0.0.1:9',
    SPID_STATIONS: JSON.stringify([{ id: 'desk-1', name: 'Desk 1', baseUrl: 'http://127.0.0.1:9/gbs-spid-services/api' }]),
  };
  let silent: Server;
  const held = new Set<Socket>();
  let silentPort: number;
  let db: { url: string; drop(): Promise<void> };

  beforeAll(async () => {
    // Accepts connections and never answers: a host that swallows traffic.
    silent = createServer((s) => void held.add(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    silentPort = (silent.address() as { port: number }).port;
    db = await createTestDatabase(PG!);
  });
  afterAll(async () => {
    for (const s of held) s.destroy();
    await new Promise<void>((r) => silent.close(() => r()));
    await db.drop();
  });

  const expectOneLine = (r: Exit, variable: string, secret: string) => {
    process.stdout.write(`[measure] ${variable} unreachable: exit ${r.code} ${r.sinceStartingMs} ms after 'starting' (${r.ms} ms after spawn, tsx included; config-error run ${baselineMs} ms)\n`);
    expect(r.code).toBe(1);
    // The bound is on the gateway's own part: tsx loading the sources takes 1–8 s on this shared machine.
    expect(r.sinceStartingMs).not.toBeNull();
    expect(r.sinceStartingMs!).toBeLessThan(5000);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^gateway failed to start: ${variable}: (PostgreSQL|Redis) is unreachable`));
    expect(r.stderr).not.toContain(secret);
    expect(r.stdout).not.toContain(secret);
  };

  test('DATABASE_URL refusing connections', async () => {
    const port = await freePort();
    const r = await run({ ...upstreams, DATABASE_URL: `postgres://gw:s3cr3t-pw@127.0.0.1:${port}/x` });
    expectOneLine(r, 'DATABASE_URL', 's3cr3t-pw');
  }, 30_000);

  test('DATABASE_URL on a host that never answers', async () => {
    const r = await run({ ...upstreams, DATABASE_URL: `postgres://gw:s3cr3t-pw@127.0.0.1:${silentPort}/x` });
    expectOneLine(r, 'DATABASE_URL', 's3cr3t-pw');
  }, 30_000);

  test('REDIS_URL refusing connections (PostgreSQL fine)', async () => {
    const port = await freePort();
    const r = await run({ ...upstreams, DATABASE_URL: db.url, REDIS_URL: `redis://:s3cr3t-pw@127.0.0.1:${port}` });
    expectOneLine(r, 'REDIS_URL', 's3cr3t-pw');
  }, 30_000);

  test('REDIS_URL on a host that never answers', async () => {
    const r = await run({ ...upstreams, DATABASE_URL: db.url, REDIS_URL: `redis://:s3cr3t-pw@127.0.0.1:${silentPort}` });
    expectOneLine(r, 'REDIS_URL', 's3cr3t-pw');
  }, 30_000);
});
