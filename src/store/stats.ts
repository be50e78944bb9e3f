import { and, eq, gte, lt, or, sql, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import { captures, statCounts, transactions } from './schema';
import type { Db } from './store';

/** Bucket sizes of `stat_counts` (UTC), coarsest first. */
export const STAT_GRAINS = ['month', 'day', 'hour'] as const;
export type StatGrain = (typeof STAT_GRAINS)[number];
export type StatKind = 'transaction' | 'capture';

/** A half-open time range [from, to). */
export interface Range {
  from: Date;
  to: Date;
}

/** How a window is answered: whole buckets from `stat_counts`, the rest (under an hour at each end) from the rows. */
export interface WindowPlan {
  buckets: (Range & { grain: StatGrain })[];
  edges: Range[];
}

export interface StatusCountRow {
  /** '' for transactions. */
  stationId: string;
  status: string;
  count: number;
}

const inRange = (col: PgColumn, r: Range): SQL => and(gte(col, r.from), lt(col, r.to))!;

/**
 * Counts by (station, status) of the rows of `kind` created in the planned
 * window, read in one read-only snapshot: whole buckets are a primary-key
 * range scan of `stat_counts`, the edges a `created_at` index range scan of
 * under an hour of rows each. Every row is in exactly one bucket or edge, so
 * the sum is exact.
 */
export async function statusCounts(db: Db, plan: WindowPlan, stationId: string | null): Promise<Record<StatKind, StatusCountRow[]>> {
  return db.transaction(
    async (tx) => {
      const [t, c] = await Promise.all([countKind(tx, 'transaction', plan, stationId), countKind(tx, 'capture', plan, stationId)]);
      return { transaction: t, capture: c };
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
}

async function countKind(tx: Db, kind: StatKind, plan: WindowPlan, stationId: string | null): Promise<StatusCountRow[]> {
  const out = new Map<string, StatusCountRow>();
  const add = (rows: { stationId: string; status: string; n: string | number }[]) => {
    for (const r of rows) {
      const key = `${r.stationId}\u0000${r.status}`;
      const hit = out.get(key) ?? { stationId: r.stationId, status: r.status, count: 0 };
      hit.count += Number(r.n);
      out.set(key, hit);
    }
  };
  // Transactions have no station: a station filter matches none of them (as in the `events` feed).
  if (kind === 'transaction' && stationId !== null) return [];
  if (plan.buckets.length) {
    const arms = plan.buckets.map((b) => and(eq(statCounts.grain, b.grain), gte(statCounts.bucket, b.from), lt(statCounts.bucket, b.to))!);
    const conds: SQL[] = [eq(statCounts.kind, kind), or(...arms)!];
    if (stationId !== null) conds.push(eq(statCounts.stationId, stationId));
    add(
      await tx
        .select({ stationId: statCounts.stationId, status: statCounts.status, n: sql<string>`sum(${statCounts.count})` })
        .from(statCounts)
        .where(and(...conds))
        .groupBy(statCounts.stationId, statCounts.status),
    );
  }
  if (plan.edges.length) {
    if (kind === 'transaction') {
      add(
        await tx
          .select({ stationId: sql<string>`''`, status: transactions.status, n: sql<string>`count(*)` })
          .from(transactions)
          .where(or(...plan.edges.map((r) => inRange(transactions.createdAt, r))))
          .groupBy(transactions.status),
      );
    } else {
      const conds: SQL[] = [or(...plan.edges.map((r) => inRange(captures.createdAt, r)))!];
      if (stationId !== null) conds.push(eq(captures.stationId, stationId));
      add(
        await tx
          .select({ stationId: captures.stationId, status: captures.status, n: sql<string>`count(*)` })
          .from(captures)
          .where(and(...conds))
          .groupBy(captures.stationId, captures.status),
      );
    }
  }
  return [...out.values()].filter((r) => r.count !== 0);
}

/** Recomputes `stat_counts` from the rows (migration 0008's function; under the event-log lock). */
export async function rebuildStatCounts(db: Db): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.execute(sql`select stat_counts_rebuild()`);
  });
}
