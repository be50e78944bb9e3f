import { and, asc, eq, gt, inArray, sql, type SQL } from 'drizzle-orm';
import { events, type EventRow } from './schema';
import type { Db } from './store';

/**
 * The event log's rows as the rest of the gateway sees them, and its reads
 * (replay, the tailer, entity histories). The one write path is
 * `Store.recordChange` (with the event-log lock), in store.ts.
 */

/**
 * `privacy`: markers of pseudonymisation runs (see PrivacyService); no subscription ever matches them.
 * `station`: SPID station state changes (online, operator, busy; see StationsService).
 */
export type Topic = 'transaction' | 'message' | 'capture' | 'station' | 'privacy';

export interface StoredEvent {
  seq: number;
  topic: Topic;
  entityId: string;
  cpf: string | null;
  type: string;
  /** The entity as it was right after this change. */
  payload: Record<string, unknown>;
  createdAt: Date;
}

export interface EventFilter {
  /** One topic, or several (the combined `events` feed); an empty list matches nothing. */
  topic: Topic | readonly Topic[];
  entityId?: string | undefined;
  cpf?: string | undefined;
}

export function toEvent(row: EventRow): StoredEvent {
  return {
    seq: Number(row.seq),
    topic: row.topic as Topic,
    entityId: row.entityId,
    cpf: row.cpf,
    type: row.type,
    payload: row.payload,
    createdAt: row.createdAt,
  };
}

export async function latestSeq(db: Db): Promise<number> {
  const [row] = await db.select({ max: sql<string | null>`max(${events.seq})` }).from(events);
  return row?.max == null ? 0 : Number(row.max);
}

/** Events after `afterSeq` in seq order, all topics (the tailer's read). */
export async function eventsAfter(db: Db, afterSeq: number, limit: number): Promise<StoredEvent[]> {
  const rows = await db.select().from(events).where(gt(events.seq, afterSeq)).orderBy(asc(events.seq)).limit(limit);
  return rows.map(toEvent);
}

/** Events after `afterSeq` that match a subscription filter (the replay read). */
export async function eventsMatching(db: Db, filter: EventFilter, afterSeq: number, limit: number): Promise<StoredEvent[]> {
  const topics = typeof filter.topic === 'string' ? [filter.topic] : filter.topic;
  if (topics.length === 0) return [];
  // The seq order across topics is the log's: a multi-topic replay reads the primary key in order and keeps the chosen topics.
  const conds: SQL[] = [topics.length === 1 ? eq(events.topic, topics[0]!) : inArray(events.topic, [...topics]), gt(events.seq, afterSeq)];
  if (filter.entityId) conds.push(eq(events.entityId, filter.entityId));
  if (filter.cpf) conds.push(eq(events.cpf, filter.cpf));
  const rows = await db.select().from(events).where(and(...conds)).orderBy(asc(events.seq)).limit(limit);
  return rows.map(toEvent);
}

export async function eventsBySeqs(db: Db, seqs: readonly number[]): Promise<StoredEvent[]> {
  if (seqs.length === 0) return [];
  const rows = await db.select().from(events).where(inArray(events.seq, [...seqs]));
  return rows.map(toEvent);
}

export async function eventsOfEntity(db: Db, entityId: string): Promise<StoredEvent[]> {
  const rows = await db.select().from(events).where(eq(events.entityId, entityId)).orderBy(asc(events.seq));
  return rows.map(toEvent);
}

/** For DataLoaders: the event history of each entity, in seq order. */
export async function eventsOfEntities(db: Db, ids: readonly string[]): Promise<Map<string, StoredEvent[]>> {
  const out = new Map<string, StoredEvent[]>(ids.map((i) => [i, []]));
  if (ids.length === 0) return out;
  const rows = await db.select().from(events).where(inArray(events.entityId, [...ids])).orderBy(asc(events.seq));
  for (const r of rows) out.get(r.entityId)?.push(toEvent(r));
  return out;
}
