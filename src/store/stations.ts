import { eq, inArray, sql } from 'drizzle-orm';
import { events, stations, type StationRow } from './schema';
import type { Db } from './store';
import { setFromExcluded } from './upsert';

/**
 * Station rows (current state, see `stations` in schema.ts). Writes happen
 * inside a `recordChange` transaction, under the event-log lock, with their
 * events; the only write without an event is `touchStation` (see there).
 */

/** A station never read yet: connectivity and login unknown, not busy. */
export function blankStation(id: string): StationRow {
  return {
    id,
    online: null,
    loginStatus: null,
    loginStatusCode: null,
    operatorCpf: null,
    busy: false,
    currentCaptureId: null,
    lastCheckedAt: null,
    lastChangedAt: null,
    version: 0,
  };
}

export async function stationForUpdate(tx: Db, id: string): Promise<StationRow | null> {
  const [row] = await tx.select().from(stations).where(eq(stations.id, id)).for('update');
  return row ?? null;
}

export async function saveStation(tx: Db, row: StationRow): Promise<void> {
  await tx.insert(stations).values(row).onConflictDoUpdate({ target: stations.id, set: setFromExcluded(stations) });
}

export async function stationsById(db: Db, ids: readonly string[]): Promise<Map<string, StationRow>> {
  if (ids.length === 0) return new Map();
  const rows = await db.select().from(stations).where(inArray(stations.id, [...ids]));
  return new Map(rows.map((r) => [r.id, r]));
}

/**
 * A poll that found nothing new: only `last_checked_at` moves. Not a state
 * change, so no event — one per station every poll interval would flood the
 * log with nothing — and no version bump. A row not there yet is left to the
 * first recorded change (which writes `lastCheckedAt` itself).
 */
export async function touchStation(db: Db, id: string, at: Date): Promise<void> {
  await db
    .update(stations)
    .set({ lastCheckedAt: at })
    .where(sql`${stations.id} = ${id} and (${stations.lastCheckedAt} is null or ${stations.lastCheckedAt} < ${at.toISOString()})`);
}

/**
 * One more event in the caller's `recordChange` transaction (a change that
 * records several steps: a capture's event and the station's busy/free, or
 * online + operator in one poll). `seq` from `Store.reserveSeq` in the same
 * transaction, so the log order is the order of the steps.
 */
export async function appendStationEvent(tx: Db, seq: number, stationId: string, type: string, payload: Record<string, unknown>): Promise<void> {
  // `cpf` stays null: that column names the citizen an event is about; an operator's CPF lives in the payload only.
  await tx.insert(events).values({ seq, topic: 'station', entityId: stationId, cpf: null, type, payload });
}

/**
 * Retention of operators' CPFs in station event snapshots (LGPD: same
 * period as citizens' data): every station event older than `before` whose
 * snapshot names an operator gets the pseudonym instead. The current
 * `stations` row is live state (who is at the desk now) and is not touched.
 * Returns the station ids whose events changed (for the PSEUDONYMIZED marker).
 */
export async function pseudonymizeOperatorCpfs(tx: Db, before: Date, pseudonymOf: (cpf: string) => string): Promise<{ stationIds: string[]; events: number }> {
  const found = await tx.execute<{ cpf: string }>(
    sql`select distinct payload->>'operatorCpf' as cpf from ${events}
        where ${events.topic} = 'station' and ${events.createdAt} < ${before.toISOString()}
          and payload->>'operatorCpf' is not null and payload->>'operatorCpf' not like 'pseud:%'`,
  );
  const cpfs = ((Array.isArray(found) ? found : (found as { rows: { cpf: string }[] }).rows) as { cpf: string }[]).map((r) => r.cpf);
  const stationIds = new Set<string>();
  let n = 0;
  for (const cpf of cpfs) {
    const rows = await tx
      .update(events)
      .set({ payload: sql`jsonb_set(${events.payload}, '{operatorCpf}', to_jsonb(${pseudonymOf(cpf)}::text))` })
      .where(sql`${events.topic} = 'station' and ${events.createdAt} < ${before.toISOString()} and ${events.payload}->>'operatorCpf' = ${cpf}`)
      .returning({ entityId: events.entityId });
    for (const r of rows) stationIds.add(r.entityId);
    n += rows.length;
  }
  return { stationIds: [...stationIds], events: n };
}
