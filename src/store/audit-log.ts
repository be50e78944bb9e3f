import { and, eq, inArray, sql, type SQL } from 'drizzle-orm';
import { countWhere, keysetPage, type KeysetPage, type KeysetWindow } from './keyset';
import { allowAuditTargetRewrite } from './privacy';
import { auditLog, type AuditRow } from './schema';
import type { Db } from './store';

/**
 * The audit log: append-only (the `audit_log_append_only` trigger), one row
 * per mutation attempt, appended PENDING before the mutation does anything
 * and finished once.
 */

export interface AuditFilter {
  actor?: string | undefined;
  action?: string | undefined;
}

/** What the caller knows of a mutation attempt before it runs. */
export type AuditEntryInput = Pick<AuditRow, 'actor' | 'role' | 'action' | 'target' | 'ip'>;

/**
 * Appends one attempt, PENDING, before the mutation may do anything; its id
 * is handed to `auditFinish`. A throw here means "not audited": the caller
 * must not go on.
 */
export async function auditAttempt(db: Db, entry: AuditEntryInput): Promise<number> {
  const [row] = await db.insert(auditLog).values({ ...entry, result: 'PENDING' }).returning({ id: auditLog.id });
  return row!.id;
}

/**
 * The one allowed transition of an audit row: PENDING → its result (and the
 * target of the entity produced). Guarded in SQL (`result = 'PENDING'`) and by
 * the `audit_log_append_only` trigger: a finished record cannot change.
 */
export async function auditFinish(db: Db, id: number, result: string, target: string | null): Promise<void> {
  await db
    .update(auditLog)
    .set({ result, target, finishedAt: sql`now()` })
    .where(and(eq(auditLog.id, id), eq(auditLog.result, 'PENDING')));
}

/**
 * A finished record in one append (refusals decided before any work, report downloads).
 * `tx`: inside a state change's own transaction (a reconciliation recorded with its audit line).
 */
export async function appendFinishedAudit(tx: Db, entry: AuditEntryInput & { result: string }): Promise<void> {
  await tx.insert(auditLog).values({ ...entry, finishedAt: sql`now()` });
}

/**
 * The ONLY other write to audit rows: the retention job replaces a target
 * (e.g. `cpf:***.***.009-57`) by its pseudonym. The trigger lets it through
 * only inside this transaction's `idgw.audit_pseudonymise` flag, and only
 * for `target`. Returns the number of rows rewritten.
 */
export async function pseudonymiseAuditTargets(db: Db, from: string, to: string): Promise<number> {
  return db.transaction(async (tx) => {
    await allowAuditTargetRewrite(tx);
    const rows = await tx.update(auditLog).set({ target: to }).where(eq(auditLog.target, from)).returning({ id: auditLog.id });
    return rows.length;
  });
}

function auditFilters(filter: AuditFilter): SQL[] {
  const conds: SQL[] = [];
  if (filter.actor) conds.push(eq(auditLog.actor, filter.actor));
  if (filter.action) conds.push(eq(auditLog.action, filter.action));
  return conds;
}

/** The audit log pages by its id alone: a bigserial, so id order is append order. */
export function pageAudit(db: Db, filter: AuditFilter, w: KeysetWindow<number>): Promise<KeysetPage<AuditRow>> {
  return keysetPage(db, auditLog, [auditLog.id], (id) => [id], auditFilters(filter), w);
}

export function countAudit(db: Db, filter: AuditFilter): Promise<number> {
  return countWhere(db, auditLog, auditFilters(filter));
}

/** The newest `first` entries older than `afterId` (tests and scripts reading the log directly). */
export async function listAudit(db: Db, filter: AuditFilter, first: number, afterId: number | null): Promise<{ items: AuditRow[]; hasNextPage: boolean }> {
  const page = await pageAudit(db, filter, { size: first, backward: false, after: afterId, before: null });
  return { items: page.rows, hasNextPage: page.more };
}

/** For DataLoaders: audit entries by id. */
export async function auditByIds(db: Db, ids: readonly number[]): Promise<Map<number, AuditRow>> {
  if (ids.length === 0) return new Map();
  const rows = await db.select().from(auditLog).where(inArray(auditLog.id, [...ids]));
  return new Map(rows.map((r) => [r.id, r]));
}
