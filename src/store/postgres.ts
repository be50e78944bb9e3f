import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import { Pool } from 'pg';
import { schema } from './schema';
import { MIGRATIONS_FOLDER } from './migrations-folder';
import { Store, type Db } from './store';

/** Session-level lock so that N instances booting at once apply migrations once, one after another. */
const MIGRATION_LOCK = 7_340_000;

/** Scale-out adapter: PostgreSQL through node-postgres, same schema and migrations as PGlite. */
export async function openPostgresStore(url: string, opts: { poolSize?: number } = {}): Promise<Store> {
  const pool = new Pool({ connectionString: url, max: opts.poolSize ?? 10 });
  const db = drizzle(pool, { schema });
  const conn = await pool.connect();
  try {
    await conn.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await migrate(drizzle(conn, { schema }), { migrationsFolder: MIGRATIONS_FOLDER });
  } finally {
    await conn.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    conn.release();
  }
  await db.execute(sql`select 1`);
  return new Store(db as unknown as Db, () => pool.end(), 'postgres');
}
