/**
 * The dashboard's GraphQL documents: public API only. Ids are opaque global ids; a capture names its
 * station through `station { id name }`, never a key format. The status list below is the dashboard's own
 * reading of the public CaptureStatus enum (a browser bundle does not import server code).
 */

/** Statuses of a capture that may still change (the snapshot asks for these; `isFinal` decides after). */
export const IN_FLIGHT_STATUSES = [
  'STARTING',
  'CLIENT_CAPTURING',
  'CLIENT_CAPTURE_DONE',
  'OPERATOR_CAPTURING',
  'OPERATOR_CAPTURE_DONE',
  'SENDING',
  'CAPTURE_PENDING',
  'PROCESSING',
  'PERSON_NOT_FOUND',
] as const;

/** How many proof-of-life transactions the feed shows (newest first). */
export const FEED_SIZE = 15;
/**
 * Captures in flight loaded by the snapshot (newest first). A station holds one capture at a time, so this
 * is ample for a desk's stations; the cost limit multiplies each capture's fields by it (50: cost ~3,500).
 */
export const IN_FLIGHT_MAX = 50;

// Selections are inlined rather than fragments: the gateway's cost limit (graphql-armor, 5,000 by default)
// charges fragment spreads more than the same fields in place, and multiplies a list by its `first`.
const STATION = `id name connectivity loginStatus loggedIn operatorCpf busy version lastCheckedAt currentCapture { id status version }`;
const CAPTURE = `id status isFinal mode kind cpf version createdAt updatedAt station { id name }`;
const TRANSACTION = `id status cpf reason version createdAt updatedAt`;
const STATS_FIELDS = `since until transactions { total byStatus { status count } } captures { total byStatus { status count } }`;

/** One request: `eventCursor` is read before every other field, so the snapshot includes every event up to it. */
export const SNAPSHOT = `query DashboardSnapshot($inFlight: [CaptureStatus!]) {
  eventCursor
  stations { ${STATION} }
  captures(first: ${IN_FLIGHT_MAX}, status: $inFlight) { edges { node { ${CAPTURE} } } }
  transactions(first: ${FEED_SIZE}) { edges { node { ${TRANSACTION} } } }
  stats { ${STATS_FIELDS} }
}`;

export const STATS = `query DashboardStats { stats { ${STATS_FIELDS} } }`;

/** No afterSeq argument: the socket's `connectionParams.afterSeq` (README "Realtime: reconnect recipe") applies. */
export const EVENTS = `subscription DashboardEvents {
  events {
    __typename
    ... on TransactionEvent { seq transaction { ${TRANSACTION} } }
    ... on CaptureEvent { seq capture { ${CAPTURE} } }
    ... on StationEvent { seq station { ${STATION} } }
  }
}`;

export interface StationRow {
  id: string;
  name: string;
  connectivity: 'ONLINE' | 'OFFLINE' | 'UNKNOWN';
  loginStatus: string | null;
  loggedIn: boolean;
  operatorCpf: string | null;
  busy: boolean;
  version: number;
  lastCheckedAt: string | null;
  currentCapture: { id: string; status: string; version: number } | null;
}
export interface CaptureRow {
  id: string;
  status: string;
  isFinal: boolean;
  mode: string;
  kind: string;
  cpf: string;
  version: number;
  createdAt: string;
  updatedAt: string;
  station: { id: string; name: string } | null;
}
export interface TransactionRow {
  id: string;
  status: string;
  cpf: string;
  reason: string;
  version: number;
  createdAt: string;
  updatedAt: string;
}
export interface StatusCount {
  status: string;
  count: number;
}
export interface StatsData {
  since: string;
  until: string;
  transactions: { total: number; byStatus: StatusCount[] };
  captures: { total: number; byStatus: StatusCount[] };
}
export interface SnapshotData {
  eventCursor: number;
  stations: StationRow[];
  captures: { edges: { node: CaptureRow }[] };
  transactions: { edges: { node: TransactionRow }[] };
  stats: StatsData;
}
export type FeedEvent =
  | { __typename: 'TransactionEvent'; seq: number; transaction: TransactionRow }
  | { __typename: 'CaptureEvent'; seq: number; capture: CaptureRow }
  | { __typename: 'StationEvent'; seq: number; station: StationRow };
