import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import type { Logger } from 'pino';
import { Client, Pool, type PoolConfig } from 'pg';
import { UnreachableDependencyError } from '../boot-checks';
import { schema } from './schema';
import { MIGRATIONS_FOLDER } from './migrations-folder';
import { Store, type Db } from './store';

/** Session-level lock so that N instances booting at once apply migrations once, one after another. */
const MIGRATION_LOCK = 7_340_000;
/** A request may wait this many store timeouts for a free pooled connection. */
const POOL_WAIT_FACTOR = 5;

export interface PostgresStoreOptions {
  /** @default 10 */
  poolSize?: number;
  /**
   * Bound on connecting and on every statement (server-side `statement_timeout`,
   * client-side `query_timeout` for a silent network), so a request during an
   * outage fails with STORE_UNAVAILABLE instead of waiting.
   * @default 1000
   */
  timeoutMs?: number;
  logger?: Logger | undefined;
}

/**
 * Scale-out adapter: PostgreSQL through node-postgres, same schema and migrations as PGlite.
 *
 * Connection loss (a failover, `pg_terminate_backend`, a server restart) is
 * an 'error' event on an idle client, which node-postgres re-emits on the
 * pool: without a listener that kills the process. Here it is logged and the
 * pool drops the client; the next query opens a fresh connection.
 */
export async function openPostgresStore(url: string, opts: PostgresStoreOptions = {}): Promise<Store> {
  const timeoutMs = opts.timeoutMs ?? 1000;
  const logger = opts.logger;
  const base: PoolConfig = { connectionString: url, connectionTimeoutMillis: timeoutMs };

  // Migrations get their own connection without statement timeouts: waiting for
  // another instance's migration lock, or a long migration, is legitimate at boot.
  const conn = new Client(base);
  conn.on('error', (err) => logger?.warn({ err: brief(err) }, 'store: migration connection error'));
  try {
    await conn.connect();
  } catch (err) {
    await conn.end().catch(() => undefined);
    throw new UnreachableDependencyError('DATABASE_URL', 'PostgreSQL', err);
  }
  try {
    await conn.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await migrate(drizzle(conn, { schema }), { migrationsFolder: MIGRATIONS_FOLDER });
  } finally {
    await conn.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    await conn.end().catch(() => undefined);
  }

  // node-postgres uses connectionTimeoutMillis both for opening a connection
  // and for waiting for a free one in a busy pool. Only the first says the
  // server is away; under load a request may queue longer (a dead server
  // still fails the waiters fast: their new connections fail).
  class BoundedConnectClient extends Client {
    constructor(config: PoolConfig) {
      super({ ...config, connectionTimeoutMillis: timeoutMs });
    }
  }
  const pool = new Pool({
    ...base,
    connectionTimeoutMillis: timeoutMs * POOL_WAIT_FACTOR,
    Client: BoundedConnectClient as unknown as PoolConfig['Client'],
    max: opts.poolSize ?? 10,
    statement_timeout: timeoutMs,
    // A little longer than the server's own timeout: only fires when the server is silent.
    query_timeout: timeoutMs + 250,
    // Dead peers behind a silent network are noticed by TCP instead of never.
    keepAlive: true,
  });
  // Idle clients: the pool removes a broken one itself; we only need to not crash.
  pool.on('error', (err) => logger?.warn({ err: brief(err) }, 'store: idle connection lost; the pool reconnects on demand'));
  // Checked-out clients: an 'error' between queries (the query itself rejects) must not crash either.
  pool.on('connect', (client) => {
    client.on('error', (err) => logger?.debug({ err: brief(err) }, 'store: connection error'));
  });
  const db = drizzle(pool, { schema });
  await db.execute(sql`select 1`);
  return new Store(db as unknown as Db, () => pool.end(), 'postgres');
}

/** Code and message only: a pg error's other fields may carry SQL or connection details. */
function brief(err: Error): { code?: unknown; message: string } {
  return { code: (err as { code?: unknown }).code, message: err.message };
}
