import { desc, inArray } from 'drizzle-orm';
import type { RowCache } from './row-cache';
import { persons, transactions, type PersonRow, type TransactionRow } from './schema';
import type { Db } from './store';

/**
 * The reads served through the row cache (see RowCache): persons by CPF,
 * transactions by id and by CPF. Store owns the cache and passes it in. Each
 * read takes its ticket before reading the store, so a fill from a read that
 * raced a committed change is dropped.
 */

/** Copies cache hits into `out`; returns the keys still to read. */
function cachedInto<V>(keys: readonly string[], out: Map<string, V>, cached: (k: string) => V | undefined): string[] {
  const missing: string[] = [];
  for (const k of keys) {
    const v = cached(k);
    if (v === undefined) missing.push(k);
    else out.set(k, v);
  }
  return missing;
}

export async function personsByCpf(db: Db, cache: RowCache, cpfs: readonly string[]): Promise<Map<string, PersonRow>> {
  const out = new Map<string, PersonRow>();
  const missing = cachedInto(cpfs, out, (c) => cache.person(c));
  if (missing.length === 0) return out;
  const ticket = cache.ticket();
  const rows = await db.select().from(persons).where(inArray(persons.cpf, missing));
  for (const r of rows) {
    cache.fillPerson(ticket, r);
    out.set(r.cpf, r);
  }
  return out;
}

export async function transactionsById(db: Db, cache: RowCache, ids: readonly string[]): Promise<Map<string, TransactionRow>> {
  const out = new Map<string, TransactionRow>();
  const missing = cachedInto(ids, out, (id) => cache.transaction(id));
  if (missing.length === 0) return out;
  const ticket = cache.ticket();
  const rows = await db.select().from(transactions).where(inArray(transactions.id, missing));
  for (const r of rows) {
    cache.fillTransaction(ticket, r);
    out.set(r.id, r);
  }
  return out;
}

/** For DataLoaders: every transaction of each CPF, newest first. */
export async function transactionsByCpfs(db: Db, cache: RowCache, cpfs: readonly string[]): Promise<Map<string, TransactionRow[]>> {
  const out = new Map<string, TransactionRow[]>();
  const missing = cachedInto(cpfs, out, (c) => {
    const list = cache.transactionsOfCpf(c);
    return list && [...list];
  });
  if (missing.length === 0) return out;
  const ticket = cache.ticket();
  for (const c of missing) out.set(c, []);
  const rows = await db
    .select()
    .from(transactions)
    .where(inArray(transactions.cpf, missing))
    .orderBy(desc(transactions.createdAt), desc(transactions.id));
  for (const r of rows) out.get(r.cpf)?.push(r);
  for (const c of missing) cache.fillTransactionsOfCpf(ticket, c, [...out.get(c)!]);
  return out;
}
