import { and, asc, desc, eq, gt, inArray, lt, or, sql, type SQL } from 'drizzle-orm';
import type { PgColumn, PgDatabase, PgQueryResultHKT, PgTable } from 'drizzle-orm/pg-core';
import type { ReportCipher } from '../privacy/report-cipher';
import { allowAuditTargetRewrite } from './privacy';
import { readReport, saveSealedReport } from './reports';
import {
  auditLog,
  idempotencyKeys,
  captures,
  events,
  messages,
  persons,
  transactions,
  type AuditRow,
  type CaptureRow,
  type EventRow,
  type MessageRow,
  type PersonRow,
  type Schema,
  type TransactionRow,
} from './schema';
import { withSpan } from '../tracing';
import { setFromExcluded } from './upsert';
import { appendVersioned, type PendingWrite, type SeqExpr, type VersionedChange } from './versioned';
import { RowCache, type CommittedChange } from './row-cache';

/** The drizzle database both adapters hand us (PGlite or node-postgres), or a transaction of it. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;

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

/** What a flow decides inside the transaction: the event to append, or null for "nothing changed". */
export interface Change<R> {
  /** A seq from `reserveSeq` in this transaction (the entity row already carries it as its version). */
  seq?: number;
  type: string;
  cpf: string | null;
  payload: Record<string, unknown>;
  result: R;
}

export interface EventFilter {
  /** One topic, or several (the combined `events` feed); an empty list matches nothing. */
  topic: Topic | readonly Topic[];
  entityId?: string | undefined;
  cpf?: string | undefined;
}

/**
 * Serializes every append to the event log, cluster-wide. `seq` comes from a
 * sequence, and two concurrent transactions could otherwise commit seq 6
 * before seq 5: a reader that saw 6 and resumes with `afterSeq: 6` would
 * never see 5. Holding one transaction-scoped advisory lock from before the
 * append until commit makes commit order equal seq order. State changes in
 * this domain are a handful per second, far below what one lock can carry.
 */
const EVENT_LOG_LOCK = 7_340_001;

function toEvent(row: EventRow): StoredEvent {
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

/**
 * A capture holds its station while in a holding status — and in
 * PERSON_NOT_FOUND when it is about to enroll the person on the same reader.
 */
function holdsStation(holding: readonly string[]): SQL {
  return or(inArray(captures.status, [...holding]), and(eq(captures.status, 'PERSON_NOT_FOUND'), eq(captures.enrollIfNotFound, true)))!;
}

/** Opaque pagination cursor over (createdAt desc, id desc): stable while new rows arrive. */
export interface Cursor {
  createdAt: Date;
  id: string;
}

/**
 * One page request over a newest-first keyset order: `size` rows after
 * `after` (older) and before `before` (newer); `backward` takes the `size`
 * rows closest to `before` instead of those closest to `after`.
 */
export interface KeysetWindow<K> {
  size: number;
  backward: boolean;
  after: K | null;
  before: K | null;
}

/** A page: `rows` newest first; `more` = rows exist beyond it in the paging direction. */
export interface KeysetPage<T> {
  rows: T[];
  more: boolean;
}

/** The order of a keyset: columns compared left to right, all descending (newest first). */
type KeyColumns = readonly PgColumn[];

/**
 * Rows strictly older (`<`) or newer (`>`) than `values` in the (c1, c2, …)
 * order, as one row comparison: PostgreSQL reads it as a range of the
 * (c1, c2, …) index in either direction (an OR of per-column conditions is
 * only a filter, and made backward pages scan from the far end).
 */
function beyondKey(cols: KeyColumns, values: readonly unknown[], op: '<' | '>'): SQL {
  if (cols.length === 0) throw new Error('keyset needs at least one column');
  const left = sql.join(cols.map((c) => sql`${c}`), sql`, `);
  const right = sql.join(cols.map((c, i) => sql.param(values[i], c)), sql`, `);
  return sql`(${left}) ${sql.raw(op)} (${right})`;
}

const entityKey = (c: Cursor): unknown[] => [c.createdAt, c.id];

export interface TransactionFilter {
  cpf?: string | undefined;
  statuses?: readonly string[] | undefined;
}

export interface CaptureFilter {
  cpf?: string | undefined;
  stationId?: string | undefined;
  statuses?: readonly string[] | undefined;
  mode?: string | undefined;
}

export interface AuditFilter {
  actor?: string | undefined;
  action?: string | undefined;
}

/** What the caller knows of a mutation attempt before it runs. */
export type AuditEntryInput = Pick<AuditRow, 'actor' | 'role' | 'action' | 'target' | 'ip'>;

export class Store {
  private cipher: ReportCipher | null = null;
  /** Current transaction and person rows (see RowCache); app wiring sizes it with `useRowCache`. */
  private rows = new RowCache();

  constructor(
    readonly db: Db,
    private readonly closeFn: () => Promise<void>,
    /** Which adapter runs underneath; `/readyz` and logs name it. */
    readonly adapter: 'pglite' | 'postgres',
  ) {}

  /**
   * The one path for every state change: `decide` reads and writes the entity
   * inside a transaction and returns the event to append (or null when nothing
   * changed); the event row is appended in the same transaction — for a
   * `VersionedChange`, in the same statement as the entity row. Publishing
   * happens after commit, by the caller's event bus — so a subscriber can never
   * see a change the store does not have.
   */
  async recordChange<R>(
    topic: Topic,
    entityId: string,
    decide: (tx: Db) => Promise<Change<R> | VersionedChange<R> | null>,
  ): Promise<{ result: R; event: StoredEvent } | null> {
    // A child span of the mutation or poll; its `idgw.event.seq` joins a trace to the event log.
    return withSpan('store.recordChange', { 'idgw.event.topic': topic, 'idgw.entity.id': entityId }, async (span) => {
      const out = await this.recordChangeTx(topic, entityId, decide);
      // Committed: drop the old rows before the caller (a mutation) returns, so no read here sees them again.
      if (out) this.rows.invalidate(out.event);
      if (out) span.setAttributes({ 'idgw.event.seq': out.event.seq, 'idgw.event.type': out.event.type });
      return out;
    });
  }

  private async recordChangeTx<R>(
    topic: Topic,
    entityId: string,
    decide: (tx: Db) => Promise<Change<R> | VersionedChange<R> | null>,
  ): Promise<{ result: R; event: StoredEvent } | null> {
    return this.db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(${EVENT_LOG_LOCK})`);
      const change = await decide(tx);
      if (!change) return null;
      if ('write' in change) {
        const event = await appendVersioned(tx, topic, entityId, change);
        if (change.after) await change.after(tx);
        return { result: change.result(event.seq), event };
      }
      const [row] = await tx
        .insert(events)
        .values({ ...(change.seq === undefined ? {} : { seq: change.seq }), topic, entityId, cpf: change.cpf, type: change.type, payload: change.payload })
        .returning();
      if (!row) throw new Error('event insert returned nothing');
      return { result: change.result, event: toEvent(row) };
    });
  }

  useRowCache(cache: RowCache): void {
    this.rows = cache;
  }

  /** A committed event read from the log (any instance's): forget the cached rows it touched. */
  observeCommitted(change: CommittedChange): void {
    this.rows.invalidate(change);
  }

  /** The log tail (re)starts at the current head: rows cached before are not covered by it. */
  forgetCachedRows(): void {
    this.rows.clear();
  }

  /** Report PDFs are sealed with it (app wiring); saving or reading a report without one is a programming error. */
  useReportCipher(cipher: ReportCipher): void {
    this.cipher = cipher;
  }

  get reportCipher(): ReportCipher {
    if (!this.cipher) throw new Error('no report cipher configured (Store.useReportCipher)');
    return this.cipher;
  }

  /**
   * The seq the event of this `recordChange` will get, so the entity row can
   * store it as its version in the same write. Called under the event-log
   * lock, so reserved order is commit order.
   */
  async reserveSeq(tx: Db): Promise<number> {
    const res = await tx.execute<{ seq: string }>(sql`select nextval(pg_get_serial_sequence('events', 'seq')) as seq`);
    const rows = (Array.isArray(res) ? res : (res as { rows: { seq: string }[] }).rows) as { seq: string }[];
    return Number(rows[0]!.seq);
  }

  async ensurePerson(tx: Db, cpf: string): Promise<void> {
    await tx.insert(persons).values({ cpf }).onConflictDoNothing();
  }

  // ---- events ----------------------------------------------------------

  async latestSeq(): Promise<number> {
    const [row] = await this.db.select({ max: sql<string | null>`max(${events.seq})` }).from(events);
    return row?.max == null ? 0 : Number(row.max);
  }

  /** Events after `afterSeq` in seq order, all topics (the tailer's read). */
  async eventsAfter(afterSeq: number, limit: number): Promise<StoredEvent[]> {
    const rows = await this.db.select().from(events).where(gt(events.seq, afterSeq)).orderBy(asc(events.seq)).limit(limit);
    return rows.map(toEvent);
  }

  /** Events after `afterSeq` that match a subscription filter (the replay read). */
  async eventsMatching(filter: EventFilter, afterSeq: number, limit: number): Promise<StoredEvent[]> {
    const topics = typeof filter.topic === 'string' ? [filter.topic] : filter.topic;
    if (topics.length === 0) return [];
    // The seq order across topics is the log's: a multi-topic replay reads the primary key in order and keeps the chosen topics.
    const conds: SQL[] = [topics.length === 1 ? eq(events.topic, topics[0]!) : inArray(events.topic, [...topics]), gt(events.seq, afterSeq)];
    if (filter.entityId) conds.push(eq(events.entityId, filter.entityId));
    if (filter.cpf) conds.push(eq(events.cpf, filter.cpf));
    const rows = await this.db.select().from(events).where(and(...conds)).orderBy(asc(events.seq)).limit(limit);
    return rows.map(toEvent);
  }

  async eventsBySeqs(seqs: readonly number[]): Promise<StoredEvent[]> {
    if (seqs.length === 0) return [];
    const rows = await this.db.select().from(events).where(inArray(events.seq, [...seqs]));
    return rows.map(toEvent);
  }

  async eventsOfEntity(entityId: string): Promise<StoredEvent[]> {
    const rows = await this.db.select().from(events).where(eq(events.entityId, entityId)).orderBy(asc(events.seq));
    return rows.map(toEvent);
  }

  // ---- persons ---------------------------------------------------------

  async personsByCpf(cpfs: readonly string[]): Promise<Map<string, PersonRow>> {
    const out = new Map<string, PersonRow>();
    const missing = this.cachedInto(cpfs, out, (c) => this.rows.person(c));
    if (missing.length === 0) return out;
    const ticket = this.rows.ticket();
    const rows = await this.db.select().from(persons).where(inArray(persons.cpf, missing));
    for (const r of rows) {
      this.rows.fillPerson(ticket, r);
      out.set(r.cpf, r);
    }
    return out;
  }

  /** Copies cache hits into `out`; returns the keys still to read. */
  private cachedInto<V>(keys: readonly string[], out: Map<string, V>, cached: (k: string) => V | undefined): string[] {
    const missing: string[] = [];
    for (const k of keys) {
      const v = cached(k);
      if (v === undefined) missing.push(k);
      else out.set(k, v);
    }
    return missing;
  }

  async personsById(ids: readonly string[]): Promise<Map<string, PersonRow>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db.select().from(persons).where(inArray(persons.id, [...ids]));
    return new Map(rows.map((r) => [r.id, r]));
  }

  // ---- transactions ----------------------------------------------------

  async transactionsById(ids: readonly string[]): Promise<Map<string, TransactionRow>> {
    const out = new Map<string, TransactionRow>();
    const missing = this.cachedInto(ids, out, (id) => this.rows.transaction(id));
    if (missing.length === 0) return out;
    const ticket = this.rows.ticket();
    const rows = await this.db.select().from(transactions).where(inArray(transactions.id, missing));
    for (const r of rows) {
      this.rows.fillTransaction(ticket, r);
      out.set(r.id, r);
    }
    return out;
  }

  async transactionForUpdate(tx: Db, id: string): Promise<TransactionRow | null> {
    const [row] = await tx.select().from(transactions).where(eq(transactions.id, id)).for('update');
    return row ?? null;
  }

  async saveTransaction(tx: Db, row: TransactionRow): Promise<void> {
    await this.transactionWrite(tx, row);
  }

  /** The row's upsert, not yet run; `version` (an expression) replaces the row's when given (see `VersionedChange`). */
  transactionWrite(tx: Db, row: TransactionRow, version?: SeqExpr): PendingWrite & PromiseLike<unknown> {
    return tx
      .insert(transactions)
      .values(version ? { ...row, version } : row)
      .onConflictDoUpdate({ target: transactions.id, set: setFromExcluded(transactions) });
  }

  /** Non-terminal transactions: what the scheduler must watch after a restart. */
  async openTransactionIds(openStatuses: readonly string[]): Promise<{ id: string; expiresAt: Date }[]> {
    return this.db
      .select({ id: transactions.id, expiresAt: transactions.expiresAt })
      .from(transactions)
      .where(inArray(transactions.status, [...openStatuses]));
  }

  /**
   * One page of `table` in newest-first keyset order, both directions: the
   * same filters and order for every connection. Backward pages read the
   * reverse order (so the index serves both) and are flipped back.
   */
  private async keysetPage<T, K>(
    table: PgTable,
    cols: KeyColumns,
    valuesOf: (k: K) => unknown[],
    filters: SQL[],
    w: KeysetWindow<K>,
  ): Promise<KeysetPage<T>> {
    const conds = [...filters];
    if (w.after !== null) conds.push(beyondKey(cols, valuesOf(w.after), '<'));
    if (w.before !== null) conds.push(beyondKey(cols, valuesOf(w.before), '>'));
    const rows = (await this.db
      .select()
      .from(table)
      .where(conds.length ? and(...conds) : undefined)
      .orderBy(...cols.map((c) => (w.backward ? asc(c) : desc(c))))
      .limit(w.size + 1)) as T[];
    const more = rows.length > w.size;
    const page = rows.slice(0, w.size);
    return { rows: w.backward ? page.reverse() : page, more };
  }

  /** How many rows match `filters` (a connection's totalCount). */
  private async countWhere(table: PgTable, filters: SQL[]): Promise<number> {
    const [row] = await this.db
      .select({ n: sql<string>`count(*)` })
      .from(table)
      .where(filters.length ? and(...filters) : undefined);
    return Number(row?.n ?? 0);
  }

  private transactionFilters(filter: TransactionFilter): SQL[] {
    const conds: SQL[] = [];
    if (filter.cpf) conds.push(eq(transactions.cpf, filter.cpf));
    if (filter.statuses?.length) conds.push(inArray(transactions.status, [...filter.statuses]));
    return conds;
  }

  pageTransactions(filter: TransactionFilter, w: KeysetWindow<Cursor>): Promise<KeysetPage<TransactionRow>> {
    return this.keysetPage(transactions, [transactions.createdAt, transactions.id], entityKey, this.transactionFilters(filter), w);
  }

  countTransactions(filter: TransactionFilter): Promise<number> {
    return this.countWhere(transactions, this.transactionFilters(filter));
  }

  /** For DataLoaders: every transaction of each CPF, newest first. */
  async transactionsByCpfs(cpfs: readonly string[]): Promise<Map<string, TransactionRow[]>> {
    const out = new Map<string, TransactionRow[]>();
    const missing = this.cachedInto(cpfs, out, (c) => {
      const list = this.rows.transactionsOfCpf(c);
      return list && [...list];
    });
    if (missing.length === 0) return out;
    const ticket = this.rows.ticket();
    for (const c of missing) out.set(c, []);
    const rows = await this.db
      .select()
      .from(transactions)
      .where(inArray(transactions.cpf, missing))
      .orderBy(desc(transactions.createdAt), desc(transactions.id));
    for (const r of rows) out.get(r.cpf)?.push(r);
    for (const c of missing) this.rows.fillTransactionsOfCpf(ticket, c, [...out.get(c)!]);
    return out;
  }

  // ---- messages --------------------------------------------------------

  async messagesById(ids: readonly string[]): Promise<Map<string, MessageRow>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db.select().from(messages).where(inArray(messages.id, [...ids]));
    return new Map(rows.map((r) => [r.id, r]));
  }

  async messageForUpdate(tx: Db, id: string): Promise<MessageRow | null> {
    const [row] = await tx.select().from(messages).where(eq(messages.id, id)).for('update');
    return row ?? null;
  }

  async saveMessage(tx: Db, row: MessageRow): Promise<void> {
    await tx.insert(messages).values(row).onConflictDoUpdate({ target: messages.id, set: setFromExcluded(messages) });
  }

  /** Messages in the given statuses (the intents still waiting for the upstream's answer). */
  async messageIdsInStatus(statuses: readonly string[]): Promise<string[]> {
    const rows = await this.db.select({ id: messages.id }).from(messages).where(inArray(messages.status, [...statuses]));
    return rows.map((r) => r.id);
  }

  async messagesByCpfs(cpfs: readonly string[]): Promise<Map<string, MessageRow[]>> {
    const out = new Map<string, MessageRow[]>(cpfs.map((c) => [c, []]));
    if (cpfs.length === 0) return out;
    const rows = await this.db
      .select()
      .from(messages)
      .where(inArray(messages.cpf, [...cpfs]))
      .orderBy(desc(messages.createdAt), desc(messages.id));
    for (const r of rows) if (r.cpf) out.get(r.cpf)?.push(r);
    return out;
  }

  // ---- captures ---------------------------------------------------------

  async capturesById(ids: readonly string[]): Promise<Map<string, CaptureRow>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db.select().from(captures).where(inArray(captures.id, [...ids]));
    return new Map(rows.map((r) => [r.id, r]));
  }

  async captureForUpdate(tx: Db, id: string): Promise<CaptureRow | null> {
    const [row] = await tx.select().from(captures).where(eq(captures.id, id)).for('update');
    return row ?? null;
  }

  async saveCapture(tx: Db, row: CaptureRow): Promise<void> {
    await this.captureWrite(tx, row);
  }

  /** As `transactionWrite`. */
  captureWrite(tx: Db, row: CaptureRow, version?: SeqExpr): PendingWrite & PromiseLike<unknown> {
    return tx
      .insert(captures)
      .values(version ? { ...row, version } : row)
      .onConflictDoUpdate({ target: captures.id, set: setFromExcluded(captures) });
  }

  /** The capture holding a station's reader, if any (checked under the event-log lock, so race-free). */
  async captureHoldingStation(tx: Db, stationId: string, holding: readonly string[]): Promise<CaptureRow | null> {
    const [row] = await tx
      .select()
      .from(captures)
      .where(and(eq(captures.stationId, stationId), holdsStation(holding)))
      .limit(1);
    return row ?? null;
  }

  async capturesByTguid(stationId: string, tguids: readonly string[]): Promise<CaptureRow[]> {
    if (tguids.length === 0) return [];
    return this.db
      .select()
      .from(captures)
      .where(and(eq(captures.stationId, stationId), inArray(captures.tguid, [...tguids])));
  }

  /** Captures still to be driven or polled (including final ones whose report is not stored yet). */
  async unfinishedCaptureIds(terminal: readonly string[]): Promise<string[]> {
    const rows = await this.db
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

  private captureFilters(filter: CaptureFilter): SQL[] {
    const conds: SQL[] = [];
    if (filter.cpf) conds.push(eq(captures.cpf, filter.cpf));
    if (filter.stationId) conds.push(eq(captures.stationId, filter.stationId));
    if (filter.mode) conds.push(eq(captures.mode, filter.mode));
    if (filter.statuses?.length) conds.push(inArray(captures.status, [...filter.statuses]));
    return conds;
  }

  pageCaptures(filter: CaptureFilter, w: KeysetWindow<Cursor>): Promise<KeysetPage<CaptureRow>> {
    return this.keysetPage(captures, [captures.createdAt, captures.id], entityKey, this.captureFilters(filter), w);
  }

  countCaptures(filter: CaptureFilter): Promise<number> {
    return this.countWhere(captures, this.captureFilters(filter));
  }

  async capturesByCpfs(cpfs: readonly string[]): Promise<Map<string, CaptureRow[]>> {
    const out = new Map<string, CaptureRow[]>(cpfs.map((c) => [c, []]));
    if (cpfs.length === 0) return out;
    const rows = await this.db
      .select()
      .from(captures)
      .where(inArray(captures.cpf, [...cpfs]))
      .orderBy(desc(captures.createdAt), desc(captures.id));
    for (const r of rows) out.get(r.cpf)?.push(r);
    return out;
  }

  /** Stored encrypted (AES-256-GCM, see `reports.ts`), with the media type the station sent. */
  async saveReport(tx: Db, captureId: string, bytes: Buffer, fetchedAt: Date, contentType = 'application/pdf'): Promise<void> {
    await saveSealedReport(tx, this.reportCipher, captureId, bytes, fetchedAt, contentType);
  }

  /** The decrypted report and its media type. */
  async report(captureId: string): Promise<{ bytes: Buffer; contentType: string } | null> {
    return readReport(this.db, this.reportCipher, captureId);
  }

  /** For DataLoaders: the event history of each entity, in seq order. */
  async eventsOfEntities(ids: readonly string[]): Promise<Map<string, StoredEvent[]>> {
    const out = new Map<string, StoredEvent[]>(ids.map((i) => [i, []]));
    if (ids.length === 0) return out;
    const rows = await this.db.select().from(events).where(inArray(events.entityId, [...ids])).orderBy(asc(events.seq));
    for (const r of rows) out.get(r.entityId)?.push(toEvent(r));
    return out;
  }

  // ---- idempotency ---------------------------------------------------------

  /** Claims a key: true when this call is the first with it (then it must `completeIdempotency` or `releaseIdempotency`). */
  async claimIdempotency(subject: string, key: string, operation: string, requestHash: string): Promise<boolean> {
    const rows = await this.db
      .insert(idempotencyKeys)
      .values({ subject, key, operation, requestHash, state: 'IN_PROGRESS' })
      .onConflictDoNothing()
      .returning({ key: idempotencyKeys.key });
    return rows.length === 1;
  }

  async idempotencyRecord(subject: string, key: string) {
    const [row] = await this.db
      .select()
      .from(idempotencyKeys)
      .where(and(eq(idempotencyKeys.subject, subject), eq(idempotencyKeys.key, key)));
    return row ?? null;
  }

  async completeIdempotency(subject: string, key: string, resultKind: string, resultId: string): Promise<void> {
    await this.db
      .update(idempotencyKeys)
      .set({ state: 'DONE', resultKind, resultId })
      .where(and(eq(idempotencyKeys.subject, subject), eq(idempotencyKeys.key, key)));
  }

  /**
   * Ties a claimed key to the entity its call is about to create upstream, in
   * the intent row's own transaction: from then on a retry finds that entity
   * (once it is settled) instead of creating another.
   */
  async bindIdempotency(tx: Db, subject: string, key: string, resultKind: string, resultId: string): Promise<void> {
    await tx
      .update(idempotencyKeys)
      .set({ resultKind, resultId })
      .where(and(eq(idempotencyKeys.subject, subject), eq(idempotencyKeys.key, key)));
  }

  async releaseIdempotency(subject: string, key: string): Promise<void> {
    await this.db.delete(idempotencyKeys).where(and(eq(idempotencyKeys.subject, subject), eq(idempotencyKeys.key, key)));
  }

  async expireIdempotency(olderThan: Date): Promise<number> {
    const rows = await this.db.delete(idempotencyKeys).where(lt(idempotencyKeys.createdAt, olderThan)).returning({ key: idempotencyKeys.key });
    return rows.length;
  }

  // ---- audit ------------------------------------------------------------------

  /**
   * Appends one attempt, PENDING, before the mutation may do anything; its id
   * is handed to `auditFinish`. A throw here means "not audited": the caller
   * must not go on.
   */
  async auditAttempt(entry: AuditEntryInput): Promise<number> {
    const [row] = await this.db.insert(auditLog).values({ ...entry, result: 'PENDING' }).returning({ id: auditLog.id });
    return row!.id;
  }

  /**
   * The one allowed transition of an audit row: PENDING → its result (and the
   * target of the entity produced). Guarded in SQL (`result = 'PENDING'`) and by
   * the `audit_log_append_only` trigger: a finished record cannot change.
   */
  async auditFinish(id: number, result: string, target: string | null): Promise<void> {
    await this.db
      .update(auditLog)
      .set({ result, target, finishedAt: sql`now()` })
      .where(and(eq(auditLog.id, id), eq(auditLog.result, 'PENDING')));
  }

  /**
   * A finished record in one append (refusals decided before any work, report downloads).
   * `tx`: inside a state change's own transaction (a reconciliation recorded with its audit line).
   */
  async audit(entry: AuditEntryInput & { result: string }, tx: Db = this.db): Promise<void> {
    await tx.insert(auditLog).values({ ...entry, finishedAt: sql`now()` });
  }

  /**
   * The ONLY other write to audit rows: the retention job replaces a target
   * (e.g. `cpf:***.***.009-57`) by its pseudonym. The trigger lets it through
   * only inside this transaction's `idgw.audit_pseudonymise` flag, and only
   * for `target`. Returns the number of rows rewritten.
   */
  async pseudonymiseAuditTargets(from: string, to: string): Promise<number> {
    return this.db.transaction(async (tx) => {
      await allowAuditTargetRewrite(tx);
      const rows = await tx.update(auditLog).set({ target: to }).where(eq(auditLog.target, from)).returning({ id: auditLog.id });
      return rows.length;
    });
  }

  private auditFilters(filter: AuditFilter): SQL[] {
    const conds: SQL[] = [];
    if (filter.actor) conds.push(eq(auditLog.actor, filter.actor));
    if (filter.action) conds.push(eq(auditLog.action, filter.action));
    return conds;
  }

  /** The audit log pages by its id alone: a bigserial, so id order is append order. */
  pageAudit(filter: AuditFilter, w: KeysetWindow<number>): Promise<KeysetPage<AuditRow>> {
    return this.keysetPage(auditLog, [auditLog.id], (id) => [id], this.auditFilters(filter), w);
  }

  countAudit(filter: AuditFilter): Promise<number> {
    return this.countWhere(auditLog, this.auditFilters(filter));
  }

  /** The newest `first` entries older than `afterId` (tests and scripts reading the log directly). */
  async listAudit(filter: AuditFilter, first: number, afterId: number | null): Promise<{ items: AuditRow[]; hasNextPage: boolean }> {
    const page = await this.pageAudit(filter, { size: first, backward: false, after: afterId, before: null });
    return { items: page.rows, hasNextPage: page.more };
  }

  /** For DataLoaders: audit entries by id. */
  async auditByIds(ids: readonly number[]): Promise<Map<number, AuditRow>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db.select().from(auditLog).where(inArray(auditLog.id, [...ids]));
    return new Map(rows.map((r) => [r.id, r]));
  }

  private pingInFlight: Promise<void> | null = null;

  /**
   * Liveness of the store for `/readyz` and before a flow starts. Concurrent
   * callers share one round trip: a burst of mutations would otherwise queue
   * one `select 1` each for a pool connection (on PGlite, for its one connection).
   */
  ping(): Promise<void> {
    this.pingInFlight ??= this.db
      .execute(sql`select 1`)
      .then(() => undefined)
      .finally(() => {
        this.pingInFlight = null;
      });
    return this.pingInFlight;
  }

  close(): Promise<void> {
    return this.closeFn();
  }
}
