import type { StationRow } from '../store/schema';
import { OPERATOR_LOGGED_IN_STATUSES } from '../upstreams/spid/types';

/**
 * SPID station state as events (pure). A station's state has three parts,
 * each from its own source:
 *  - connectivity: the station answered Login Status (online) or did not,
 *    after the client's own timeouts and retries (offline);
 *  - the operator: Login Status (poll) or the login mutation's own answer;
 *  - busy/free: one of our captures holds the reader (see `holdsStation`),
 *    recorded in the capture change's own transaction.
 */

export const STATION_EVENT_TYPES = [
  'STATION_ONLINE',
  'STATION_OFFLINE',
  'OPERATOR_LOGGED_IN',
  'OPERATOR_LOGGED_OUT',
  'LOGIN_STATUS_CHANGED',
  'STATION_BUSY',
  'STATION_FREE',
] as const;
export type StationEventType = (typeof STATION_EVENT_TYPES)[number];

/** What one read (or one capture change) tells about a station; absent parts are not known by it. */
export interface StationObservation {
  online?: boolean;
  login?: { status: string; statusCode: string; operatorCpf: string | null } | undefined;
  /** The capture holding the reader, or null when none does. */
  holder?: string | null | undefined;
  /**
   * When the read that made this observation began (Login Status or Login
   * answered, or failed): moves `lastCheckedAt`. A read older than the
   * recorded one is stale (a poll that read before a login was recorded must
   * not undo it): its online/login parts are ignored.
   */
  readAt?: Date | undefined;
}

export interface StationStep {
  type: StationEventType;
  row: StationRow;
}

const loggedIn = (status: string | null): boolean => status !== null && (OPERATOR_LOGGED_IN_STATUSES as readonly string[]).includes(status);

/**
 * The events an observation makes, in order (connectivity, operator, busy),
 * each with the station as it was right after it. Empty: nothing changed.
 * While offline, the last known operator is kept (the station cannot say;
 * the dashboard shows it as last known with `lastCheckedAt`).
 */
export function stationSteps(current: StationRow, obs: StationObservation, at: Date): StationStep[] {
  const steps: StationStep[] = [];
  const stale = obs.readAt !== undefined && current.lastCheckedAt !== null && obs.readAt < current.lastCheckedAt;
  if (stale) obs = { holder: obs.holder };
  let row: StationRow = obs.readAt ? { ...current, lastCheckedAt: obs.readAt } : current;
  const step = (type: StationEventType, patch: Partial<StationRow>) => {
    row = { ...row, ...patch, lastChangedAt: at };
    steps.push({ type, row });
  };
  if (obs.online !== undefined && row.online !== obs.online) step(obs.online ? 'STATION_ONLINE' : 'STATION_OFFLINE', { online: obs.online });
  const l = obs.login;
  if (l && (row.loginStatus !== l.status || row.loginStatusCode !== l.statusCode || row.operatorCpf !== l.operatorCpf)) {
    const was = loggedIn(row.loginStatus);
    const is = loggedIn(l.status);
    // Another operator logged in over the previous one is a login (of the new operator).
    const type: StationEventType = is && (!was || row.operatorCpf !== l.operatorCpf) ? 'OPERATOR_LOGGED_IN' : was && !is ? 'OPERATOR_LOGGED_OUT' : 'LOGIN_STATUS_CHANGED';
    step(type, { loginStatus: l.status, loginStatusCode: l.statusCode, operatorCpf: l.operatorCpf });
  }
  if (obs.holder !== undefined && (row.busy !== (obs.holder !== null) || row.currentCaptureId !== obs.holder)) {
    step(obs.holder !== null ? 'STATION_BUSY' : 'STATION_FREE', { busy: obs.holder !== null, currentCaptureId: obs.holder });
  }
  return steps;
}

export function stationToJson(r: StationRow): Record<string, unknown> {
  return {
    ...r,
    lastCheckedAt: r.lastCheckedAt ? r.lastCheckedAt.toISOString() : null,
    lastChangedAt: r.lastChangedAt ? r.lastChangedAt.toISOString() : null,
  };
}

export function stationFromJson(j: Record<string, unknown>): StationRow {
  const r = j as unknown as StationRow & { lastCheckedAt: string | null; lastChangedAt: string | null };
  return {
    ...r,
    lastCheckedAt: r.lastCheckedAt ? new Date(r.lastCheckedAt) : null,
    lastChangedAt: r.lastChangedAt ? new Date(r.lastChangedAt) : null,
  };
}
