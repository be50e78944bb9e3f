import type { TransactionRow } from '../store/schema';
import type {
  CreateProofOfLifeRequest,
  CreatedTransaction,
  UpstreamTransaction,
} from '../upstreams/provaDeVida/types';

/**
 * The proof-of-life transaction as a state machine, pure: no I/O, the clock
 * passed in. The upstream has no status field; status is read from what the
 * transaction object carries (contract: "state is read from what is present").
 */

/**
 * REQUESTING: the intent row, written before the upstream create; the create
 * is in flight. UNCONFIRMED: the create may have reached gov.br but its answer
 * never reached us (timeout, 5xx, crash, store failure): never re-sent, a
 * person must check. FAILED: the create provably never took effect.
 */
export const TRANSACTION_STATUSES = ['REQUESTING', 'PENDING', 'AUTHORIZED', 'DENIED', 'EXPIRED', 'CANCELLED', 'UNCONFIRMED', 'FAILED'] as const;
export type TransactionStatus = (typeof TRANSACTION_STATUSES)[number];
/** Polled: PENDING for the answer, REQUESTING to be reconciled if its create never completes. */
export const OPEN_TRANSACTION_STATUSES: readonly TransactionStatus[] = ['PENDING', 'REQUESTING'];

export const TRANSACTION_EVENT_TYPES = ['REQUESTING', 'REQUESTED', 'AUTHORIZED', 'DENIED', 'EXPIRED', 'CANCELLED', 'UPDATED', 'UNCONFIRMED', 'FAILED'] as const;
export type TransactionEventType = (typeof TRANSACTION_EVENT_TYPES)[number];

export function isTerminal(status: string): boolean {
  return status !== 'PENDING' && status !== 'REQUESTING';
}

/** The intent row: what we asked for, before the upstream has it. */
export function intentRow(req: CreateProofOfLifeRequest, id: string, apiVersion: string, now: Date, requestedBy: string | null): TransactionRow {
  return {
    id,
    upstreamId: null,
    version: 0,
    cpf: req.cpf,
    status: 'REQUESTING',
    apiVersion,
    kind: req.kind,
    category: req.category ?? null,
    reason: req.reason,
    requester: req.requester,
    sealReuseWindowMinutes: req.sealReuseWindowMinutes ?? null,
    seal: null,
    response: null,
    cancellation: null,
    autoAuthorized: false,
    requestedBy,
    createdAt: now,
    expiresAt: new Date(now.getTime() + req.expiresInMinutes * 60_000),
    updatedAt: now,
  };
}

/**
 * An answer wins over everything (the upstream refuses to cancel an answered
 * transaction); then a cancellation (`CLIENTE` or `SEMBIOM`); then the clock:
 * the upstream never marks expiry, so past `expiresAt` without an answer is
 * EXPIRED by our own reading.
 */
export function deriveStatus(
  t: Pick<UpstreamTransaction, 'response' | 'cancellation' | 'expiresAt'>,
  now: Date,
): TransactionStatus {
  if (t.response) return t.response.authorized ? 'AUTHORIZED' : 'DENIED';
  if (t.cancellation) return 'CANCELLED';
  if (now.getTime() >= t.expiresAt.getTime()) return 'EXPIRED';
  return 'PENDING';
}

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

function upstreamParts(u: UpstreamTransaction) {
  return {
    seal: u.seal
      ? { reuseFrom: iso(u.seal.reuseFrom), available: u.seal.available, validatedAt: iso(u.seal.validatedAt), used: u.seal.used }
      : null,
    response: u.response
      ? {
          authorized: u.response.authorized,
          answeredAt: u.response.answeredAt.toISOString(),
          denialReason: u.response.denialReason,
          denialReasonCode: u.response.denialReasonCode,
        }
      : null,
    cancellation: u.cancellation
      ? { code: u.cancellation.code, reason: u.cancellation.reason, cancelledAt: iso(u.cancellation.cancelledAt) }
      : null,
  };
}

/** The row we store right after a successful create. vbeta1 answers only an id: we fill in what we asked for. */
export function rowFromCreate(
  req: CreateProofOfLifeRequest,
  created: { id: string; version: CreatedTransaction['version']; transaction: UpstreamTransaction | null },
  now: Date,
  requestedBy: string | null,
): TransactionRow {
  const u = created.transaction;
  const createdAt = u?.createdAt ?? now;
  const expiresAt = u?.expiresAt ?? new Date(createdAt.getTime() + req.expiresInMinutes * 60_000);
  const parts = u ? upstreamParts(u) : { seal: null, response: null, cancellation: null };
  const status = u ? deriveStatus(u, now) : 'PENDING';
  return {
    id: created.id,
    upstreamId: created.id,
    cpf: req.cpf,
    status,
    apiVersion: created.version,
    kind: u?.kind ?? req.kind,
    category: u?.category ?? req.category ?? null,
    reason: u?.reason ?? req.reason,
    requester: u?.requester ?? req.requester,
    sealReuseWindowMinutes: req.sealReuseWindowMinutes ?? null,
    ...parts,
    // Authorised in the 201 itself: the seal was fresh, no citizen interaction happened.
    autoAuthorized: Boolean(u?.response?.authorized && u.seal?.used),
    requestedBy,
    createdAt,
    expiresAt,
    updatedAt: now,
    version: 0,
  };
}

/**
 * Folds an upstream read into our row. Keeps what a vbeta1 read-back omits
 * (cpf, seal) and never leaves a terminal state: once we recorded an outcome
 * the upstream cannot take it back, and a late read must not flap the status.
 */
export function mergeUpstream(current: TransactionRow, u: UpstreamTransaction, now: Date): TransactionRow {
  if (isTerminal(current.status)) return current;
  const parts = upstreamParts(u);
  return {
    ...current,
    status: deriveStatus(u, now),
    category: u.category ?? current.category,
    seal: parts.seal ?? current.seal,
    response: parts.response,
    cancellation: parts.cancellation,
    autoAuthorized: current.autoAuthorized || Boolean(u.response?.authorized && u.seal?.used && !current.response),
    expiresAt: u.expiresAt,
    updatedAt: now,
  };
}

/** Expiry observed by the clock alone (the upstream read failed or was not needed). */
export function expireIfDue(current: TransactionRow, now: Date): TransactionRow {
  if (current.status !== 'PENDING' || now.getTime() < current.expiresAt.getTime()) return current;
  return { ...current, status: 'EXPIRED', updatedAt: now };
}

/** The event a change produces, or null when nothing a client could notice changed. */
export function transitionEvent(before: TransactionRow | null, after: TransactionRow): TransactionEventType | null {
  if (!before) return after.status === 'REQUESTING' ? 'REQUESTING' : 'REQUESTED';
  if (before.status !== after.status) {
    switch (after.status) {
      case 'UNCONFIRMED':
        return 'UNCONFIRMED';
      case 'FAILED':
        return 'FAILED';
      default:
        break;
    }
    // The create's answer arrived: the transaction exists upstream (its first state may already be final).
    if (before.status === 'REQUESTING' || before.status === 'UNCONFIRMED') return 'REQUESTED';
    switch (after.status) {
      case 'AUTHORIZED':
        return 'AUTHORIZED';
      case 'DENIED':
        return 'DENIED';
      case 'EXPIRED':
        return 'EXPIRED';
      case 'CANCELLED':
        return 'CANCELLED';
      default:
        return 'UPDATED';
    }
  }
  const significant = (r: TransactionRow) =>
    JSON.stringify([r.seal, r.response, r.cancellation, r.category, r.expiresAt.toISOString()]);
  return significant(before) === significant(after) ? null : 'UPDATED';
}

/** JSON snapshot of a row for the event payload (dates as ISO strings), and back. */
export function transactionToJson(r: TransactionRow): Record<string, unknown> {
  return { ...r, createdAt: r.createdAt.toISOString(), expiresAt: r.expiresAt.toISOString(), updatedAt: r.updatedAt.toISOString() };
}

export function transactionFromJson(j: Record<string, unknown>): TransactionRow {
  const r = j as unknown as TransactionRow & { createdAt: string; expiresAt: string; updatedAt: string };
  return { ...r, createdAt: new Date(r.createdAt), expiresAt: new Date(r.expiresAt), updatedAt: new Date(r.updatedAt) };
}
