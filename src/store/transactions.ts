import { eq, inArray, type SQL } from 'drizzle-orm';
import { countWhere, entityKey, keysetPage, type Cursor, type KeysetPage, type KeysetWindow } from './keyset';
import { transactions, type TransactionRow } from './schema';
import type { Db } from './store';
import { setFromExcluded } from './upsert';
import type { PendingWrite, SeqExpr } from './versioned';

/** Transaction rows: the SQL that does not go through the row cache (the cached reads are in cached-reads.ts). */

export interface TransactionFilter {
  cpf?: string | undefined;
  statuses?: readonly string[] | undefined;
}

export async function transactionForUpdate(tx: Db, id: string): Promise<TransactionRow | null> {
  const [row] = await tx.select().from(transactions).where(eq(transactions.id, id)).for('update');
  return row ?? null;
}

/** The row's upsert, not yet run; `version` (an expression) replaces the row's when given (see `VersionedChange`). */
export function transactionWrite(tx: Db, row: TransactionRow, version?: SeqExpr): PendingWrite & PromiseLike<unknown> {
  return tx
    .insert(transactions)
    .values(version ? { ...row, version } : row)
    .onConflictDoUpdate({ target: transactions.id, set: setFromExcluded(transactions) });
}

/** Non-terminal transactions: what the scheduler must watch after a restart. */
export async function openTransactionIds(db: Db, openStatuses: readonly string[]): Promise<{ id: string; expiresAt: Date }[]> {
  return db
    .select({ id: transactions.id, expiresAt: transactions.expiresAt })
    .from(transactions)
    .where(inArray(transactions.status, [...openStatuses]));
}

function transactionFilters(filter: TransactionFilter): SQL[] {
  const conds: SQL[] = [];
  if (filter.cpf) conds.push(eq(transactions.cpf, filter.cpf));
  if (filter.statuses?.length) conds.push(inArray(transactions.status, [...filter.statuses]));
  return conds;
}

export function pageTransactions(db: Db, filter: TransactionFilter, w: KeysetWindow<Cursor>): Promise<KeysetPage<TransactionRow>> {
  return keysetPage(db, transactions, [transactions.createdAt, transactions.id], entityKey, transactionFilters(filter), w);
}

export function countTransactions(db: Db, filter: TransactionFilter): Promise<number> {
  return countWhere(db, transactions, transactionFilters(filter));
}
