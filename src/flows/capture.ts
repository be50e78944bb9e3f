import type { CaptureRow } from '../store/schema';

/**
 * Biometric captures at SPID stations as a state machine (pure). The order is
 * the seed's: Verify (→ Enroll when PERSON_NOT_FOUND) → client capture →
 * operator capture → Send → Result → Report; remote: operator capture →
 * Remote Verify/Enroll → the citizen uses the link → Remote Result.
 */

export const CAPTURE_STATUSES = [
  'STARTING',
  'PERSON_NOT_FOUND',
  'CLIENT_CAPTURING',
  'CLIENT_CAPTURE_DONE',
  'OPERATOR_CAPTURING',
  'OPERATOR_CAPTURE_DONE',
  'SENDING',
  'CAPTURE_PENDING',
  'PROCESSING',
  'WAITING_CLIENT',
  'SEARCH_MATCH',
  'SEARCH_NOT_MATCH',
  'ENROLLED',
  'ENROLL_REJECTED',
  'EXPIRED',
  'CAPTURE_CANCELED',
  'CAPTURE_FAILED',
  'SEND_UNCONFIRMED',
  'FAILED',
] as const;
export type CaptureStatus = (typeof CAPTURE_STATUSES)[number];

export const CAPTURE_EVENT_TYPES = ['STATUS_CHANGED', 'REPORT_READY', 'REPORT_UNAVAILABLE'] as const;

export type CaptureMode = 'PRESENTIAL' | 'REMOTE';
export type CaptureKind = 'VERIFY' | 'ENROLL';

/** The station's final answers. */
export const RESULT_STATUSES: readonly CaptureStatus[] = ['SEARCH_MATCH', 'SEARCH_NOT_MATCH', 'ENROLLED', 'ENROLL_REJECTED', 'EXPIRED'];

/**
 * Ends of a flow — statuses that can be final. PERSON_NOT_FOUND is final only
 * for a capture started with `enrollIfNotFound` off; with it on, the same
 * capture goes on to enroll the person (see `isFinalCapture`). SEND_UNCONFIRMED: the station took the send but its answer
 * (with the TGUID) never reached us; the station keeps no way to look it up,
 * so it needs a person. FAILED: the flow could not start or the station was
 * reset under it.
 */
export const TERMINAL_STATUSES: readonly CaptureStatus[] = [
  ...RESULT_STATUSES,
  'PERSON_NOT_FOUND',
  'CAPTURE_CANCELED',
  'CAPTURE_FAILED',
  'SEND_UNCONFIRMED',
  'FAILED',
];

/**
 * While in these, the station's one reader belongs to this capture — and in
 * PERSON_NOT_FOUND when it is about to enroll on the same reader (see `holdsStation`).
 */
export const STATION_HOLDING_STATUSES: readonly CaptureStatus[] = [
  'STARTING',
  'CLIENT_CAPTURING',
  'CLIENT_CAPTURE_DONE',
  'OPERATOR_CAPTURING',
  'OPERATOR_CAPTURE_DONE',
  'SENDING',
];

export const OPEN_CAPTURE_STATUSES: readonly CaptureStatus[] = CAPTURE_STATUSES.filter((s) => !TERMINAL_STATUSES.includes(s));

export function isTerminalCapture(status: string): boolean {
  return (TERMINAL_STATUSES as readonly string[]).includes(status);
}

/** PERSON_NOT_FOUND on the way to an enroll on the same reader: not an end yet. */
export function enrollingAfterNotFound(c: Pick<CaptureRow, 'status' | 'enrollIfNotFound'>): boolean {
  return c.status === 'PERSON_NOT_FOUND' && c.enrollIfNotFound;
}

/** The capture's status will not change any more (a report may still arrive: see `captureFinished`). */
export function isFinalCapture(c: Pick<CaptureRow, 'status' | 'enrollIfNotFound'>): boolean {
  return isTerminalCapture(c.status) && !enrollingAfterNotFound(c);
}

/** The station's reader belongs to this capture (the same rule as the store's busy check). */
export function holdsStation(c: Pick<CaptureRow, 'status' | 'enrollIfNotFound'>): boolean {
  return (STATION_HOLDING_STATUSES as readonly string[]).includes(c.status) || enrollingAfterNotFound(c);
}

/** Done polling: terminal, and the report is stored (or there is no TGUID to fetch one for). */
export function captureFinished(c: Pick<CaptureRow, 'status' | 'tguid' | 'reportFetchedAt' | 'enrollIfNotFound'>): boolean {
  if (enrollingAfterNotFound(c)) return false;
  return isTerminalCapture(c.status) && (!c.tguid || c.reportFetchedAt !== null || c.status === 'SEND_UNCONFIRMED');
}

/** Station Capture Status values that move our capture forward (or end it). */
const STATION_PROGRESS: Record<string, CaptureStatus> = {
  CLIENT_CAPTURING: 'CLIENT_CAPTURING',
  CLIENT_CAPTURE_DONE: 'CLIENT_CAPTURE_DONE',
  OPERATOR_CAPTURING: 'OPERATOR_CAPTURING',
  OPERATOR_CAPTURE_DONE: 'OPERATOR_CAPTURE_DONE',
  CAPTURE_CANCELED: 'CAPTURE_CANCELED',
  CAPTURE_FAILED: 'CAPTURE_FAILED',
};

const ORDER: readonly CaptureStatus[] = ['STARTING', 'CLIENT_CAPTURING', 'CLIENT_CAPTURE_DONE', 'OPERATOR_CAPTURING', 'OPERATOR_CAPTURE_DONE'];

/**
 * Folds a station Capture Status reading into a capture that holds the
 * station. Never moves backwards (a stale read after our own step must not
 * undo it); desk cancel/fail end the flow; IDLE while we hold the station
 * means someone reset it.
 */
export function applyStationStatus(current: CaptureStatus, station: string): CaptureStatus | null {
  const mapped = STATION_PROGRESS[station];
  if (mapped === 'CAPTURE_CANCELED' || mapped === 'CAPTURE_FAILED') return mapped;
  if (mapped) {
    // PERSON_NOT_FOUND (about to enroll) sits where STARTING does.
    const from = ORDER.indexOf(current === 'PERSON_NOT_FOUND' ? 'STARTING' : current);
    const to = ORDER.indexOf(mapped);
    return from >= 0 && to > from ? mapped : null;
  }
  return null;
}

/** Station result (presential or remote) → our status. PROCESSING/WAITING_CLIENT/CAPTURE_PENDING are not final. */
export function applyResult(result: string): CaptureStatus | null {
  switch (result) {
    case 'SEARCH_MATCH':
    case 'SEARCH_NOT_MATCH':
    case 'ENROLLED':
    case 'ENROLL_REJECTED':
    case 'EXPIRED':
    case 'CAPTURE_PENDING':
    case 'PROCESSING':
    case 'WAITING_CLIENT':
      return result;
    default:
      return null;
  }
}

/** Send outcome → status: VERIFIED (sync) and CAPTURE_ENQUEUED (async enroll) both wait for a Result. */
export function statusAfterSend(outcome: string): CaptureStatus {
  return outcome === 'CAPTURE_PENDING' ? 'CAPTURE_PENDING' : 'PROCESSING';
}

export function captureToJson(c: CaptureRow): Record<string, unknown> {
  return {
    ...c,
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
    reportFetchedAt: c.reportFetchedAt ? c.reportFetchedAt.toISOString() : null,
  };
}

export function captureFromJson(j: Record<string, unknown>): CaptureRow {
  const r = j as unknown as CaptureRow & { createdAt: string; updatedAt: string; reportFetchedAt: string | null };
  return {
    ...r,
    createdAt: new Date(r.createdAt),
    updatedAt: new Date(r.updatedAt),
    reportFetchedAt: r.reportFetchedAt ? new Date(r.reportFetchedAt) : null,
  };
}
