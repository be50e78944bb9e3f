import { and, asc, eq, inArray, isNotNull, lt, notLike, or, sql, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import { cpfSpellings, PSEUDONYM_PREFIX } from '../privacy/pseudonym';
import { auditLog, captureReports, captures, events, idempotencyKeys, messages, persons, transactions, type AuditRow } from './schema';
import type { Db } from './store';

/**
 * The SQL of retention and erasure (LGPD). Every function here runs inside
 * the caller's transaction; `PrivacyService` holds the event-log lock around
 * them, so no flow can change an entity while its CPF is being replaced.
 */

/** Finished entities of one CPF, by kind. */
export interface PersonEntities {
  transactions: string[];
  messages: string[];
  captures: string[];
}

/** What "finished" means for each flow, passed in by the flow layer (the store knows no state machine). */
export interface FinishedRules {
  /** Transaction statuses that may still change (PENDING). */
  openTransactionStatuses: readonly string[];
  /** Capture statuses that end a flow. */
  terminalCaptureStatuses: readonly string[];
}

const notPseudonymized = (c: PgColumn) => notLike(c, `${PSEUDONYM_PREFIX}%`);

function transactionFinished(r: FinishedRules): SQL {
  return sql`${transactions.status} not in (${sql.join(r.openTransactionStatuses.map((s) => sql`${s}`), sql`, `)})`;
}

/** Mirrors `captureFinished`: terminal, not about to enroll, and its report stored (or none to fetch). */
function captureFinishedSql(r: FinishedRules): SQL {
  return and(
    inArray(captures.status, [...r.terminalCaptureStatuses]),
    sql`not (${captures.status} = 'PERSON_NOT_FOUND' and ${captures.enrollIfNotFound})`,
    or(sql`${captures.tguid} is null`, isNotNull(captures.reportFetchedAt), eq(captures.status, 'SEND_UNCONFIRMED')),
  )!;
}

const group = (out: Map<string, PersonEntities>, cpf: string, kind: keyof PersonEntities, id: string) => {
  let e = out.get(cpf);
  if (!e) out.set(cpf, (e = { transactions: [], messages: [], captures: [] }));
  e[kind].push(id);
};

/**
 * Finished entities still carrying a CPF: those that finished before `before`
 * (retention), or every finished one of `cpf` (erasure). Grouped by CPF. A
 * flow's last change (`updatedAt`; a message's deletion or sending) is when it finished.
 */
export async function finishedEntities(
  db: Db,
  rules: FinishedRules,
  scope: { before: Date; limit: number } | { cpf: string },
): Promise<Map<string, PersonEntities>> {
  // Retention reads a page per kind (the caller loops until nothing is left); erasure reads all of one person.
  const limit = 'limit' in scope ? scope.limit : Number.MAX_SAFE_INTEGER;
  const out = new Map<string, PersonEntities>();
  const t = await db
    .select({ id: transactions.id, cpf: transactions.cpf })
    .from(transactions)
    .where(and(transactionFinished(rules), notPseudonymized(transactions.cpf), 'cpf' in scope ? eq(transactions.cpf, scope.cpf) : lt(transactions.updatedAt, scope.before)))
    .limit(limit);
  for (const r of t) group(out, r.cpf, 'transactions', r.id);
  const m = await db
    .select({ id: messages.id, cpf: messages.cpf })
    .from(messages)
    .where(
      and(
        isNotNull(messages.cpf),
        notPseudonymized(messages.cpf),
        'cpf' in scope ? eq(messages.cpf, scope.cpf) : sql`coalesce(${messages.deletedAt}, ${messages.createdAt}) < ${scope.before.toISOString()}`,
      ),
    )
    .limit(limit);
  for (const r of m) if (r.cpf) group(out, r.cpf, 'messages', r.id);
  const c = await db
    .select({ id: captures.id, cpf: captures.cpf })
    .from(captures)
    .where(and(captureFinishedSql(rules), notPseudonymized(captures.cpf), 'cpf' in scope ? eq(captures.cpf, scope.cpf) : lt(captures.updatedAt, scope.before)))
    .limit(limit);
  for (const r of c) group(out, r.cpf, 'captures', r.id);
  return out;
}

/** Flows of `cpf` that are not finished (erasure waits for them). */
export async function openFlows(db: Db, rules: FinishedRules, cpf: string): Promise<{ transactions: number; captures: number }> {
  const [t] = await db.select({ n: sql<number>`count(*)::int` }).from(transactions).where(and(eq(transactions.cpf, cpf), sql`not (${transactionFinished(rules)})`));
  const [c] = await db.select({ n: sql<number>`count(*)::int` }).from(captures).where(and(eq(captures.cpf, cpf), sql`not (${captureFinishedSql(rules)})`));
  return { transactions: Number(t?.n ?? 0), captures: Number(c?.n ?? 0) };
}

/** `expr` with both spellings of `cpf` replaced by the pseudonym (free text and JSON alike). */
function replaceCpf(expr: SQL | PgColumn, cpf: string, pseudonym: string): SQL {
  const [digits, formatted] = cpfSpellings(cpf);
  return sql`replace(replace(${expr}, ${digits}, ${pseudonym}), ${formatted}, ${pseudonym})`;
}

export interface PseudonymizeCounts {
  transactions: number;
  messages: number;
  captures: number;
  reportsDeleted: number;
  events: number;
}

/**
 * Replaces `cpf` by `pseudonym` in the given entities, their event snapshots
 * (the `cpf` column and anywhere inside `payload`) and their idempotency
 * records; deletes their report PDFs (the capture then shows no report, in
 * its row and its history); drops the capture's e-mail and remote link
 * (contact data and a dead capability, of no use once the flow ended).
 * Free text an operator typed (reason, title, content, detail) is scrubbed too.
 */
export async function pseudonymizeEntities(tx: Db, cpf: string, pseudonym: string, ids: PersonEntities): Promise<PseudonymizeCounts> {
  const counts: PseudonymizeCounts = { transactions: 0, messages: 0, captures: 0, reportsDeleted: 0, events: 0 };
  if (ids.transactions.length) {
    const r = await tx
      .update(transactions)
      .set({ cpf: pseudonym, reason: replaceCpf(transactions.reason, cpf, pseudonym) })
      .where(and(inArray(transactions.id, ids.transactions), eq(transactions.cpf, cpf)))
      .returning({ id: transactions.id });
    counts.transactions = r.length;
  }
  if (ids.messages.length) {
    const r = await tx
      .update(messages)
      .set({ cpf: pseudonym, title: replaceCpf(messages.title, cpf, pseudonym), content: replaceCpf(messages.content, cpf, pseudonym) })
      .where(and(inArray(messages.id, ids.messages), eq(messages.cpf, cpf)))
      .returning({ id: messages.id });
    counts.messages = r.length;
  }
  if (ids.captures.length) {
    // reportSize 0: no report to serve (as for REPORT_UNAVAILABLE); reportFetchedAt stays, so nothing fetches it again.
    const r = await tx
      .update(captures)
      .set({ cpf: pseudonym, detail: replaceCpf(captures.detail, cpf, pseudonym), email: null, remoteUrl: null, reportSize: 0 })
      .where(and(inArray(captures.id, ids.captures), eq(captures.cpf, cpf)))
      .returning({ id: captures.id });
    counts.captures = r.length;
    const d = await tx.delete(captureReports).where(inArray(captureReports.captureId, ids.captures)).returning({ id: captureReports.captureId });
    counts.reportsDeleted = d.length;
  }
  for (const [topic, list] of [['transaction', ids.transactions], ['message', ids.messages], ['capture', ids.captures]] as const) {
    if (!list.length) continue;
    const payload = replaceCpf(sql`${events.payload}::text`, cpf, pseudonym);
    const r = await tx
      .update(events)
      .set({
        cpf: replaceCpf(events.cpf, cpf, pseudonym),
        payload: topic === 'capture' ? sql`(${payload})::jsonb || '{"email":null,"remoteUrl":null,"reportSize":0}'::jsonb` : sql`(${payload})::jsonb`,
      })
      .where(and(eq(events.topic, topic), inArray(events.entityId, list)))
      .returning({ seq: events.seq });
    counts.events += r.length;
  }
  const all = [...ids.transactions, ...ids.messages, ...ids.captures];
  if (all.length) {
    // A retry with such a key is then refused (IDEMPOTENCY_KEY_REUSED) rather than linked back to the person.
    await tx
      .update(idempotencyKeys)
      .set({ key: replaceCpf(idempotencyKeys.key, cpf, pseudonym), requestHash: 'erased' })
      .where(inArray(idempotencyKeys.resultId, all));
  }
  return counts;
}

/**
 * The audit table's trigger (migration audit-append-only) refuses every UPDATE
 * but a target rewrite announced in the same transaction: the one place that
 * announces it, for every pseudonymisation of audit targets.
 */
export async function allowAuditTargetRewrite(tx: Db): Promise<void> {
  await tx.execute(sql`select set_config('idgw.audit_pseudonymise', 'on', true)`);
}

/**
 * THE one rewrite of the otherwise append-only audit log: a CPF inside an
 * audit target becomes its pseudonym. Nothing else of an audit record (who,
 * what, when, result) is ever changed, and no audit record is ever deleted.
 */
export async function pseudonymizeAuditTargets(tx: Db, cpf: string, pseudonym: string): Promise<number> {
  const [digits, formatted] = cpfSpellings(cpf);
  await allowAuditTargetRewrite(tx);
  const r = await tx
    .update(auditLog)
    .set({ target: replaceCpf(auditLog.target, cpf, pseudonym) })
    .where(or(sql`strpos(${auditLog.target}, ${digits}) > 0`, sql`strpos(${auditLog.target}, ${formatted}) > 0`))
    .returning({ id: auditLog.id });
  return r.length;
}

/**
 * While some flows still carry the CPF (retention of the older ones only),
 * the pseudonymised flows get their own person record under the pseudonym.
 * Once no row carries `cpf` any more, the person row itself takes the
 * pseudonym (keeping its id). If the person had already been pseudonymised
 * once and came back, the two rows are one person: the older row is kept (with
 * the earliest first-seen date) and its id returned.
 */
export async function pseudonymizePersonIfUnused(tx: Db, cpf: string, pseudonym: string): Promise<string | null> {
  const uses = await Promise.all([
    tx.select({ n: sql<number>`count(*)::int` }).from(transactions).where(eq(transactions.cpf, cpf)),
    tx.select({ n: sql<number>`count(*)::int` }).from(messages).where(eq(messages.cpf, cpf)),
    tx.select({ n: sql<number>`count(*)::int` }).from(captures).where(eq(captures.cpf, cpf)),
  ]);
  const [row] = await tx.select().from(persons).where(eq(persons.cpf, cpf)).for('update');
  if (uses.some(([u]) => Number(u?.n ?? 0) > 0)) {
    // Some flows still carry the CPF: the pseudonymised ones get a person record of their own (every row's CPF has one).
    await tx.insert(persons).values({ cpf: pseudonym, ...(row ? { firstSeenAt: row.firstSeenAt } : {}) }).onConflictDoNothing();
    return null;
  }
  if (!row) return null;
  const [earlier] = await tx.select().from(persons).where(eq(persons.cpf, pseudonym)).for('update');
  if (earlier) {
    await tx
      .update(persons)
      .set({ firstSeenAt: row.firstSeenAt < earlier.firstSeenAt ? row.firstSeenAt : earlier.firstSeenAt })
      .where(eq(persons.cpf, pseudonym));
    await tx.delete(persons).where(eq(persons.cpf, cpf));
    return earlier.id;
  }
  await tx.update(persons).set({ cpf: pseudonym }).where(eq(persons.cpf, cpf));
  return row.id;
}

/**
 * Audit records about a person: their target names one of `subjects` (the
 * person id, their entities' ids, their pseudonym) after the `Kind:` prefix.
 */
export async function auditAbout(db: Db, subjects: readonly string[]): Promise<AuditRow[]> {
  if (!subjects.length) return [];
  return db
    .select()
    .from(auditLog)
    .where(inArray(sql`substr(${auditLog.target}, strpos(${auditLog.target}, ':') + 1)`, [...subjects]))
    .orderBy(asc(auditLog.id));
}
