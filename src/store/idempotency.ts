import { and, eq, lt } from 'drizzle-orm';
import { idempotencyKeys } from './schema';
import type { Db } from './store';

/**
 * Idempotency keys of mutations with an upstream side effect, per caller
 * (`subject`). The rules of claiming, binding and releasing a key are the
 * flow layer's (see `Idempotency` in src/flows/idempotency.ts); here is only
 * their SQL.
 */

export type IdempotencyRow = typeof idempotencyKeys.$inferSelect;

/** Claims a key: true when this call is the first with it (then it must `completeIdempotency` or `releaseIdempotency`). */
export async function claimIdempotency(db: Db, subject: string, key: string, operation: string, requestHash: string): Promise<boolean> {
  const rows = await db
    .insert(idempotencyKeys)
    .values({ subject, key, operation, requestHash, state: 'IN_PROGRESS' })
    .onConflictDoNothing()
    .returning({ key: idempotencyKeys.key });
  return rows.length === 1;
}

export async function idempotencyRecord(db: Db, subject: string, key: string): Promise<IdempotencyRow | null> {
  const [row] = await db
    .select()
    .from(idempotencyKeys)
    .where(and(eq(idempotencyKeys.subject, subject), eq(idempotencyKeys.key, key)));
  return row ?? null;
}

export async function completeIdempotency(db: Db, subject: string, key: string, resultKind: string, resultId: string): Promise<void> {
  await db
    .update(idempotencyKeys)
    .set({ state: 'DONE', resultKind, resultId })
    .where(and(eq(idempotencyKeys.subject, subject), eq(idempotencyKeys.key, key)));
}

/**
 * Ties a claimed key to the entity its call is about to create upstream, in
 * the intent row's own transaction: from then on a retry finds that entity
 * (once it is settled) instead of creating another.
 */
export async function bindIdempotency(tx: Db, subject: string, key: string, resultKind: string, resultId: string): Promise<void> {
  await tx
    .update(idempotencyKeys)
    .set({ resultKind, resultId })
    .where(and(eq(idempotencyKeys.subject, subject), eq(idempotencyKeys.key, key)));
}

export async function releaseIdempotency(db: Db, subject: string, key: string): Promise<void> {
  await db.delete(idempotencyKeys).where(and(eq(idempotencyKeys.subject, subject), eq(idempotencyKeys.key, key)));
}

export async function expireIdempotency(db: Db, olderThan: Date): Promise<number> {
  const rows = await db.delete(idempotencyKeys).where(lt(idempotencyKeys.createdAt, olderThan)).returning({ key: idempotencyKeys.key });
  return rows.length;
}
