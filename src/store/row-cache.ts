import type { PersonRow, TransactionRow } from './schema';

/** The event fields the cache needs to know what a committed change touched. */
export interface CommittedChange {
  topic: string;
  type: string;
  entityId: string;
  cpf: string | null;
}

export interface RowCacheOptions {
  /**
   * Most cached entries (transaction rows, person rows and per-CPF transaction
   * lists together); the least recently used goes first. 0 turns the cache off.
   * @default 10000
   */
  maxEntries?: number;
  /**
   * A CPF's transaction list is cached only up to this many rows: a person
   * with a long history is read from the store, so one entry stays small.
   * @default 100
   */
  maxListRows?: number;
}

/** The privacy job's marker event type (see `PSEUDONYMIZED_EVENT` in events/bus.ts). */
const PSEUDONYMIZED = 'PSEUDONYMIZED';

/**
 * Read-through cache of current rows (transactions by id, persons by CPF,
 * transactions by CPF), in-process only, so a restart starts empty.
 *
 * It is kept exact by *invalidation*, never by writing event payloads into
 * it: every committed change — this instance's right after its commit,
 * other instances' when the event-log tail reads them — drops what the change
 * touched, and the next read fills from the store. So the cache only ever
 * holds rows the store returned, whatever an event payload carries.
 *
 * A read that started before an invalidation may have read the older row; it
 * must not put it back. Every fill carries the generation taken before its
 * store read and is dropped if any invalidation happened since. (One global
 * generation: changes are a handful per second, reads take milliseconds, so
 * the fills lost to an unrelated change are few.)
 */
export class RowCache {
  private readonly max: number;
  private readonly maxListRows: number;
  /** Insertion order = recency order: a hit is moved to the end, eviction takes the first key. */
  private readonly entries = new Map<string, unknown>();
  private generation = 0;

  constructor(opts: RowCacheOptions = {}) {
    this.max = opts.maxEntries ?? 10_000;
    this.maxListRows = opts.maxListRows ?? 100;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Take before a store read whose result may be cached (see `fill*`). */
  ticket(): number {
    return this.generation;
  }

  transaction(id: string): TransactionRow | undefined {
    return this.get(`t:${id}`);
  }

  person(cpf: string): PersonRow | undefined {
    return this.get(`p:${cpf}`);
  }

  transactionsOfCpf(cpf: string): readonly TransactionRow[] | undefined {
    return this.get(`l:${cpf}`);
  }

  fillTransaction(ticket: number, row: TransactionRow): void {
    this.set(ticket, `t:${row.id}`, Object.freeze(row));
  }

  fillPerson(ticket: number, row: PersonRow): void {
    this.set(ticket, `p:${row.cpf}`, Object.freeze(row));
  }

  fillTransactionsOfCpf(ticket: number, cpf: string, rows: TransactionRow[]): void {
    if (rows.length > this.maxListRows) return;
    this.set(ticket, `l:${cpf}`, Object.freeze(rows.map((r) => Object.freeze(r))));
  }

  /** A change committed (here or on another instance): forget what it touched. */
  invalidate(change: CommittedChange): void {
    if (change.topic === 'transaction') {
      this.generation++;
      this.entries.delete(`t:${change.entityId}`);
      if (change.cpf) this.entries.delete(`l:${change.cpf}`);
    } else if (change.topic === 'privacy' && change.type === PSEUDONYMIZED) {
      // Rows, persons and lists were rewritten outside the entity events: rare, so forget everything.
      this.clear();
    }
    // Messages and captures are not cached; they only ever add a person row, and absent persons are not cached.
  }

  /** Forget everything (the event-log tail (re)starts: nothing filled before it is trusted). */
  clear(): void {
    this.generation++;
    this.entries.clear();
  }

  private get<V>(key: string): V | undefined {
    const v = this.entries.get(key);
    if (v === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, v);
    return v as V;
  }

  private set(ticket: number, key: string, value: unknown): void {
    if (this.max === 0 || ticket !== this.generation) return;
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!);
  }
}
