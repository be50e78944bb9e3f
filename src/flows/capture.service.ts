import { randomUUID } from 'node:crypto';
import type { PollResult } from '../pollers/scheduler';
import type { CaptureRow } from '../store/schema';
import type { Db } from '../store/store';
import { UpstreamConflictError, UpstreamError, UpstreamNotFoundError, mayHaveActed } from '../upstreams/errors';
import { OPERATOR_LOGGED_IN_STATUSES, type LoginState, type OperatorLoginStatus, type SpidStationApi } from '../upstreams/spid/types';
import { maskCpf } from '../domain/cpf';
import {
  OPEN_CAPTURE_STATUSES,
  STATION_HOLDING_STATUSES,
  TERMINAL_STATUSES,
  applyResult,
  applyStationStatus,
  captureFinished,
  holdsStation,
  captureToJson,
  enrollingAfterNotFound,
  isTerminalCapture,
  statusAfterSend,
  type CaptureKind,
  type CaptureMode,
  type CaptureStatus,
} from './capture';
import { FlowError, NotFoundError, requireInfrastructure } from './errors';
import type { FlowDeps } from './deps';
import { recordEntityChange, type Decision, type EntitySpec, type IntentHook } from './record';

export const CAPTURE_POLL_KIND = 'capture';

export interface Station {
  id: string;
  name: string;
  api: SpidStationApi;
}

export interface CaptureFlowOptions {
  /**
   * An enroll (and a send kept pending on the station) can take hours: poll
   * its result no more often than this.
   * @default 30000
   */
  slowPollMs?: number;
  /** How long `loginOperator` waits, after a successful Login, for Login Status to show the operator. @default 10000 */
  loginSettleTimeoutMs?: number;
  /**
   * The station client's request timeout (SPID_TIMEOUT_MS): a station call
   * may be in flight this long, so a claimed Send or a STARTING capture is
   * not reconciled before it (plus a margin) has passed.
   * @default 10000
   */
  stationTimeoutMs?: number;
  /**
   * Called inside the transaction of every capture change that takes or
   * releases a station's reader, after the capture row is saved (the
   * station's busy/free event commits with the capture's). @default undefined
   */
  onStationHolding?: ((tx: Db, stationId: string) => Promise<void>) | undefined;
  /** Called with the login state `login` ended with (recorded as the station's state at once). @default undefined */
  onLogin?: ((stationId: string, state: LoginState) => Promise<void>) | undefined;
}

/** Added to the station timeout before a step in flight is considered over (clocks, scheduling). */
const IN_FLIGHT_MARGIN_MS = 2_000;

const spec = (store: FlowDeps['store']): EntitySpec<CaptureRow> => ({
  topic: 'capture',
  load: (tx, id) => store.captureForUpdate(tx, id),
  cpfOf: (row) => row.cpf,
  toJson: captureToJson,
  versioned: { write: (tx, row, version) => store.captureWrite(tx, row, version), withVersion: (row, version) => ({ ...row, version }) },
});

/** Login statuses with which capture calls are allowed. */
const LOGGED_IN = (s: string) => (OPERATOR_LOGGED_IN_STATUSES as readonly string[]).includes(s);

/**
 * SPID capture flows. Mutations start a flow and do its first station call;
 * the poller (`poll`) drives everything after that. Every step that makes the
 * station *do* something (operator capture, send, remote link) is first
 * claimed in the store by a compare-and-set, so a mutation and a poll — or two
 * instances — can never make the same call twice.
 */
export class CaptureService {
  private readonly stations: Map<string, Station>;
  private readonly now: () => Date;
  private readonly spec: EntitySpec<CaptureRow>;
  private readonly slowPollMs: number;
  private readonly loginSettleTimeoutMs: number;
  /** A station call claimed at T is surely over at T + this. */
  private readonly inFlightMs: number;
  private readonly onStationHolding: CaptureFlowOptions['onStationHolding'];
  private readonly onLogin: CaptureFlowOptions['onLogin'];

  constructor(
    private readonly deps: FlowDeps,
    stations: readonly Station[],
    opts: CaptureFlowOptions = {},
  ) {
    this.stations = new Map(stations.map((s) => [s.id, s]));
    this.now = deps.now ?? (() => new Date());
    this.spec = spec(deps.store);
    this.slowPollMs = opts.slowPollMs ?? 30_000;
    this.loginSettleTimeoutMs = opts.loginSettleTimeoutMs ?? 10_000;
    this.inFlightMs = (opts.stationTimeoutMs ?? 10_000) + IN_FLIGHT_MARGIN_MS;
    this.onStationHolding = opts.onStationHolding;
    this.onLogin = opts.onLogin;
    deps.scheduler.register(CAPTURE_POLL_KIND, (id) => this.poll(id));
  }

  stationList(): { id: string; name: string }[] {
    return [...this.stations.values()].map(({ id, name }) => ({ id, name }));
  }

  station(id: string): Station {
    const s = this.stations.get(id);
    if (!s) throw new FlowError('UNKNOWN_STATION', `Unknown station "${id}"`, { stationId: id });
    return s;
  }

  /**
   * Login, then Login Status to make sure (the seed). Every Login answer is
   * settled (vendor manual: OPERATOR_PENDING / OPERATOR_IN_PROGRESS describe
   * the operator's own enrolment): a refusal is returned at once. Only a
   * success is confirmed, waiting (bounded) while the station does not show
   * anyone logged in yet.
   */
  async login(stationId: string, operatorCpf: string): Promise<LoginState> {
    const { api } = this.station(stationId);
    const answer = await api.login(operatorCpf);
    let state: LoginState = { ...answer, operatorCpf: null };
    if (LOGGED_IN(answer.status)) {
      const deadline = Date.now() + this.loginSettleTimeoutMs;
      for (let delay = 100; ; delay = Math.min(delay * 2, 1000)) {
        state = await api.loginStatus();
        if (state.status !== 'NOT_LOGGED_IN' || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, delay));
      }
    }
    this.deps.logger.info({ stationId, operator: maskCpf(operatorCpf), status: state.status }, 'operator login');
    // A refused Login still replaces the station's operator (Login Status names the one who tried).
    await this.onLogin?.(stationId, LOGGED_IN(state.status) ? state : { ...state, operatorCpf: state.operatorCpf ?? operatorCpf });
    return state;
  }

  // ---- starting flows ---------------------------------------------------

  async startPresential(
    input: { stationId: string; cpf: string; kind: CaptureKind; enrollIfNotFound: boolean; autoAdvance: boolean; name?: string | undefined },
    startedBy: string | null,
    onIntent?: IntentHook,
  ): Promise<CaptureRow> {
    const station = this.station(input.stationId);
    await requireInfrastructure(this.deps);
    const capture = await this.create({ ...input, mode: 'PRESENTIAL', email: null }, startedBy, onIntent);
    try {
      if (input.kind === 'VERIFY') {
        const answer = await station.api.verify(input.cpf);
        if (answer === 'PERSON_NOT_FOUND') {
          const nf = await this.set(capture.id, ['STARTING'], { status: 'PERSON_NOT_FOUND', detail: 'not registered at the station' });
          if (!input.enrollIfNotFound) return nf ?? capture;
          // The seed's "Indivíduo Não Cadastrado" branch: enroll, same capture, same subscription.
          await station.api.enroll(input.cpf, input.name);
          const enrolling = await this.set(capture.id, ['PERSON_NOT_FOUND'], { status: 'CLIENT_CAPTURING', kind: 'ENROLL', detail: 'enrolling' });
          await this.watch(capture.id);
          return enrolling ?? capture;
        }
      } else {
        await station.api.enroll(input.cpf, input.name);
      }
      const started = await this.set(capture.id, ['STARTING'], { status: 'CLIENT_CAPTURING', detail: null });
      await this.watch(capture.id);
      return started ?? capture;
    } catch (err) {
      await this.failStart(capture.id, err);
      throw err;
    }
  }

  async startRemote(
    input: { stationId: string; cpf: string; kind: CaptureKind; email: string | null },
    startedBy: string | null,
    onIntent?: IntentHook,
  ): Promise<CaptureRow> {
    const station = this.station(input.stationId);
    await requireInfrastructure(this.deps);
    // Seed 1.2.2: the operator authenticates first; the citizen's link comes after.
    const capture = await this.create({ ...input, mode: 'REMOTE', enrollIfNotFound: false, autoAdvance: true }, startedBy, onIntent);
    try {
      await station.api.operatorCapture();
      const started = await this.set(capture.id, ['STARTING'], { status: 'OPERATOR_CAPTURING', detail: null });
      await this.watch(capture.id);
      return started ?? capture;
    } catch (err) {
      await this.failStart(capture.id, err);
      throw err;
    }
  }

  /** Manual step: operator capture after CLIENT_CAPTURE_DONE. */
  async startOperatorCapture(captureId: string): Promise<CaptureRow> {
    const c = await this.mustGet(captureId);
    if (c.status !== 'CLIENT_CAPTURE_DONE') {
      throw new FlowError('WRONG_STATE', `Operator capture needs CLIENT_CAPTURE_DONE; the capture is ${c.status}`, { captureId, status: c.status });
    }
    return (await this.operatorStep(c)) ?? (await this.mustGet(captureId));
  }

  /** Manual step: send after OPERATOR_CAPTURE_DONE. */
  async sendCapture(captureId: string): Promise<CaptureRow> {
    const c = await this.mustGet(captureId);
    if (c.status !== 'OPERATOR_CAPTURE_DONE' || c.mode !== 'PRESENTIAL') {
      throw new FlowError('WRONG_STATE', `Send needs a presential capture at OPERATOR_CAPTURE_DONE; the capture is ${c.status}`, { captureId, status: c.status });
    }
    return (await this.sendStep(c)) ?? (await this.mustGet(captureId));
  }

  /**
   * Capture Resend All on one station: resent TGUIDs go back to result
   * polling; failed ones stay CAPTURE_PENDING for the next try (nothing lost).
   */
  async resendPending(stationId: string): Promise<{ resent: CaptureRow[]; failed: string[] }> {
    const { api } = this.station(stationId);
    const r = await api.resendAll();
    const rows = await this.deps.store.capturesByTguid(stationId, r.resent);
    const resent: CaptureRow[] = [];
    for (const row of rows) {
      const next = await this.set(row.id, ['CAPTURE_PENDING'], { status: 'PROCESSING', sendOutcome: 'RESENT', detail: 'resent' });
      await this.watch(row.id);
      resent.push(next ?? row);
    }
    this.deps.logger.info({ stationId, resent: r.resent.length, failed: r.failed.length }, 'resend pending captures');
    return { resent, failed: r.failed };
  }

  /** The scheduled job: every station, one after another; one failing station does not stop the others. */
  async resendAllStations(): Promise<void> {
    for (const s of this.stations.values()) {
      try {
        await this.resendPending(s.id);
      } catch (err) {
        this.deps.logger.warn({ stationId: s.id, code: err instanceof UpstreamError ? err.code : 'ERROR' }, 'resend failed on a station');
      }
    }
  }

  async resume(): Promise<number> {
    const ids = await this.deps.store.unfinishedCaptureIds(TERMINAL_STATUSES);
    for (const id of ids) await this.watch(id);
    return ids.length;
  }

  // ---- the poller ---------------------------------------------------------

  async poll(id: string): Promise<PollResult> {
    const c = (await this.deps.store.capturesById([id])).get(id);
    if (!c || captureFinished(c)) return { done: true, changed: false };
    const before = c.updatedAt.getTime();
    let slow = false;
    let upstreamFailed = false;
    try {
      const { api } = this.station(c.stationId);
      if (enrollingAfterNotFound(c)) {
        // Only after a crash between Verify and Enroll: the station tells whether the enroll started.
        await this.followStation(c);
      } else if (isTerminalCapture(c.status)) {
        await this.fetchReport(c);
      } else {
        switch (c.status as CaptureStatus) {
          case 'STARTING':
          case 'CLIENT_CAPTURING':
          case 'CLIENT_CAPTURE_DONE':
          case 'OPERATOR_CAPTURING':
          case 'OPERATOR_CAPTURE_DONE':
            await this.followStation(c);
            break;
          case 'SENDING':
            await this.reconcileSend(c);
            break;
          case 'PROCESSING':
          case 'CAPTURE_PENDING': {
            // A remote capture's result lives under Remote Result: Capture Result does not know its TGUID.
            const r = c.mode === 'REMOTE' ? await api.remoteResult(c.tguid!) : await api.result(c.tguid!);
            await this.recordResult(c, r.status);
            slow = c.kind === 'ENROLL' || r.status === 'CAPTURE_PENDING';
            break;
          }
          case 'WAITING_CLIENT': {
            const r = await api.remoteResult(c.tguid!);
            await this.recordResult(c, r.status);
            break;
          }
          default:
            break;
        }
      }
    } catch (err) {
      if (!(err instanceof UpstreamError) && !(err instanceof FlowError)) throw err;
      upstreamFailed = err instanceof UpstreamError;
      this.deps.logger.warn({ captureId: id, code: err.code }, 'capture poll failed');
    }
    const after = (await this.deps.store.capturesById([id])).get(id);
    if (!after || captureFinished(after)) return { done: true, changed: true, upstreamFailed };
    return { done: false, changed: after.updatedAt.getTime() !== before, minDelayMs: slow ? this.slowPollMs : undefined, upstreamFailed };
  }

  /** Follows the station's Capture Status while the capture holds it; advances automatically when asked to. */
  private async followStation(c: CaptureRow): Promise<void> {
    const { api } = this.station(c.stationId);
    const station = await api.captureStatus();
    let current = c;
    if (station.status === 'IDLE' && current.status === 'STARTING') {
      // The start's station call may still be in flight; once it surely is not, an idle station never started.
      if (this.now().getTime() >= c.updatedAt.getTime() + this.inFlightMs) {
        await this.set(c.id, ['STARTING'], { status: 'FAILED', detail: 'the station never started the capture' });
      }
      return;
    }
    if (station.status === 'IDLE' && current.status !== 'STARTING') {
      if (current.status === 'PERSON_NOT_FOUND') {
        await this.set(c.id, ['PERSON_NOT_FOUND'], { status: 'FAILED', detail: 'the enroll did not start' });
        return;
      }
      await this.set(c.id, [current.status as CaptureStatus], { status: 'FAILED', detail: 'the station went idle (reset at the desk)' });
      return;
    }
    const next = applyStationStatus(current.status as CaptureStatus, station.status);
    if (next) {
      current =
        (await this.set(c.id, [current.status as CaptureStatus], {
          ...(current.status === 'PERSON_NOT_FOUND' && station.kind === 'ENROLL' ? { kind: 'ENROLL' } : {}),
          status: next,
          detail: next === 'CAPTURE_CANCELED' ? 'cancelled at the desk' : next === 'CAPTURE_FAILED' ? 'capture failed at the desk' : null,
        })) ?? current;
    }
    if (!current.autoAdvance) return;
    if (current.status === 'CLIENT_CAPTURE_DONE') await this.operatorStep(current);
    else if (current.status === 'OPERATOR_CAPTURE_DONE') await this.sendStep(current);
  }

  private async operatorStep(c: CaptureRow): Promise<CaptureRow | null> {
    const claimed = await this.set(c.id, ['CLIENT_CAPTURE_DONE'], { status: 'OPERATOR_CAPTURING', detail: null });
    if (!claimed) return null; // someone else took this step
    try {
      await this.station(c.stationId).api.operatorCapture();
    } catch (err) {
      // Unknown whether the station started: hand back to the poller, which reads Capture Status.
      if (!(err instanceof UpstreamConflictError)) {
        await this.set(c.id, ['OPERATOR_CAPTURING'], { status: 'CLIENT_CAPTURE_DONE', detail: 'operator capture did not start; retrying' });
      }
      throw err;
    }
    return claimed;
  }

  /** Send (presential) or the remote link (remote), after OPERATOR_CAPTURE_DONE. Claimed first: never twice. */
  private async sendStep(c: CaptureRow): Promise<CaptureRow | null> {
    const claimed = await this.set(c.id, ['OPERATOR_CAPTURE_DONE'], { status: 'SENDING', detail: null, sendClaimedAt: this.now() });
    if (!claimed) return null;
    const { api } = this.station(c.stationId);
    try {
      if (c.mode === 'REMOTE') {
        const link = c.kind === 'ENROLL' ? await api.remoteEnroll(c.cpf, c.email ?? undefined) : await api.remoteVerify(c.cpf, c.email ?? undefined);
        return await this.set(c.id, ['SENDING'], { status: 'WAITING_CLIENT', tguid: link.tguid, remoteUrl: link.url, detail: null });
      }
      const sent = await api.send();
      return await this.set(c.id, ['SENDING'], {
        status: statusAfterSend(sent.outcome),
        tguid: sent.tguid,
        sendOutcome: sent.outcome,
        detail: sent.outcome === 'CAPTURE_PENDING' ? 'the station could not reach its server; kept for resend' : null,
      });
    } catch (err) {
      // Timeout or a lost answer: stay SENDING; the poller reconciles through Capture Status.
      this.deps.logger.warn({ captureId: c.id, code: err instanceof UpstreamError ? err.code : 'ERROR' }, 'send did not complete');
      return null;
    }
  }

  /**
   * SENDING found by the poller: the send's answer never reached us. If the
   * station still shows OPERATOR_CAPTURE_DONE the send did not happen, so
   * sending now is not sending twice. Otherwise it did, and the TGUID is only
   * in the answer we lost: SEND_UNCONFIRMED, for a person to look at.
   */
  private async reconcileSend(c: CaptureRow): Promise<void> {
    // A send still in flight (a slow station) leaves the station at OPERATOR_CAPTURE_DONE too:
    // reading it before the send's own timeout has passed would send twice.
    const claimedAt = (c.sendClaimedAt ?? c.updatedAt).getTime();
    if (this.now().getTime() < claimedAt + this.inFlightMs) return;
    const station = await this.station(c.stationId).api.captureStatus();
    if (station.status === 'OPERATOR_CAPTURE_DONE') {
      const back = await this.set(c.id, ['SENDING'], { status: 'OPERATOR_CAPTURE_DONE', detail: 'send not received by the station; sending again' });
      if (back) await this.sendStep(back);
      return;
    }
    await this.set(c.id, ['SENDING'], { status: 'SEND_UNCONFIRMED', detail: 'the station took the send but its answer was lost' });
  }

  private async recordResult(c: CaptureRow, upstream: string): Promise<void> {
    const next = applyResult(upstream);
    if (!next || next === c.status) return;
    if (next === 'PROCESSING' && c.status === 'WAITING_CLIENT') {
      await this.set(c.id, ['WAITING_CLIENT'], { status: 'PROCESSING', detail: 'the citizen submitted the capture' });
      return;
    }
    if (next === 'PROCESSING' || next === 'WAITING_CLIENT') return;
    await this.set(c.id, [c.status as CaptureStatus], { status: next, result: (OPEN_CAPTURE_STATUSES as readonly string[]).includes(next) ? null : next, detail: null });
  }

  private async fetchReport(c: CaptureRow): Promise<void> {
    if (!c.tguid || c.reportFetchedAt) return;
    let report: { bytes: Buffer; contentType: string };
    try {
      report = await this.station(c.stationId).api.report(c.tguid);
    } catch (err) {
      if (err instanceof UpstreamNotFoundError) {
        // The station has no report for this TGUID: record that, and stop asking.
        await this.apply(c.id, (cur) => (cur && !cur.reportFetchedAt ? { type: 'REPORT_UNAVAILABLE', row: { ...cur, reportFetchedAt: this.now(), reportSize: 0, updatedAt: this.now() } } : null));
        return;
      }
      throw err;
    }
    if (report.contentType !== 'application/pdf') {
      this.deps.logger.warn({ captureId: c.id, contentType: report.contentType }, 'the station sent a report that is not a PDF; kept and served as sent');
    }
    const at = this.now();
    await this.apply(c.id, (cur) =>
      cur && !cur.reportFetchedAt
        ? {
            type: 'REPORT_READY',
            row: { ...cur, reportFetchedAt: at, reportSize: report.bytes.length, updatedAt: at },
            also: (tx) => this.deps.store.saveReport(tx, c.id, report.bytes, at, report.contentType),
          }
        : null,
    );
  }

  // ---- recording ------------------------------------------------------------

  /** The capture's intent row (STARTING), written before any station call; holds the station from here on. */
  private async create(
    input: { stationId: string; cpf: string; mode: CaptureMode; kind: CaptureKind; enrollIfNotFound: boolean; autoAdvance: boolean; email: string | null },
    startedBy: string | null,
    onIntent: IntentHook | undefined,
  ): Promise<CaptureRow> {
    const id = randomUUID();
    const at = this.now();
    const row: CaptureRow = {
      id,
      stationId: input.stationId,
      cpf: input.cpf,
      mode: input.mode,
      kind: input.kind,
      status: 'STARTING',
      autoAdvance: input.autoAdvance,
      enrollIfNotFound: input.enrollIfNotFound,
      tguid: null,
      result: null,
      sendOutcome: null,
      sendClaimedAt: null,
      remoteUrl: null,
      email: input.email,
      detail: null,
      reportSize: null,
      reportFetchedAt: null,
      startedBy,
      createdAt: at,
      updatedAt: at,
      version: 0,
    };
    let busy: CaptureRow | null = null;
    const { store } = this.deps;
    const out = await this.apply(id, async (_current, tx) => {
      // Under the event-log lock: two starts on one station cannot both pass this check.
      busy = await store.captureHoldingStation(tx, input.stationId, STATION_HOLDING_STATUSES);
      if (busy) return null;
      return { type: 'STATUS_CHANGED', row, ...(onIntent ? { also: (t: Db) => onIntent(t, id) } : {}) };
    });
    if (!out.changed || !out.row) {
      const b = busy as CaptureRow | null;
      throw new FlowError('STATION_BUSY', `Station ${input.stationId} is busy with capture ${b?.id ?? 'unknown'}`, {
        stationId: input.stationId,
        captureId: b?.id ?? null,
      });
    }
    return out.row;
  }

  private async failStart(id: string, err: unknown): Promise<void> {
    if (mayHaveActed(err)) {
      // The station may have started (a timeout, a lost answer): keep the capture holding the station
      // and let the poller follow Capture Status; a station still idle past the timeout fails it.
      await this.watch(id).catch((e: unknown) => this.deps.logger.error({ err: e, captureId: id }, 'could not watch a capture whose start is unconfirmed'));
      return;
    }
    const reason =
      err instanceof UpstreamConflictError ? err.reason : err instanceof UpstreamError ? err.code : err instanceof FlowError ? err.code : 'ERROR';
    await this.set(id, ['STARTING', 'PERSON_NOT_FOUND'], { status: 'FAILED', detail: `could not start: ${reason}` });
  }

  /** Compare-and-set: applies `patch` only when the current status is one of `from`. */
  private async set(id: string, from: readonly CaptureStatus[], patch: Partial<CaptureRow> & { status: CaptureStatus }): Promise<CaptureRow | null> {
    const at = this.now();
    const { row, changed } = await this.apply(id, (cur) =>
      cur && (from as readonly string[]).includes(cur.status) ? { type: 'STATUS_CHANGED', row: { ...cur, ...patch, updatedAt: at } } : null,
    );
    return changed ? row : null;
  }

  private apply(id: string, decide: (cur: CaptureRow | null, tx: Db) => Decision<CaptureRow> | null | Promise<Decision<CaptureRow> | null>) {
    const hook = this.onStationHolding;
    if (!hook) return recordEntityChange(this.deps, this.spec, id, decide);
    return recordEntityChange(this.deps, this.spec, id, async (cur, tx) => {
      const d = await decide(cur, tx);
      // Took or released the reader: the station's busy/free commits with this change.
      if (!d || (cur !== null && holdsStation(cur)) === holdsStation(d.row)) return d;
      const also = d.also;
      return {
        ...d,
        also: async (t: Db) => {
          if (also) await also(t);
          await hook(t, d.row.stationId);
        },
      };
    });
  }

  private async watch(id: string): Promise<void> {
    await this.deps.scheduler.watch(CAPTURE_POLL_KIND, id);
  }

  async mustGet(id: string): Promise<CaptureRow> {
    const c = (await this.deps.store.capturesById([id])).get(id);
    if (!c) throw new NotFoundError('Capture not found');
    return c;
  }
}
