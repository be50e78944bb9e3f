import { and, eq, gte, lt, or, sql, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import { executeRows } from './execute-rows';
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
 * Counts by (kind, station, status) of the rows created in the planned
 * window, in one statement (so one snapshot): whole buckets are a
 * primary-key range scan of `stat_counts`, the edges a `created_at` index
 * range scan of under an hour of rows each. Every row falls in exactly one
 * bucket or edge, so the sum is exact. A station filter matches no
 * transaction (they have none; in `stat_counts` their station is '').
 */
export async function statusCounts(db: Db, plan: WindowPlan, stationId: string | null): Promise<Record<StatKind, StatusCountRow[]>> {
  const parts: SQL[] = [];
  if (plan.buckets.length) {
    const arms = plan.buckets.map((b) => and(eq(statCounts.grain, b.grain), gte(statCounts.bucket, b.from), lt(statCounts.bucket, b.to))!);
    const conds: SQL[] = [or(...arms)!];
    if (stationId !== null) conds.push(eq(statCounts.stationId, stationId));
    parts.push(sql`select ${statCounts.kind} as kind, ${statCounts.stationId} as station_id, ${statCounts.status} as status, ${statCounts.count} as n from ${statCounts} where ${and(...conds)}`);
  }
  if (plan.edges.length) {
    if (stationId === null) {
      const where = or(...plan.edges.map((r) => inRange(transactions.createdAt, r)));
      parts.push(sql`select 'transaction' as kind, '' as station_id, ${transactions.status} as status, count(*) as n from ${transactions} where ${where} group by ${transactions.status}`);
    }
    const conds: SQL[] = [or(...plan.edges.map((r) => inRange(captures.createdAt, r)))!];
    if (stationId !== null) conds.push(eq(captures.stationId, stationId));
    parts.push(
      sql`select 'capture' as kind, ${captures.stationId} as station_id, ${captures.status} as status, count(*) as n from ${captures} where ${and(...conds)} group by ${captures.stationId}, ${captures.status}`,
    );
  }
  const out: Record<StatKind, StatusCountRow[]> = { transaction: [], capture: [] };
  if (!parts.length) return out;
  const rows = await executeRows<{ kind: StatKind; station_id: string; status: string; n: string | number }>(
    db,
    sql`select kind, station_id, status, sum(n) as n from (${sql.join(parts, sql` union all `)}) as parts group by kind, station_id, status`,
  );
  for (const r of rows) {
    const count = Number(r.n);
    // A bucket whose rows all moved to another status keeps a 0.
    if (count !== 0 && (r.kind === 'transaction' || r.kind === 'capture')) out[r.kind].push({ stationId: r.station_id, status: r.status, count });
  }
  return out;
}

/** Recomputes `stat_counts` from the rows (migration 0008's function; under the event-log lock). */
export async function rebuildStatCounts(db: Db): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.execute(sql`select stat_counts_rebuild()`);
  });
}
