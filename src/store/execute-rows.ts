import type { SQL } from 'drizzle-orm';
import type { Db } from './store';

/**
 * The rows of a raw statement. drizzle types `execute`'s result by driver;
 * node-postgres and PGlite both answer `{ rows }`, an array-returning driver
 * the rows themselves.
 */
export async function executeRows<T extends Record<string, unknown>>(db: Db, query: SQL): Promise<T[]> {
  const res = await db.execute<T>(query);
  return (Array.isArray(res) ? res : (res as { rows: T[] }).rows) as T[];
}
