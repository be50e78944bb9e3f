import { getTableColumns, sql, type SQL } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';

const sets = new WeakMap<PgTable, Record<string, SQL>>();

/**
 * The `set` of an upsert that writes the whole proposed row: every column
 * but the key from `excluded`, built once per table. `set: { ...row }` sent
 * each value twice (insert and update) and had drizzle map each twice, on
 * every state change, under the event-log lock.
 */
export function setFromExcluded(table: PgTable): Record<string, SQL> {
  let set = sets.get(table);
  if (!set) {
    set = Object.fromEntries(
      Object.entries(getTableColumns(table))
        .filter(([, c]) => !c.primary)
        .map(([key, c]) => [key, sql.raw(`excluded."${c.name}"`)]),
    );
    sets.set(table, set);
  }
  return set;
}
