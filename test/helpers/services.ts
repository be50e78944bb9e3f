/**
 * Probes for the real services the scale-out tests need (Redis, PostgreSQL).
 *
 * Policy: when a service is reachable the probe returns its URL. When it is
 * not, in CI (`CI=true`) the probe THROWS (a missing service must fail the
 * build, never silently skip it); locally it returns null and prints once
 * `SKIP: <service> not reachable at <url>; scale-out tests skipped (they run in CI)`.
 *
 * How to use it in a test file. Jest test files here are CommonJS (no
 * top-level await) and `describe` callbacks must be synchronous, so the
 * decision "run or skip" has to be taken synchronously when the file loads.
 * Use the `*Sync` probes for that; they run the very same async probe in a
 * short-lived child process (spawnSync, ~1 s worst case):
 *
 * ```ts
 * const REDIS = requireRedisSync();            // throws in CI when Redis is down
 * const d = REDIS ? describe : describe.skip;  // locally: reported as skipped
 * d('scale-out thing', () => {
 *   const redisUrl = REDIS!;
 *   ...
 * });
 * ```
 *
 * A throw at load time makes Jest report the whole file as failed, with the
 * message naming the missing service. Skipped tests show up as skipped in the
 * summary (not as passed), which is why this is preferred over a `beforeAll`
 * flag plus early `return` in every test. The async `requireRedis()` /
 * `requirePostgres()` are there for code that is already async (e.g. a
 * `beforeAll` that needs a URL, scripts).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { Client } from 'pg';

export const REDIS_URL = 'redis://127.0.0.1:6379';
const PG_HOST = '127.0.0.1:5432';
const PG_DB = 'test';
/** Users tried in order (the server allows trust auth). */
const PG_USERS = ['postgres', 'root'];
const PROBE_TIMEOUT_MS = 1000;

const skipPrinted = new Set<string>();

function missing(service: string, url: string, cause?: string): null {
  if (process.env.CI === 'true') {
    throw new Error(`${service} not reachable at ${url}${cause ? ` (${cause})` : ''}: required in CI for the scale-out tests`);
  }
  if (!skipPrinted.has(service)) {
    skipPrinted.add(service);
    process.stderr.write(`SKIP: ${service} not reachable at ${url}; scale-out tests skipped (they run in CI)\n`);
  }
  return null;
}

async function probeRedis(url: string): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: PROBE_TIMEOUT_MS,
    commandTimeout: PROBE_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

function pgUrl(user: string, db = PG_DB): string {
  return `postgres://${user}@${PG_HOST}/${db}`;
}

async function probePostgres(): Promise<string | null> {
  for (const user of PG_USERS) {
    const url = pgUrl(user);
    const client = new Client({ connectionString: url, connectionTimeoutMillis: PROBE_TIMEOUT_MS });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.query('select 1');
      return url;
    } catch {
      // next user
    } finally {
      await client.end().catch(() => {});
    }
  }
  return null;
}

/** Redis URL when reachable; null (local) or throw (CI) otherwise. */
export async function requireRedis(): Promise<string | null> {
  return (await probeRedis(REDIS_URL)) ? REDIS_URL : missing('Redis', REDIS_URL);
}

/** PostgreSQL URL (database `test`) when reachable; null (local) or throw (CI) otherwise. */
export async function requirePostgres(): Promise<string | null> {
  return (await probePostgres()) ?? missing('PostgreSQL', pgUrl(PG_USERS[0]!));
}

/**
 * Runs a probe in a child Node process and waits for it, so a test file can
 * pick `describe` / `describe.skip` synchronously at load time.
 */
function probeSync(kind: 'redis' | 'postgres'): string | null {
  const script = `
    const kind = process.argv[1];
    const timeout = ${PROBE_TIMEOUT_MS};
    const done = (v) => { process.stdout.write(v || ''); process.exit(0); };
    (async () => {
      if (kind === 'redis') {
        const Redis = require(${JSON.stringify(require.resolve('ioredis'))});
        const c = new Redis(${JSON.stringify(REDIS_URL)}, { lazyConnect: true, connectTimeout: timeout, commandTimeout: timeout,
          maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
        c.on('error', () => {});
        try { await c.connect(); done((await c.ping()) === 'PONG' ? ${JSON.stringify(REDIS_URL)} : ''); } catch { done(''); }
      } else {
        const { Client } = require(${JSON.stringify(require.resolve('pg'))});
        for (const url of ${JSON.stringify(PG_USERS.map((u) => pgUrl(u)))}) {
          const c = new Client({ connectionString: url, connectionTimeoutMillis: timeout });
          c.on('error', () => {});
          try { await c.connect(); await c.query('select 1'); done(url); } catch { await c.end().catch(() => {}); }
        }
        done('');
      }
    })().catch(() => done(''));
  `;
  const r = spawnSync(process.execPath, ['-e', script, kind], {
    encoding: 'utf8',
    timeout: PROBE_TIMEOUT_MS * (PG_USERS.length + 3),
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  const out = (r.stdout ?? '').trim();
  if (r.status === 0 && out) return out;
  const cause = r.error ? r.error.message : r.status !== 0 ? `probe exited ${r.status}: ${(r.stderr ?? '').slice(0, 300)}` : undefined;
  return kind === 'redis' ? missing('Redis', REDIS_URL, cause) : missing('PostgreSQL', pgUrl(PG_USERS[0]!), cause);
}

/** Synchronous `requireRedis` for choosing `describe` vs `describe.skip` at file load. */
export function requireRedisSync(): string | null {
  return probeSync('redis');
}

/** Synchronous `requirePostgres` for choosing `describe` vs `describe.skip` at file load. */
export function requirePostgresSync(): string | null {
  return probeSync('postgres');
}

/** A key / channel prefix unique to this test process and moment. */
export function uniquePrefix(): string {
  return `t${process.pid}x${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
}

/** Deletes every Redis key matching `${prefix}:*` (SCAN, not KEYS). */
export async function deleteRedisKeys(redisUrl: string, prefix: string): Promise<number> {
  const client = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  let n = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) n += await client.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
  return n;
}

/**
 * Creates a fresh database `idgw_<random>` on the server of `baseUrl` and
 * returns its URL; `drop()` terminates its connections and drops it.
 */
export async function createTestDatabase(baseUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `idgw_${randomBytes(6).toString('hex')}`;
  const admin = async <T>(fn: (c: Client) => Promise<T>): Promise<T> => {
    const c = new Client({ connectionString: baseUrl, connectionTimeoutMillis: 5000 });
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end().catch(() => {});
    }
  };
  // `name` is generated here ([a-z0-9_]), so interpolating it is safe.
  await admin((c) => c.query(`create database "${name}"`));
  const u = new URL(baseUrl);
  u.pathname = `/${name}`;
  let dropped = false;
  return {
    url: u.toString(),
    async drop() {
      if (dropped) return;
      dropped = true;
      await admin(async (c) => {
        await c.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [name]);
        await c.query(`drop database if exists "${name}"`);
      });
    },
  };
}
