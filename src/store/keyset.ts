import { and, asc, desc, sql, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { Db } from './store';

/**
 * Keyset pagination shared by every connection (transactions, captures, the
 * audit log): one page in newest-first order in either direction, and the
 * count of a connection's rows.
 */

/** Opaque pagination cursor over (createdAt desc, id desc): stable while new rows arrive. */
export interface Cursor {
  createdAt: Date;
  id: string;
}

/**
 * One page request over a newest-first keyset order: `size` rows after
 * `after` (older) and before `before` (newer); `backward` takes the `size`
 * rows closest to `before` instead of those closest to `after`.
 */
export interface KeysetWindow<K> {
  size: number;
  backward: boolean;
  after: K | null;
  before: K | null;
}

/** A page: `rows` newest first; `more` = rows exist beyond it in the paging direction. */
export interface KeysetPage<T> {
  rows: T[];
  more: boolean;
}

/** The order of a keyset: columns compared left to right, all descending (newest first). */
export type KeyColumns = readonly PgColumn[];

/**
 * Rows strictly older (`<`) or newer (`>`) than `values` in the (c1, c2, …)
 * order, as one row comparison: PostgreSQL reads it as a range of the
 * (c1, c2, …) index in either direction (an OR of per-column conditions is
 * only a filter, and made backward pages scan from the far end).
 */
function beyondKey(cols: KeyColumns, values: readonly unknown[], op: '<' | '>'): SQL {
  if (cols.length === 0) throw new Error('keyset needs at least one column');
  const left = sql.join(cols.map((c) => sql`${c}`), sql`, `);
  const right = sql.join(cols.map((c, i) => sql.param(values[i], c)), sql`, `);
  return sql`(${left}) ${sql.raw(op)} (${right})`;
}

/** The key values of a `Cursor`, in the order of (createdAt, id) key columns. */
export const entityKey = (c: Cursor): unknown[] => [c.createdAt, c.id];

/**
 * One page of `table` in newest-first keyset order, both directions: the
 * same filters and order for every connection. Backward pages read the
 * reverse order (so the index serves both) and are flipped back.
 */
export async function keysetPage<T, K>(
  db: Db,
  table: PgTable,
  cols: KeyColumns,
  valuesOf: (k: K) => unknown[],
  filters: SQL[],
  w: KeysetWindow<K>,
): Promise<KeysetPage<T>> {
  const conds = [...filters];
  if (w.after !== null) conds.push(beyondKey(cols, valuesOf(w.after), '<'));
  if (w.before !== null) conds.push(beyondKey(cols, valuesOf(w.before), '>'));
  const rows = (await db
    .select()
    .from(table)
    .where(conds.length ? and(...conds) : undefined)
    .orderBy(...cols.map((c) => (w.backward ? asc(c) : desc(c))))
    .limit(w.size + 1)) as T[];
  const more = rows.length > w.size;
  const page = rows.slice(0, w.size);
  return { rows: w.backward ? page.reverse() : page, more };
}

/** How many rows match `filters` (a connection's totalCount). */
export async function countWhere(db: Db, table: PgTable, filters: SQL[]): Promise<number> {
  const [row] = await db
    .select({ n: sql<string>`count(*)` })
    .from(table)
    .where(filters.length ? and(...filters) : undefined);
  return Number(row?.n ?? 0);
}
