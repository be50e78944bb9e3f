import { and, desc, eq, inArray, or, sql, type SQL } from 'drizzle-orm';
import { countWhere, entityKey, keysetPage, type Cursor, type KeysetPage, type KeysetWindow } from './keyset';
import { captures, type CaptureRow } from './schema';
import type { Db } from './store';
import { setFromExcluded } from './upsert';
import type { PendingWrite, SeqExpr } from './versioned';

/**
 * Capture rows: the current state of each capture at a station. The statuses
 * that hold a station or end a flow are passed in by the flow layer: the
 * store knows no state machine.
 */

export interface CaptureFilter {
  cpf?: string | undefined;
  stationId?: string | undefined;
  statuses?: readonly string[] | undefined;
  mode?: string | undefined;
}

/**
 * A capture holds its station while in a holding status — and in
 * PERSON_NOT_FOUND when it is about to enroll the person on the same reader.
 */
function holdsStation(holding: readonly string[]): SQL {
  return or(inArray(captures.status, [...holding]), and(eq(captures.status, 'PERSON_NOT_FOUND'), eq(captures.enrollIfNotFound, true)))!;
}

export async function capturesById(db: Db, ids: readonly string[]): Promise<Map<string, CaptureRow>> {
  if (ids.length === 0) return new Map();
  const rows = await db.select().from(captures).where(inArray(captures.id, [...ids]));
  return new Map(rows.map((r) => [r.id, r]));
}

export async function captureForUpdate(tx: Db, id: string): Promise<CaptureRow | null> {
  const [row] = await tx.select().from(captures).where(eq(captures.id, id)).for('update');
  return row ?? null;
}

/** As `transactionWrite` (transactions.ts). */
export function captureWrite(tx: Db, row: CaptureRow, version?: SeqExpr): PendingWrite & PromiseLike<unknown> {
  return tx
    .insert(captures)
    .values(version ? { ...row, version } : row)
    .onConflictDoUpdate({ target: captures.id, set: setFromExcluded(captures) });
}

/** The capture holding a station's reader, if any (checked under the event-log lock, so race-free). */
export async function captureHoldingStation(tx: Db, stationId: string, holding: readonly string[]): Promise<CaptureRow | null> {
  const [row] = await tx
    .select()
    .from(captures)
    .where(and(eq(captures.stationId, stationId), holdsStation(holding)))
    .limit(1);
  return row ?? null;
}

export async function capturesByTguid(db: Db, stationId: string, tguids: readonly string[]): Promise<CaptureRow[]> {
  if (tguids.length === 0) return [];
  return db
    .select()
    .from(captures)
    .where(and(eq(captures.stationId, stationId), inArray(captures.tguid, [...tguids])));
}

/** Captures still to be driven or polled (including final ones whose report is not stored yet). */
export async function unfinishedCaptureIds(db: Db, terminal: readonly string[]): Promise<string[]> {
  const rows = await db
    .select({ id: captures.id })
    .from(captures)
    .where(
      or(
        sql`${captures.status} not in (${sql.join(terminal.map((t) => sql`${t}`), sql`, `)})`,
        and(eq(captures.status, 'PERSON_NOT_FOUND'), eq(captures.enrollIfNotFound, true)),
        and(sql`${captures.tguid} is not null`, sql`${captures.reportFetchedAt} is null`, sql`${captures.status} <> 'SEND_UNCONFIRMED'`),
      ),
    );
  return rows.map((r) => r.id);
}

function captureFilters(filter: CaptureFilter): SQL[] {
  const conds: SQL[] = [];
  if (filter.cpf) conds.push(eq(captures.cpf, filter.cpf));
  if (filter.stationId) conds.push(eq(captures.stationId, filter.stationId));
  if (filter.mode) conds.push(eq(captures.mode, filter.mode));
  if (filter.statuses?.length) conds.push(inArray(captures.status, [...filter.statuses]));
  return conds;
}

export function pageCaptures(db: Db, filter: CaptureFilter, w: KeysetWindow<Cursor>): Promise<KeysetPage<CaptureRow>> {
  return keysetPage(db, captures, [captures.createdAt, captures.id], entityKey, captureFilters(filter), w);
}

export function countCaptures(db: Db, filter: CaptureFilter): Promise<number> {
  return countWhere(db, captures, captureFilters(filter));
}

export async function capturesByCpfs(db: Db, cpfs: readonly string[]): Promise<Map<string, CaptureRow[]>> {
  const out = new Map<string, CaptureRow[]>(cpfs.map((c) => [c, []]));
  if (cpfs.length === 0) return out;
  const rows = await db
    .select()
    .from(captures)
    .where(inArray(captures.cpf, [...cpfs]))
    .orderBy(desc(captures.createdAt), desc(captures.id));
  for (const r of rows) out.get(r.cpf)?.push(r);
  return out;
}
