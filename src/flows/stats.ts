import { STAT_GRAINS, statusCounts, type StatusCountRow, type WindowPlan } from '../store/stats';
import type { Store } from '../store/store';

/**
 * Dashboard aggregates: how many transactions and captures were created in a
 * window, by their current status (and, for captures, by station).
 *
 * Semantics: a row counts in [since, until) by its creation time, under the
 * status it has now — so a window's counts move between statuses as flows
 * advance, and its total changes only when rows are created in it (or
 * erased). Exact for any window: whole UTC months, days and hours come from
 * the counts the database keeps per bucket; only the part of the window
 * that does not fill an hour at either end is counted from the rows.
 */

export interface StatusCount {
  status: string;
  count: number;
}

export interface Tally {
  total: number;
  byStatus: StatusCount[];
}

export interface StationTally extends Tally {
  stationId: string;
}

export interface Stats {
  since: Date;
  until: Date;
  transactions: Tally;
  captures: Tally & { byStation: StationTally[] };
}

export interface StatsWindow {
  since: Date;
  until: Date;
  /** Counts only that station's captures (transactions have no station: none match). */
  stationId: string | null;
}

/** Start of the current UTC day: the default `since` (today's counts). */
export function startOfUtcDay(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
}

function floorTo(grain: (typeof STAT_GRAINS)[number], d: Date): Date {
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  if (grain === 'month') return new Date(Date.UTC(y, m, 1));
  if (grain === 'day') return new Date(Date.UTC(y, m, d.getUTCDate()));
  return new Date(Date.UTC(y, m, d.getUTCDate(), d.getUTCHours()));
}

function ceilTo(grain: (typeof STAT_GRAINS)[number], d: Date): Date {
  const f = floorTo(grain, d);
  if (f.getTime() === d.getTime()) return f;
  if (grain === 'month') return new Date(Date.UTC(f.getUTCFullYear(), f.getUTCMonth() + 1, 1));
  return new Date(f.getTime() + (grain === 'day' ? 86_400_000 : 3_600_000));
}

/**
 * Splits [since, until) into whole buckets, coarsest first, and the sub-hour
 * edges: at most one month range, two day ranges, two hour ranges and two
 * edges — so a call reads a bounded number of bucket rows per month of
 * window plus under two hours of entity rows, whatever the table size.
 */
export function planWindow(since: Date, until: Date): WindowPlan {
  const plan: WindowPlan = { buckets: [], edges: [] };
  const cover = (from: Date, to: Date, level: number): void => {
    if (from >= to) return;
    const grain = STAT_GRAINS[level];
    if (!grain) {
      plan.edges.push({ from, to });
      return;
    }
    const a = ceilTo(grain, from);
    const b = floorTo(grain, to);
    if (a >= b) return cover(from, to, level + 1);
    plan.buckets.push({ grain, from: a, to: b });
    cover(from, a, level + 1);
    cover(b, to, level + 1);
  };
  cover(since, until, 0);
  return plan;
}

function tally(rows: StatusCountRow[]): Tally {
  const by = new Map<string, number>();
  let total = 0;
  for (const r of rows) {
    by.set(r.status, (by.get(r.status) ?? 0) + r.count);
    total += r.count;
  }
  const byStatus = [...by].filter(([, n]) => n !== 0).map(([status, count]) => ({ status, count }));
  byStatus.sort((x, y) => (x.status < y.status ? -1 : x.status > y.status ? 1 : 0));
  return { total, byStatus };
}

export async function countStats(store: Store, w: StatsWindow): Promise<Stats> {
  const rows = await statusCounts(store.db, planWindow(w.since, w.until), w.stationId);
  const stations = new Map<string, StatusCountRow[]>();
  for (const r of rows.capture) stations.set(r.stationId, [...(stations.get(r.stationId) ?? []), r]);
  const byStation = [...stations].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([stationId, list]) => ({ stationId, ...tally(list) }));
  return {
    since: w.since,
    until: w.until,
    transactions: tally(rows.transaction),
    captures: { ...tally(rows.capture), byStation },
  };
}
