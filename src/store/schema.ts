import { sql } from 'drizzle-orm';
import { bigint, bigserial, boolean, customType, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * One schema for both adapters (PGlite and PostgreSQL): the migrations under
 * `src/store/migrations/` are generated from it and run unchanged on both.
 * Entity rows hold the current state; `events` is the append-only log that
 * subscriptions replay from.
 */

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const persons = pgTable('persons', {
  /** A CPF, or its keyed pseudonym (`pseud:…`) once the person's data is past retention or erased. */
  cpf: text('cpf').primaryKey(),
  /** Stable id not derived from the CPF: it survives pseudonymisation (erasure and export address persons by it). */
  id: uuid('id').notNull().unique().default(sql`gen_random_uuid()`),
  firstSeenAt: ts('first_seen_at').notNull().default(sql`now()`),
});

export interface RequesterJson {
  cnpj: string;
  name: string;
  service: string;
}
export interface SealJson {
  reuseFrom: string | null;
  available: boolean;
  validatedAt: string | null;
  used: boolean;
}
export interface ResponseJson {
  authorized: boolean;
  answeredAt: string;
  /** A documented `motivo_negacao` (1–4); null when none or unknown. */
  denialReason: number | null;
  /** `motivo_negacao` as the upstream sent it, known or not (absent in rows written before it existed). */
  denialReasonCode?: string | null;
}
export interface CancellationJson {
  code: string;
  reason: string | null;
  cancelledAt: string | null;
}

export const transactions = pgTable(
  'transactions',
  {
    /** Ours, written before the upstream create (the intent row), so it exists even when the create's answer never comes. */
    id: uuid('id').primaryKey(),
    /** The upstream's transaction id; null until its answer to the create arrives (REQUESTING, UNCONFIRMED, FAILED). */
    upstreamId: text('upstream_id'),
    cpf: text('cpf').notNull(),
    status: text('status').notNull(),
    /** The upstream API version the transaction was created through (vbeta1, vbeta2, vbeta4). */
    apiVersion: text('api_version').notNull(),
    kind: text('kind').notNull(),
    category: text('category'),
    reason: text('reason').notNull(),
    requester: jsonb('requester').$type<RequesterJson>().notNull(),
    sealReuseWindowMinutes: integer('seal_reuse_window_minutes'),
    seal: jsonb('seal').$type<SealJson | null>(),
    response: jsonb('response').$type<ResponseJson | null>(),
    cancellation: jsonb('cancellation').$type<CancellationJson | null>(),
    autoAuthorized: boolean('auto_authorized').notNull().default(false),
    requestedBy: text('requested_by'),
    createdAt: ts('created_at').notNull(),
    expiresAt: ts('expires_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
    /** Seq of the event that recorded this state: a client cache keeps the higher one (0 = before versions existed). */
    version: bigint('version', { mode: 'number' }).notNull().default(0),
  },
  (t) => [
    index('transactions_cpf_idx').on(t.cpf, t.createdAt),
    index('transactions_status_idx').on(t.status, t.createdAt),
    index('transactions_created_idx').on(t.createdAt, t.id),
  ],
);

export const messages = pgTable(
  'messages',
  {
    /** Ours, written before the upstream send (the intent row). */
    id: uuid('id').primaryKey(),
    /** The upstream's message id; null until its answer to the send arrives. */
    upstreamId: text('upstream_id'),
    cpf: text('cpf'),
    kind: text('kind').notNull(),
    title: text('title').notNull(),
    content: text('content').notNull(),
    senderCnpj: text('sender_cnpj').notNull(),
    senderName: text('sender_name').notNull(),
    status: text('status').notNull(),
    sentBy: text('sent_by'),
    createdAt: ts('created_at').notNull(),
    deletedAt: ts('deleted_at'),
  },
  (t) => [index('messages_cpf_idx').on(t.cpf, t.createdAt)],
);

export const events = pgTable(
  'events',
  {
    /** Monotonic and, because appends are serialized (see `recordChange`), committed in this order. */
    seq: bigserial('seq', { mode: 'number' }).primaryKey(),
    topic: text('topic').notNull(),
    entityId: text('entity_id').notNull(),
    cpf: text('cpf'),
    type: text('type').notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    createdAt: ts('created_at').notNull().default(sql`now()`),
  },
  (t) => [
    index('events_topic_seq_idx').on(t.topic, t.seq),
    index('events_entity_seq_idx').on(t.entityId, t.seq),
    index('events_cpf_seq_idx').on(t.cpf, t.seq),
  ],
);

export type PersonRow = typeof persons.$inferSelect;
export type TransactionRow = typeof transactions.$inferSelect;
export type MessageRow = typeof messages.$inferSelect;
export type EventRow = typeof events.$inferSelect;

export const captures = pgTable(
  'captures',
  {
    id: uuid('id').primaryKey(),
    stationId: text('station_id').notNull(),
    cpf: text('cpf').notNull(),
    /** PRESENTIAL | REMOTE */
    mode: text('mode').notNull(),
    /** VERIFY | ENROLL */
    kind: text('kind').notNull(),
    status: text('status').notNull(),
    autoAdvance: boolean('auto_advance').notNull(),
    enrollIfNotFound: boolean('enroll_if_not_found').notNull(),
    tguid: text('tguid'),
    /** The station's final answer (SEARCH_MATCH, ENROLLED, EXPIRED, …). */
    result: text('result'),
    sendOutcome: text('send_outcome'),
    /** When the current Send (or remote link) was claimed: the poller leaves it alone until the station timeout has passed. */
    sendClaimedAt: ts('send_claimed_at'),
    remoteUrl: text('remote_url'),
    email: text('email'),
    /** Human-readable reason of the last step (error code, desk cancel…); never an upstream body. */
    detail: text('detail'),
    reportSize: integer('report_size'),
    reportFetchedAt: ts('report_fetched_at'),
    startedBy: text('started_by'),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
    /** Seq of the event that recorded this state (see transactions.version). */
    version: bigint('version', { mode: 'number' }).notNull().default(0),
  },
  (t) => [
    index('captures_station_status_idx').on(t.stationId, t.status),
    index('captures_cpf_idx').on(t.cpf, t.createdAt),
    index('captures_created_idx').on(t.createdAt, t.id),
    index('captures_tguid_idx').on(t.tguid),
  ],
);

const bytea = customType<{ data: Buffer; driverData: Buffer | Uint8Array }>({
  dataType: () => 'bytea',
  fromDriver: (v) => (Buffer.isBuffer(v) ? v : Buffer.from(v)),
});

/**
 * Reports, kept once a capture is final (the station may not keep them),
 * until retention. PDF per the contract; any other format is kept as sent,
 * with its media type. `pdf` holds the AES-256-GCM ciphertext under key
 * `keyId` (see `src/privacy/report-cipher.ts`); rows written before
 * encryption have no `keyId` and plaintext until the privacy job seals them.
 */
export const captureReports = pgTable('capture_reports', {
  captureId: uuid('capture_id').primaryKey(),
  pdf: bytea('pdf').notNull(),
  /** The report's media type, served back as is (`application/pdf` unless the station sent another format). */
  contentType: text('content_type').notNull().default('application/pdf'),
  fetchedAt: ts('fetched_at').notNull(),
  keyId: text('key_id'),
  iv: bytea('iv'),
  tag: bytea('tag'),
});

/**
 * Idempotency keys of mutations with an upstream side effect: a retried call
 * returns the first result, and the citizen is not notified twice.
 */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    subject: text('subject').notNull(),
    key: text('key').notNull(),
    operation: text('operation').notNull(),
    requestHash: text('request_hash').notNull(),
    /** IN_PROGRESS while the first call runs; DONE with the entity it produced. */
    state: text('state').notNull(),
    resultKind: text('result_kind'),
    resultId: text('result_id'),
    createdAt: ts('created_at').notNull().default(sql`now()`),
  },
  (t) => [primaryKey({ columns: [t.subject, t.key] }), index('idempotency_created_idx').on(t.createdAt)],
);

/**
 * Who did what, for every mutation attempt (queryable by admins). Append-only:
 * a row is written PENDING before any side effect and gets its result once
 * (the database trigger of migration 0003 refuses any other update, and every
 * delete). See `Store.auditAttempt`.
 */
export const auditLog = pgTable(
  'audit_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: ts('at').notNull().default(sql`now()`),
    actor: text('actor'),
    role: text('role'),
    action: text('action').notNull(),
    target: text('target'),
    /** PENDING while the attempt runs (forever if the process died mid-way); then OK or the error code. */
    result: text('result').notNull().default('PENDING'),
    ip: text('ip'),
    finishedAt: ts('finished_at'),
  },
  (t) => [index('audit_at_idx').on(t.at), index('audit_actor_idx').on(t.actor, t.at)],
);

/**
 * Counts of transactions and captures per (kind, station, current status) by
 * creation time, at three grains (hour, day, month buckets, UTC): `stats`
 * adds whole buckets and scans only the sub-hour edges of a window. Kept by
 * the `stat_counts_track` triggers of migration 0008 in the transaction of
 * every insert, status change or delete of an entity row — whichever code
 * path writes it — so it cannot drift from the rows.
 */
export const statCounts = pgTable(
  'stat_counts',
  {
    /** transaction | capture */
    kind: text('kind').notNull(),
    /** hour | day | month */
    grain: text('grain').notNull(),
    /** Start of the bucket: date_trunc(grain, created_at, 'UTC'). */
    bucket: ts('bucket').notNull(),
    /** The capture's station; '' for transactions (they have none). */
    stationId: text('station_id').notNull(),
    status: text('status').notNull(),
    count: bigint('count', { mode: 'number' }).notNull(),
  },
  // Grain and bucket first: a window is one range scan per grain, for every kind and station at once.
  (t) => [primaryKey({ columns: [t.grain, t.bucket, t.kind, t.stationId, t.status] })],
);

/**
 * Current state of each configured SPID station, as last recorded by its
 * poller (Login Status), by the login/logout mutations, and by capture
 * changes (busy/free). Each change here is recorded with an event of topic
 * `station` in the same transaction; queries read this, never the station.
 */
export const stations = pgTable('stations', {
  /** The configured station id (`SPID_STATIONS[].id`). */
  id: text('id').primaryKey(),
  /** Null until the first poll (or login) answered or failed: unknown. */
  online: boolean('online'),
  /** Login Status (OperatorLoginStatus or UNKNOWN); null = never read. */
  loginStatus: text('login_status'),
  /** Login Status exactly as the station sent it. */
  loginStatusCode: text('login_status_code'),
  /** The logged-in operator's CPF (an operator, not a citizen: never in `events.cpf`). */
  operatorCpf: text('operator_cpf'),
  busy: boolean('busy').notNull().default(false),
  /** The capture holding the reader while busy. */
  currentCaptureId: uuid('current_capture_id'),
  /** Last poll or login that read the station, whether anything changed or not. */
  lastCheckedAt: ts('last_checked_at'),
  /** Last recorded change (the last station event). */
  lastChangedAt: ts('last_changed_at'),
  /** Seq of the event that recorded this state. */
  version: bigint('version', { mode: 'number' }).notNull().default(0),
});

export type CaptureRow = typeof captures.$inferSelect;
export type StationRow = typeof stations.$inferSelect;
export type AuditRow = typeof auditLog.$inferSelect;
export const schema = { persons, transactions, messages, events, captures, captureReports, idempotencyKeys, auditLog, statCounts, stations };
export type Schema = typeof schema;
