import type { PollResult } from '../pollers/scheduler';
import type { StationRow } from '../store/schema';
import { appendStationEvent, blankStation, saveStation, stationForUpdate, stationsById, touchStation } from '../store/stations';
import type { Db } from '../store/store';
import { UpstreamError } from '../upstreams/errors';
import type { LoginState } from '../upstreams/spid/types';
import { STATION_HOLDING_STATUSES } from './capture';
import type { Station } from './capture.service';
import type { FlowDeps } from './deps';
import { stationSteps, stationToJson, type StationObservation } from './station';

export const STATION_POLL_KIND = 'station';

export interface StationsOptions {
  /** Login Status poll interval per station (STATION_POLL_INTERVAL_MS). @default 5000 */
  pollIntervalMs?: number;
}

/**
 * Station state as data: one poll per configured station, cluster-wide (the
 * scheduler's one job per `station:<id>`), reads Login Status and records
 * what changed — online/offline, operator in/out — as `station` events, with
 * the `stations` row, in one transaction. Busy/free is recorded by capture
 * changes themselves (`recordHolder`, in the capture's transaction: exact,
 * never a poll interval late); the poll re-derives it from the captures
 * under the same lock, which only matters for captures that changed before
 * this table existed. Queries read the rows; nothing asks a station per request.
 */
export class StationsService {
  private readonly stations: Map<string, Station>;
  private readonly now: () => Date;
  private readonly intervalMs: number;

  constructor(
    private readonly deps: FlowDeps,
    stations: readonly Station[],
    opts: StationsOptions = {},
  ) {
    this.stations = new Map(stations.map((s) => [s.id, s]));
    this.now = deps.now ?? (() => new Date());
    this.intervalMs = opts.pollIntervalMs ?? 5000;
    deps.scheduler.register(STATION_POLL_KIND, (id) => this.poll(id));
  }

  /** Configured station ids: the poll series that must always exist (boot and the reconciler). */
  ids(): string[] {
    return [...this.stations.keys()];
  }

  /** Ensures every station is polled (a no-op for those already polled, on any instance); the first poll at once. */
  async start(): Promise<void> {
    for (const id of this.stations.keys()) await this.deps.scheduler.watch(STATION_POLL_KIND, id, { delayMs: 0 });
  }

  /** Current rows of the configured stations (a station never recorded yet reads as blank: unknown). */
  async current(ids: readonly string[]): Promise<Map<string, StationRow>> {
    const known = ids.filter((id) => this.stations.has(id));
    const rows = await stationsById(this.deps.store.db, known);
    return new Map(known.map((id) => [id, rows.get(id) ?? blankStation(id)]));
  }

  async poll(id: string): Promise<PollResult> {
    const station = this.stations.get(id);
    // No longer configured: stop polling it (its row and events stay).
    if (!station) return { done: true, changed: false };
    let obs: StationObservation;
    const readAt = this.now();
    try {
      const login = await station.api.loginStatus();
      obs = { readAt, online: true, login: { status: login.status, statusCode: login.statusCode, operatorCpf: login.operatorCpf } };
    } catch (err) {
      if (!(err instanceof UpstreamError)) throw err;
      // No usable answer after the client's own timeout and retries (or its breaker is open): offline.
      obs = { readAt, online: false };
    }
    const changed = await this.record(id, obs, true);
    if (!changed) await touchStation(this.deps.store.db, id, readAt);
    // A fixed interval (no backoff: a station is never "finished"), whichever instance runs the next poll.
    return { done: false, changed, dueAt: new Date(this.now().getTime() + this.intervalMs), minDelayMs: this.intervalMs, upstreamFailed: obs.online === false };
  }

  /**
   * Login already told us the new state (the mutation's own Login + Login
   * Status): recorded at once, not a poll interval later. Never throws: the
   * operator is logged in whatever the store says, and the next poll records it.
   */
  async loginObserved(stationId: string, state: LoginState): Promise<void> {
    if (!this.stations.has(stationId)) return;
    try {
      // readAt = now, after the login's own Login Status: any poll that read before this is stale.
      await this.record(stationId, { readAt: this.now(), online: true, login: { status: state.status, statusCode: state.statusCode, operatorCpf: state.operatorCpf } }, false);
    } catch (err) {
      this.deps.logger.warn({ stationId, err: err instanceof Error ? err.message : String(err) }, 'station login not recorded; the next poll will');
    }
  }

  /**
   * Inside a capture change's transaction (under the event-log lock), after
   * the capture row is saved: records STATION_BUSY/STATION_FREE if the holder
   * of the station changed. The holder is read from the captures, so it is
   * the truth after this very change.
   */
  async recordHolder(tx: Db, stationId: string): Promise<void> {
    const { store } = this.deps;
    const holder = (await store.captureHoldingStation(tx, stationId, STATION_HOLDING_STATUSES))?.id ?? null;
    const current = (await stationForUpdate(tx, stationId)) ?? blankStation(stationId);
    let last: StationRow | null = null;
    for (const step of stationSteps(current, { holder }, this.now())) {
      const seq = await store.reserveSeq(tx);
      last = { ...step.row, version: seq };
      await appendStationEvent(tx, seq, stationId, step.type, stationToJson(last));
    }
    if (last) await saveStation(tx, last);
  }

  /** Records the steps an observation makes, with their events, in one transaction; then wakes the bus. */
  private async record(id: string, obs: StationObservation, deriveHolder: boolean): Promise<boolean> {
    const { store, bus } = this.deps;
    const out = await store.recordChange('station', id, async (tx) => {
      const current = (await stationForUpdate(tx, id)) ?? blankStation(id);
      const seen: StationObservation = deriveHolder ? { ...obs, holder: (await store.captureHoldingStation(tx, id, STATION_HOLDING_STATUSES))?.id ?? null } : obs;
      const steps = stationSteps(current, seen, this.now());
      if (!steps.length) return null;
      // Every step but the last is appended here; the last one is the change recordChange appends.
      for (const step of steps.slice(0, -1)) {
        const seq = await store.reserveSeq(tx);
        await appendStationEvent(tx, seq, id, step.type, stationToJson({ ...step.row, version: seq }));
      }
      const final = steps.at(-1)!;
      const seq = await store.reserveSeq(tx);
      const row = { ...final.row, version: seq };
      await saveStation(tx, row);
      return { seq, type: final.type, cpf: null, payload: stationToJson(row), result: row };
    });
    if (!out) return false;
    await bus.published(out.event);
    return true;
  }
}
