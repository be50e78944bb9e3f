import type { PollResult } from '../pollers/scheduler';
import type { CaptureRow } from '../store/schema';
import type { Db } from '../store/store';
import { UpstreamConflictError, UpstreamError } from '../upstreams/errors';
import { OPERATOR_LOGGED_IN_STATUSES, type LoginState, type OperatorLoginStatus, type SpidStationApi } from '../upstreams/spid/types';
import { maskCpf } from '../domain/cpf';
import {
  OPEN_CAPTURE_STATUSES,
  TERMINAL_STATUSES,
  applyResult,
  applyStationStatus,
  captureFinished,
  enrollingAfterNotFound,
  isTerminalCapture,
  type CaptureKind,
  type CaptureStatus,
} from './capture';
import { captureRecorder, type CaptureContext, type CaptureRecorder } from './capture-record';
import { fetchReport } from './capture-report';
import { reconcileSend, sendStep } from './capture-send';
import { createCapture, failStart } from './capture-start';
import { FlowError, NotFoundError, requireInfrastructure } from './errors';
import type { FlowDeps } from './deps';
import type { IntentHook } from './record';

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
  private readonly apply: CaptureRecorder['apply'];
  private readonly set: CaptureRecorder['set'];
  private readonly cx: CaptureContext;
  private readonly slowPollMs: number;
  private readonly loginSettleTimeoutMs: number;
  /** A station call claimed at T is surely over at T + this. */
  private readonly inFlightMs: number;
  private readonly onLogin: CaptureFlowOptions['onLogin'];

  constructor(
    private readonly deps: FlowDeps,
    stations: readonly Station[],
    opts: CaptureFlowOptions = {},
  ) {
    this.stations = new Map(stations.map((s) => [s.id, s]));
    this.now = deps.now ?? (() => new Date());
    ({ apply: this.apply, set: this.set } = captureRecorder(deps, this.now, opts.onStationHolding));
    this.cx = { deps, now: this.now, api: (id) => this.station(id).api, watch: (id) => this.watch(id), apply: this.apply, set: this.set };
    this.slowPollMs = opts.slowPollMs ?? 30_000;
    this.loginSettleTimeoutMs = opts.loginSettleTimeoutMs ?? 10_000;
    this.inFlightMs = (opts.stationTimeoutMs ?? 10_000) + IN_FLIGHT_MARGIN_MS;
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
    const capture = await createCapture(this.cx, { ...input, mode: 'PRESENTIAL', email: null }, startedBy, onIntent);
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
      await failStart(this.cx, capture.id, err);
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
    const capture = await createCapture(this.cx, { ...input, mode: 'REMOTE', enrollIfNotFound: false, autoAdvance: true }, startedBy, onIntent);
    try {
      await station.api.operatorCapture();
      const started = await this.set(capture.id, ['STARTING'], { status: 'OPERATOR_CAPTURING', detail: null });
      await this.watch(capture.id);
      return started ?? capture;
    } catch (err) {
      await failStart(this.cx, capture.id, err);
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
    return (await sendStep(this.cx, c)) ?? (await this.mustGet(captureId));
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
        await fetchReport(this.cx, c);
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
            await reconcileSend(this.cx, c, this.inFlightMs);
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
    else if (current.status === 'OPERATOR_CAPTURE_DONE') await sendStep(this.cx, current);
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

  // ---- recording ------------------------------------------------------------

  private async watch(id: string): Promise<void> {
    await this.deps.scheduler.watch(CAPTURE_POLL_KIND, id);
  }

  async mustGet(id: string): Promise<CaptureRow> {
    const c = (await this.deps.store.capturesById([id])).get(id);
    if (!c) throw new NotFoundError('Capture not found');
    return c;
  }
}
