import { inArray, sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type { ReportCipher } from '../privacy/report-cipher';
import * as auditLog from './audit-log';
import type { AuditEntryInput, AuditFilter } from './audit-log';
import * as cachedReads from './cached-reads';
import * as captureRows from './captures';
import type { CaptureFilter } from './captures';
import * as eventLog from './event-log';
import { executeRows } from './execute-rows';
import { toEvent, type EventFilter, type StoredEvent, type Topic } from './event-log';
import * as idempotency from './idempotency';
import type { IdempotencyRow } from './idempotency';
import type { Cursor, KeysetPage, KeysetWindow } from './keyset';
import * as messageRows from './messages';
import { readReport, saveSealedReport } from './reports';
import { events, persons, type AuditRow, type CaptureRow, type MessageRow, type PersonRow, type Schema, type TransactionRow } from './schema';
import { withSpan } from '../tracing';
import * as transactionRows from './transactions';
import type { TransactionFilter } from './transactions';
import { appendVersioned, type PendingWrite, type SeqExpr, type VersionedChange } from './versioned';
import { RowCache, type CommittedChange } from './row-cache';

export type { AuditEntryInput, AuditFilter } from './audit-log';
export type { CaptureFilter } from './captures';
export type { EventFilter, StoredEvent, Topic } from './event-log';
export type { Cursor, KeysetPage, KeysetWindow } from './keyset';
export type { TransactionFilter } from './transactions';

/** The drizzle database both adapters hand us (PGlite or node-postgres), or a transaction of it. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;

/** What a flow decides inside the transaction: the event to append, or null for "nothing changed". */
export interface Change<R> {
  /** A seq from `reserveSeq` in this transaction (the entity row already carries it as its version). */
  seq?: number;
  type: string;
  cpf: string | null;
  payload: Record<string, unknown>;
  result: R;
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

/**
 * The store: the event-log write path and the row cache live here; the SQL
 * of each kind of row is in its own module (captures.ts, audit-log.ts, …),
 * which these methods delegate to.
 */
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
    const [row] = await executeRows<{ seq: string }>(tx, sql`select nextval(pg_get_serial_sequence('events', 'seq')) as seq`);
    return Number(row!.seq);
  }

  async ensurePerson(tx: Db, cpf: string): Promise<void> {
    await tx.insert(persons).values({ cpf }).onConflictDoNothing();
  }

  // ---- events (see event-log.ts) -----------------------------------------

  latestSeq(): Promise<number> {
    return eventLog.latestSeq(this.db);
  }

  /** Events after `afterSeq` in seq order, all topics (the tailer's read). */
  eventsAfter(afterSeq: number, limit: number): Promise<StoredEvent[]> {
    return eventLog.eventsAfter(this.db, afterSeq, limit);
  }

  /** Events after `afterSeq` that match a subscription filter (the replay read). */
  eventsMatching(filter: EventFilter, afterSeq: number, limit: number): Promise<StoredEvent[]> {
    return eventLog.eventsMatching(this.db, filter, afterSeq, limit);
  }

  eventsBySeqs(seqs: readonly number[]): Promise<StoredEvent[]> {
    return eventLog.eventsBySeqs(this.db, seqs);
  }

  eventsOfEntity(entityId: string): Promise<StoredEvent[]> {
    return eventLog.eventsOfEntity(this.db, entityId);
  }

  /** For DataLoaders: the event history of each entity, in seq order. */
  eventsOfEntities(ids: readonly string[]): Promise<Map<string, StoredEvent[]>> {
    return eventLog.eventsOfEntities(this.db, ids);
  }

  // ---- persons (the cached read: see cached-reads.ts) -------------------

  personsByCpf(cpfs: readonly string[]): Promise<Map<string, PersonRow>> {
    return cachedReads.personsByCpf(this.db, this.rows, cpfs);
  }

  async personsById(ids: readonly string[]): Promise<Map<string, PersonRow>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db.select().from(persons).where(inArray(persons.id, [...ids]));
    return new Map(rows.map((r) => [r.id, r]));
  }

  // ---- transactions (see transactions.ts; cached reads in cached-reads.ts) ----

  transactionsById(ids: readonly string[]): Promise<Map<string, TransactionRow>> {
    return cachedReads.transactionsById(this.db, this.rows, ids);
  }

  transactionForUpdate(tx: Db, id: string): Promise<TransactionRow | null> {
    return transactionRows.transactionForUpdate(tx, id);
  }

  async saveTransaction(tx: Db, row: TransactionRow): Promise<void> {
    await transactionRows.transactionWrite(tx, row);
  }

  /** The row's upsert, not yet run; `version` (an expression) replaces the row's when given (see `VersionedChange`). */
  transactionWrite(tx: Db, row: TransactionRow, version?: SeqExpr): PendingWrite & PromiseLike<unknown> {
    return transactionRows.transactionWrite(tx, row, version);
  }

  /** Non-terminal transactions: what the scheduler must watch after a restart. */
  openTransactionIds(openStatuses: readonly string[]): Promise<{ id: string; expiresAt: Date }[]> {
    return transactionRows.openTransactionIds(this.db, openStatuses);
  }

  pageTransactions(filter: TransactionFilter, w: KeysetWindow<Cursor>): Promise<KeysetPage<TransactionRow>> {
    return transactionRows.pageTransactions(this.db, filter, w);
  }

  countTransactions(filter: TransactionFilter): Promise<number> {
    return transactionRows.countTransactions(this.db, filter);
  }

  /** For DataLoaders: every transaction of each CPF, newest first. */
  transactionsByCpfs(cpfs: readonly string[]): Promise<Map<string, TransactionRow[]>> {
    return cachedReads.transactionsByCpfs(this.db, this.rows, cpfs);
  }

  // ---- messages (see messages.ts) --------------------------------------

  messagesById(ids: readonly string[]): Promise<Map<string, MessageRow>> {
    return messageRows.messagesById(this.db, ids);
  }

  messageForUpdate(tx: Db, id: string): Promise<MessageRow | null> {
    return messageRows.messageForUpdate(tx, id);
  }

  saveMessage(tx: Db, row: MessageRow): Promise<void> {
    return messageRows.saveMessage(tx, row);
  }

  /** Messages in the given statuses (the intents still waiting for the upstream's answer). */
  messageIdsInStatus(statuses: readonly string[]): Promise<string[]> {
    return messageRows.messageIdsInStatus(this.db, statuses);
  }

  messagesByCpfs(cpfs: readonly string[]): Promise<Map<string, MessageRow[]>> {
    return messageRows.messagesByCpfs(this.db, cpfs);
  }

  // ---- captures (see captures.ts) --------------------------------------

  capturesById(ids: readonly string[]): Promise<Map<string, CaptureRow>> {
    return captureRows.capturesById(this.db, ids);
  }

  captureForUpdate(tx: Db, id: string): Promise<CaptureRow | null> {
    return captureRows.captureForUpdate(tx, id);
  }

  async saveCapture(tx: Db, row: CaptureRow): Promise<void> {
    await captureRows.captureWrite(tx, row);
  }

  /** As `transactionWrite`. */
  captureWrite(tx: Db, row: CaptureRow, version?: SeqExpr): PendingWrite & PromiseLike<unknown> {
    return captureRows.captureWrite(tx, row, version);
  }

  /** The capture holding a station's reader, if any (checked under the event-log lock, so race-free). */
  captureHoldingStation(tx: Db, stationId: string, holding: readonly string[]): Promise<CaptureRow | null> {
    return captureRows.captureHoldingStation(tx, stationId, holding);
  }

  capturesByTguid(stationId: string, tguids: readonly string[]): Promise<CaptureRow[]> {
    return captureRows.capturesByTguid(this.db, stationId, tguids);
  }

  /** Captures still to be driven or polled (including final ones whose report is not stored yet). */
  unfinishedCaptureIds(terminal: readonly string[]): Promise<string[]> {
    return captureRows.unfinishedCaptureIds(this.db, terminal);
  }

  pageCaptures(filter: CaptureFilter, w: KeysetWindow<Cursor>): Promise<KeysetPage<CaptureRow>> {
    return captureRows.pageCaptures(this.db, filter, w);
  }

  countCaptures(filter: CaptureFilter): Promise<number> {
    return captureRows.countCaptures(this.db, filter);
  }

  capturesByCpfs(cpfs: readonly string[]): Promise<Map<string, CaptureRow[]>> {
    return captureRows.capturesByCpfs(this.db, cpfs);
  }

  /** Stored encrypted (AES-256-GCM, see `reports.ts`), with the media type the station sent. */
  async saveReport(tx: Db, captureId: string, bytes: Buffer, fetchedAt: Date, contentType = 'application/pdf'): Promise<void> {
    await saveSealedReport(tx, this.reportCipher, captureId, bytes, fetchedAt, contentType);
  }

  /** The decrypted report and its media type. */
  async report(captureId: string): Promise<{ bytes: Buffer; contentType: string } | null> {
    return readReport(this.db, this.reportCipher, captureId);
  }

  // ---- idempotency (see idempotency.ts) ------------------------------------

  /** Claims a key: true when this call is the first with it (then it must `completeIdempotency` or `releaseIdempotency`). */
  claimIdempotency(subject: string, key: string, operation: string, requestHash: string): Promise<boolean> {
    return idempotency.claimIdempotency(this.db, subject, key, operation, requestHash);
  }

  idempotencyRecord(subject: string, key: string): Promise<IdempotencyRow | null> {
    return idempotency.idempotencyRecord(this.db, subject, key);
  }

  completeIdempotency(subject: string, key: string, resultKind: string, resultId: string): Promise<void> {
    return idempotency.completeIdempotency(this.db, subject, key, resultKind, resultId);
  }

  /** Ties a claimed key to the entity its call is about to create upstream, in the intent row's own transaction. */
  bindIdempotency(tx: Db, subject: string, key: string, resultKind: string, resultId: string): Promise<void> {
    return idempotency.bindIdempotency(tx, subject, key, resultKind, resultId);
  }

  releaseIdempotency(subject: string, key: string): Promise<void> {
    return idempotency.releaseIdempotency(this.db, subject, key);
  }

  expireIdempotency(olderThan: Date): Promise<number> {
    return idempotency.expireIdempotency(this.db, olderThan);
  }

  // ---- audit (see audit-log.ts) -----------------------------------------------

  /** Appends one attempt, PENDING, before the mutation may do anything; a throw means "not audited": do not go on. */
  auditAttempt(entry: AuditEntryInput): Promise<number> {
    return auditLog.auditAttempt(this.db, entry);
  }

  /** The one allowed transition of an audit row: PENDING → its result (and the target of the entity produced). */
  auditFinish(id: number, result: string, target: string | null): Promise<void> {
    return auditLog.auditFinish(this.db, id, result, target);
  }

  /** A finished record in one append; `tx`: inside a state change's own transaction. */
  audit(entry: AuditEntryInput & { result: string }, tx: Db = this.db): Promise<void> {
    return auditLog.appendFinishedAudit(tx, entry);
  }

  /** The retention job's rewrite of a target to its pseudonym (the only other write to audit rows). Returns the rows rewritten. */
  pseudonymiseAuditTargets(from: string, to: string): Promise<number> {
    return auditLog.pseudonymiseAuditTargets(this.db, from, to);
  }

  /** The audit log pages by its id alone: a bigserial, so id order is append order. */
  pageAudit(filter: AuditFilter, w: KeysetWindow<number>): Promise<KeysetPage<AuditRow>> {
    return auditLog.pageAudit(this.db, filter, w);
  }

  countAudit(filter: AuditFilter): Promise<number> {
    return auditLog.countAudit(this.db, filter);
  }

  /** The newest `first` entries older than `afterId` (tests and scripts reading the log directly). */
  listAudit(filter: AuditFilter, first: number, afterId: number | null): Promise<{ items: AuditRow[]; hasNextPage: boolean }> {
    return auditLog.listAudit(this.db, filter, first, afterId);
  }

  /** For DataLoaders: audit entries by id. */
  auditByIds(ids: readonly number[]): Promise<Map<number, AuditRow>> {
    return auditLog.auditByIds(this.db, ids);
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
