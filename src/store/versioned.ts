import { sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import { executeRows } from './execute-rows';
import { events, persons } from './schema';
import type { Db, StoredEvent, Topic } from './store';

/** The seq of the event being appended, as an expression a row write in the same statement can use. */
export type SeqExpr = SQL;
/** A row write not yet run (an insert … on conflict), to run inside the event's statement. */
export type PendingWrite = SQLWrapper;

/**
 * A change to an entity whose row stores its latest event's seq as
 * `version`. The event append, the row write (with that seq) and, when the
 * entity is new or its CPF changed, the person row go to the database as one
 * statement: one round trip under the event-log lock instead of four
 * (`nextval`, person, row, event) — the round trips are what a change costs
 * (see README "Performance").
 */
export interface VersionedChange<R> {
  type: string;
  cpf: string | null;
  /** The new row's snapshot; its `version` is replaced by the event's seq. */
  payload: Record<string, unknown>;
  /** The entity row's upsert with `version` set to the given expression. */
  write(tx: Db, version: SeqExpr): PendingWrite;
  /** A person row to make sure of in the same statement, or null. */
  person: string | null;
  /** Further writes in the transaction, after the row (a report blob, an idempotency key). */
  after?: ((tx: Db) => Promise<void>) | undefined;
  /** What `recordChange` returns, given the event's seq. */
  result(seq: number): R;
}

const SEQ: SeqExpr = sql`(select seq from s)`;
const NO_PERSON = sql``;

/** Runs the statement of a `VersionedChange`; returns its event as stored. */
export async function appendVersioned(tx: Db, topic: Topic, entityId: string, c: VersionedChange<unknown>): Promise<StoredEvent> {
  // Data-modifying CTEs run exactly once whether read or not; `s` holds nextval once (a volatile CTE is materialized).
  const person = c.person === null ? NO_PERSON : sql`, p as (insert into ${persons} (cpf) values (${c.person}) on conflict do nothing)`;
  const [r] = await executeRows<Appended>(tx, sql`
    with s as (select nextval(pg_get_serial_sequence('events', 'seq')) as seq),
    e as (
      insert into ${events} (seq, topic, entity_id, cpf, type, payload)
      select s.seq, ${topic}, ${entityId}, ${c.cpf}, ${c.type}, jsonb_set(${JSON.stringify(c.payload)}::jsonb, '{version}', to_jsonb(s.seq)) from s
      returning created_at
    )${person}
    ${c.write(tx, SEQ).getSQL()}
    returning ${SEQ} as seq, (select (extract(epoch from created_at) * 1000)::float8 from e) as created_ms`);
  if (!r) throw new Error('versioned write returned nothing');
  const seq = Number(r.seq);
  return { seq, topic, entityId, cpf: c.cpf, type: c.type, payload: { ...c.payload, version: seq }, createdAt: new Date(Number(r.created_ms)) };
}

interface Appended extends Record<string, unknown> {
  seq: string | number;
  created_ms: number;
}
