import type { EventBus } from '../events/bus';
import type { Db, Store, Topic } from '../store/store';

export interface EntitySpec<Row> {
  topic: Topic;
  load(tx: Db, id: string): Promise<Row | null>;
  save(tx: Db, row: Row): Promise<void>;
  cpfOf(row: Row): string | null;
  toJson(row: Row): Record<string, unknown>;
  /** For entities with a `version`: the row as recorded by the event with this seq. */
  withVersion?(row: Row, seq: number): Row;
}

export interface Decision<Row> {
  row: Row;
  /** The event type to append. */
  type: string;
  /** Extra writes in the same transaction (a report blob, a person row). */
  also?: (tx: Db) => Promise<void>;
}

/**
 * The one way an entity changes: inside one database transaction (under the
 * event-log lock) read the current row, let `decide` choose the next row and
 * its event — or null for "nothing to record" — write both; only after
 * commit wake the event bus. `decide` is pure: the same code serves pollers
 * and mutations, and a compare-and-set (e.g. "only from OPERATOR_CAPTURE_DONE")
 * is simply a decide that returns null otherwise.
 */
export async function recordEntityChange<Row>(
  deps: { store: Store; bus: EventBus },
  spec: EntitySpec<Row>,
  id: string,
  decide: (current: Row | null) => Decision<Row> | null,
): Promise<{ row: Row | null; changed: boolean }> {
  let current: Row | null = null;
  const out = await deps.store.recordChange(spec.topic, id, async (tx) => {
    current = await spec.load(tx, id);
    const d = decide(current);
    if (!d) return null;
    const seq = spec.withVersion ? await deps.store.reserveSeq(tx) : undefined;
    const row = spec.withVersion && seq !== undefined ? spec.withVersion(d.row, seq) : d.row;
    const cpf = spec.cpfOf(row);
    if (cpf) await deps.store.ensurePerson(tx, cpf);
    await spec.save(tx, row);
    if (d.also) await d.also(tx);
    return { seq, type: d.type, cpf, payload: spec.toJson(row), result: row };
  });
  if (!out) return { row: current, changed: false };
  await deps.bus.published(out.event);
  return { row: out.result, changed: true };
}
