import type { EventBus } from '../events/bus';
import { isStoreUnavailable } from '../store/errors';
import type { Db, Store, Topic } from '../store/store';
import type { PendingWrite, SeqExpr } from '../store/versioned';

interface EntitySpecBase<Row> {
  topic: Topic;
  load(tx: Db, id: string): Promise<Row | null>;
  cpfOf(row: Row): string | null;
  toJson(row: Row): Record<string, unknown>;
}

/**
 * How an entity is read and written under the event-log lock. A versioned
 * entity's row carries the seq of its latest event as `version`; its write
 * goes to the store as part of the event's statement (see `VersionedChange`).
 */
export type EntitySpec<Row> = EntitySpecBase<Row> &
  (
    | { save(tx: Db, row: Row): Promise<void>; versioned?: undefined }
    | {
        versioned: {
          /** The row's upsert, not yet run, with `version` set to the expression. */
          write(tx: Db, row: Row, version: SeqExpr): PendingWrite;
          /** The row as recorded by the event with this seq. */
          withVersion(row: Row, seq: number): Row;
        };
      }
  );

export interface Decision<Row> {
  row: Row;
  /** The event type to append. */
  type: string;
  /** Extra writes in the same transaction (a report blob, a person row). */
  also?: (tx: Db) => Promise<void>;
}

/**
 * Called inside the transaction that writes an intent row (before the
 * upstream create): e.g. ties an idempotency key to the new entity, so the
 * key and the row commit together.
 */
export type IntentHook = (tx: Db, entityId: string) => Promise<void>;

/**
 * The one way an entity changes: inside one database transaction (under the
 * event-log lock) read the current row, let `decide` choose the next row and
 * its event — or null for "nothing to record" — write both; only after
 * commit wake the event bus. `decide` is pure: the same code serves pollers
 * and mutations, and a compare-and-set (e.g. "only from OPERATOR_CAPTURE_DONE")
 * is simply a decide that returns null otherwise. A decide that must read
 * another row under the same lock (e.g. "is the station free?") gets `tx`.
 * `fresh`: `id` was generated for this change (an intent), so its first
 * attempt does not read a row that cannot exist.
 */
export async function recordEntityChange<Row>(
  deps: { store: Store; bus: EventBus },
  spec: EntitySpec<Row>,
  id: string,
  decide: (current: Row | null, tx: Db) => Decision<Row> | null | Promise<Decision<Row> | null>,
  opts: { fresh?: boolean } = {},
): Promise<{ row: Row | null; changed: boolean }> {
  let current: Row | null = null;
  let attempt = 0;
  const out = await retryOnLostStore(() =>
    deps.store.recordChange<Row>(spec.topic, id, async (tx) => {
      // `fresh`: the id was generated for this change, so no row can exist — unless this is a retry whose
      // first attempt committed before its connection was lost; then read it, and decide sees it.
      current = opts.fresh && attempt++ === 0 ? null : await spec.load(tx, id);
      const d = await decide(current, tx);
      if (!d) return null;
      const before = current;
      const cpf = spec.cpfOf(d.row);
      // A stored row's person exists (written with it; erasure rewrites both under this lock): one write less per poll.
      const person = cpf && (before === null || spec.cpfOf(before) !== cpf) ? cpf : null;
      if (spec.versioned) {
        const { write, withVersion } = spec.versioned;
        return { type: d.type, cpf, payload: spec.toJson(d.row), person, write: (t, v) => write(t, d.row, v), after: d.also, result: (seq) => withVersion(d.row, seq) };
      }
      if (person) await deps.store.ensurePerson(tx, person);
      await spec.save(tx, d.row);
      if (d.also) await d.also(tx);
      return { type: d.type, cpf, payload: spec.toJson(d.row), result: d.row };
    }),
  );
  if (!out) return { row: current, changed: false };
  await deps.bus.published(out.event);
  return { row: out.result, changed: true };
}

/** Pauses between attempts; the whole retry stays well inside a request's 2 s answer. */
const RETRY_PAUSES_MS = [50, 200, 400];
const RETRY_BUDGET_MS = 1200;

/**
 * A change often records what an upstream already did (a station's send, a
 * created transaction): losing it to a dropped connection (failover,
 * `pg_terminate_backend`) would strand the flow. The pool reconnects at
 * once, so the transaction is tried again, briefly. Safe even when the lost
 * connection had committed: `decide` runs again on the stored row, and a
 * decide is a compare-and-set that returns null for a change already made.
 */
async function retryOnLostStore<T>(fn: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const pause = RETRY_PAUSES_MS[attempt];
      if (!isStoreUnavailable(err) || pause === undefined || Date.now() - t0 + pause > RETRY_BUDGET_MS) throw err;
      await new Promise((r) => setTimeout(r, pause));
    }
  }
}
