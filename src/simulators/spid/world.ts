/**
 * The simulated SPID world without HTTP: stations (operator login, one
 * capture at a time), the central server's results, pending sends and remote
 * links. Kept apart from the servers so that the state machine reads in one
 * place. This is an independent implementation of the contract: it must not
 * import `src/upstreams/` (a bug shared with the client could not show).
 */
import { randomUUID } from 'node:crypto';
import { parseCpf } from '../../domain/cpf';

export const LOGIN_STATUSES = ['OPERATOR_OK', 'OPERATOR_OFFLINE_OK', 'OPERATOR_NOT_FOUND', 'OPERATOR_PENDING', 'OPERATOR_IN_PROGRESS', 'OPERATOR_FAILED', 'ERROR'] as const;
export type LoginStatus = (typeof LOGIN_STATUSES)[number];
export type CaptureStatus = 'IDLE' | 'CLIENT_CAPTURING' | 'CLIENT_CAPTURE_DONE' | 'OPERATOR_CAPTURING' | 'OPERATOR_CAPTURE_DONE' | 'CAPTURE_CANCELED' | 'CAPTURE_FAILED';
export type ResultStatus = 'PROCESSING' | 'CAPTURE_PENDING' | 'SEARCH_MATCH' | 'SEARCH_NOT_MATCH' | 'ENROLLED' | 'ENROLL_REJECTED';
export type RemoteStatus = 'WAITING_CLIENT' | 'PROCESSING' | 'SEARCH_MATCH' | 'SEARCH_NOT_MATCH' | 'ENROLLED' | 'ENROLL_REJECTED' | 'EXPIRED';
export type CaptureKind = 'VERIFY' | 'ENROLL';

/** Every CPF is "registered and matches" unless it is one of these (11 digits, valid check digits). */
export const SPID_MAGIC_CPFS = {
  /** The default: registered, verify → SEARCH_MATCH, enroll → ENROLLED. Any other valid CPF behaves the same. */
  matches: '10000000108',
  /** Registered, but verify → SEARCH_NOT_MATCH. */
  noMatch: '10000000280',
  /** Verify → PERSON_NOT_FOUND until enrolled (ENROLLED makes the person registered). */
  notRegistered: '10000000361',
  /** Enroll → ENROLL_REJECTED. */
  enrollRejected: '10000000442',
  /** The client capture ends in CAPTURE_FAILED (bad quality after retries). */
  deskFailure: '10000000523',
  /** The client capture ends in CAPTURE_CANCELED (cancelled at the desk). */
  deskCancel: '10000000604',
  /** Send → CAPTURE_PENDING; stays pending (resends fail) until control `POST /pending/fix`, then the next resend succeeds. */
  sendFails: '10000000795',
  /** Remote link never used by the citizen → EXPIRED after remoteLinkTtlMs. */
  linkNeverUsed: '10000000876',
  /** Enroll processing takes slowEnrollProcessingMs (default 10 minutes). */
  slowEnroll: '10000000957',
  /** Login → OPERATOR_NOT_FOUND. */
  operatorNotFound: '20000000108',
  /** Login → OPERATOR_OFFLINE_OK (logged in from the local base). */
  operatorOffline: '20000000299',
  /** An operator that logs in OK (any valid CPF not above does too). */
  operatorOk: '20000000370',
  /** Login → OPERATOR_PENDING (vendor manual: added by an administrator, no biometrics provided yet). Not logged in. */
  operatorPending: '20000000450',
  /** Login → OPERATOR_IN_PROGRESS (vendor manual: the server is still processing the operator's enrolment). Not logged in. */
  operatorInProgress: '20000000531',
} as const;

const M = SPID_MAGIC_CPFS;

export interface SpidTimings {
  /** @default 3000 */ clientCaptureMs: number;
  /** @default 2000 */ operatorCaptureMs: number;
  /** @default 1500 */ verifyProcessingMs: number;
  /** @default 8000 */ enrollProcessingMs: number;
  /** @default 600000 */ slowEnrollProcessingMs: number;
  /** @default 4000 */ remoteAnswerMs: number;
  /** @default 30000 */ remoteLinkTtlMs: number;
  /** How long Login takes to answer (the station asks its server); the answer is the final status. @default 300 */ loginSettleMs: number;
}

export const DEFAULT_TIMINGS: SpidTimings = {
  clientCaptureMs: 3000,
  operatorCaptureMs: 2000,
  verifyProcessingMs: 1500,
  enrollProcessingMs: 8000,
  slowEnrollProcessingMs: 600_000,
  remoteAnswerMs: 4000,
  remoteLinkTtlMs: 30_000,
  loginSettleMs: 300,
};

/** A refusal the HTTP layer turns into `{"errors":[{code,message}],"type"}`. */
export class SimError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly type: 'VALIDATION_ERROR' | 'PROCESSING_ERROR' | 'SECURITY_ERROR' | 'INTERNAL_ERROR',
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const busy = () => new SimError(409, 'PROCESSING_ERROR', 'STATION_BUSY', 'A capture is already running on this station');
const wrongState = (msg: string) => new SimError(409, 'PROCESSING_ERROR', 'WRONG_STATE', msg);
const notFound = () => new SimError(404, 'PROCESSING_ERROR', 'TGUID_NOT_FOUND', 'Unknown TGUID');

export function requireCpf(value: unknown): string {
  const parsed = typeof value === 'string' ? parseCpf(value) : null;
  if (!parsed?.ok) throw new SimError(400, 'VALIDATION_ERROR', 'INVALID_CPF', 'CPF is missing or invalid');
  return parsed.cpf;
}

export interface Step {
  remaining: number;
  due: number;
  timer: NodeJS.Timeout | null;
  action: () => void;
}

export interface Capture {
  status: CaptureStatus;
  cpf: string | null;
  /** null: nothing to send (idle, or the operator authenticating before a remote capture). */
  kind: CaptureKind | null;
}

export interface ResultRecord {
  tguid: string;
  stationId: string;
  channel: 'PRESENTIAL' | 'REMOTE';
  kind: CaptureKind;
  cpf: string;
  status: ResultStatus | RemoteStatus;
  createdAt: Date;
  updatedAt: Date;
  /** For CAPTURE_PENDING: the next resend succeeds. */
  fixed: boolean;
  email: string | null;
}

const IDLE: Capture = { status: 'IDLE', cpf: null, kind: null };

export class Station {
  operator: { cpf: string; status: LoginStatus } | null = null;
  capture: Capture = IDLE;
  paused = false;
  /** Control API: the station stops answering (every request's socket is dropped unanswered). */
  offline = false;
  /** Scheduled automatic progress, by key: `capture`, `result:<tguid>`, `answer:<tguid>`, `expire:<tguid>`. */
  readonly steps = new Map<string, Step>();

  constructor(
    readonly id: string,
    readonly name: string,
    readonly token: string | undefined,
  ) {}

  schedule(key: string, ms: number, action: () => void): void {
    this.cancel(key);
    const step: Step = { remaining: Math.max(0, ms), due: 0, timer: null, action };
    this.steps.set(key, step);
    if (!this.paused) this.arm(key, step);
  }

  private arm(key: string, step: Step): void {
    step.due = Date.now() + step.remaining;
    step.timer = setTimeout(() => this.run(key), step.remaining);
    // Timers must not keep a test process alive; the HTTP servers keep `npm start` alive.
    step.timer.unref();
  }

  run(key: string): boolean {
    const step = this.steps.get(key);
    if (!step) return false;
    if (step.timer) clearTimeout(step.timer);
    this.steps.delete(key);
    step.action();
    return true;
  }

  cancel(key: string): void {
    const step = this.steps.get(key);
    if (step?.timer) clearTimeout(step.timer);
    this.steps.delete(key);
  }

  pause(): void {
    if (this.paused) return;
    this.paused = true;
    const now = Date.now();
    for (const step of this.steps.values()) {
      if (step.timer) clearTimeout(step.timer);
      step.timer = null;
      step.remaining = Math.max(0, step.due - now);
    }
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    for (const [key, step] of this.steps) this.arm(key, step);
  }

  clear(): void {
    for (const step of this.steps.values()) if (step.timer) clearTimeout(step.timer);
    this.steps.clear();
  }

  loggedIn(): boolean {
    return this.operator?.status === 'OPERATOR_OK' || this.operator?.status === 'OPERATOR_OFFLINE_OK';
  }

  /** A capture holds the reader from its start until it is sent, cancelled or failed. */
  active(): boolean {
    return this.capture.status !== 'IDLE' && this.capture.status !== 'CAPTURE_CANCELED' && this.capture.status !== 'CAPTURE_FAILED';
  }
}

export class SpidWorld {
  readonly stations = new Map<string, Station>();
  readonly results = new Map<string, ResultRecord>();
  /** Persons enrolled during this run (everyone else except `notRegistered` is registered anyway). */
  readonly enrolled = new Set<string>();
  /** `POST /pending/fix` without a tguid: the next resend (any station) succeeds for every pending capture. */
  fixAllNext = false;
  timings: SpidTimings;
  /** Called after a scheduled step ran (state changed without a request): persistence hooks in here. */
  onChange: (() => void) | undefined;

  constructor(
    private readonly initialTimings: SpidTimings,
    readonly now: () => Date,
    /** Where remote links point: `${remoteServiceUrl}/r/<tguid>`. */
    public remoteServiceUrl: string,
  ) {
    this.timings = { ...initialTimings };
  }

  station(id: string): Station {
    const station = this.stations.get(id);
    if (!station) throw new SimError(404, 'PROCESSING_ERROR', 'STATION_NOT_FOUND', 'Unknown station');
    return station;
  }

  registered(cpf: string): boolean {
    return cpf !== M.notRegistered || this.enrolled.has(cpf);
  }

  // ---- operator login -------------------------------------------------------

  /**
   * Login answers a settled status (vendor manual): OPERATOR_PENDING and
   * OPERATOR_IN_PROGRESS are states of the operator's own enrolment, not of
   * this login. The HTTP layer delays the answer by `loginSettleMs`.
   */
  login(st: Station, rawCpf: string): LoginStatus {
    const cpf = requireCpf(rawCpf);
    const status: LoginStatus =
      cpf === M.operatorNotFound
        ? 'OPERATOR_NOT_FOUND'
        : cpf === M.operatorOffline
          ? 'OPERATOR_OFFLINE_OK'
          : cpf === M.operatorPending
            ? 'OPERATOR_PENDING'
            : cpf === M.operatorInProgress
              ? 'OPERATOR_IN_PROGRESS'
              : 'OPERATOR_OK';
    // A new login replaces the current operator at once.
    st.operator = { cpf, status };
    return status;
  }

  loginStatus(st: Station): { status: LoginStatus | 'NOT_LOGGED_IN'; operatorId: string | null } {
    return st.operator ? { status: st.operator.status, operatorId: st.operator.cpf } : { status: 'NOT_LOGGED_IN', operatorId: null };
  }

  private requireOperator(st: Station): void {
    if (!st.loggedIn()) throw new SimError(401, 'SECURITY_ERROR', 'NO_OPERATOR', 'No operator is logged in on this station');
  }

  // ---- presential capture ---------------------------------------------------

  verify(st: Station, rawCpf: string): 'PERSON_NOT_FOUND' | 'CLIENT_CAPTURING' {
    const cpf = requireCpf(rawCpf);
    this.requireOperator(st);
    if (st.active()) throw busy();
    if (!this.registered(cpf)) return 'PERSON_NOT_FOUND';
    this.startClientCapture(st, cpf, 'VERIFY');
    return 'CLIENT_CAPTURING';
  }

  enroll(st: Station, body: unknown): 'CLIENT_CAPTURING' {
    const b = asObject(body);
    const cpf = requireCpf(b.cpf);
    if (b.name !== undefined && b.name !== null && (typeof b.name !== 'string' || b.name.length > 200)) {
      throw new SimError(400, 'VALIDATION_ERROR', 'INVALID_NAME', 'name must be a string of at most 200 characters');
    }
    this.requireOperator(st);
    if (st.active()) throw busy();
    this.startClientCapture(st, cpf, 'ENROLL');
    return 'CLIENT_CAPTURING';
  }

  private startClientCapture(st: Station, cpf: string, kind: CaptureKind): void {
    st.capture = { status: 'CLIENT_CAPTURING', cpf, kind };
    this.schedule(st, 'capture', this.timings.clientCaptureMs);
  }

  captureStatus(st: Station): Capture {
    return st.capture;
  }

  operatorCapture(st: Station): 'OPERATOR_CAPTURING' {
    this.requireOperator(st);
    const c = st.capture;
    // From IDLE (or after a cancelled/failed capture) this is the operator authenticating before a remote capture (seed 1.2.2).
    if (!st.active()) st.capture = { status: 'OPERATOR_CAPTURING', cpf: null, kind: null };
    else if (c.status === 'CLIENT_CAPTURE_DONE') st.capture = { ...c, status: 'OPERATOR_CAPTURING' };
    else throw wrongState(`Operator Capture is not allowed in ${c.status}`);
    this.schedule(st, 'capture', this.timings.operatorCaptureMs);
    return 'OPERATOR_CAPTURING';
  }

  send(st: Station): { status: 'VERIFIED' | 'CAPTURE_ENQUEUED' | 'CAPTURE_PENDING'; tguid: string } {
    this.requireOperator(st);
    const c = st.capture;
    if (c.status !== 'OPERATOR_CAPTURE_DONE' || !c.kind || !c.cpf) throw wrongState(`Send is not allowed in ${c.status}`);
    const rec = this.newResult(st, 'PRESENTIAL', c.kind, c.cpf, null);
    st.capture = IDLE;
    st.cancel('capture');
    if (c.cpf === M.sendFails) {
      rec.status = 'CAPTURE_PENDING';
      return { status: 'CAPTURE_PENDING', tguid: rec.tguid };
    }
    this.process(st, rec);
    return { status: c.kind === 'VERIFY' ? 'VERIFIED' : 'CAPTURE_ENQUEUED', tguid: rec.tguid };
  }

  private newResult(st: Station, channel: ResultRecord['channel'], kind: CaptureKind, cpf: string, email: string | null): ResultRecord {
    const now = this.now();
    const rec: ResultRecord = {
      tguid: randomUUID(),
      stationId: st.id,
      channel,
      kind,
      cpf,
      status: 'PROCESSING',
      createdAt: now,
      updatedAt: now,
      fixed: false,
      email,
    };
    this.results.set(rec.tguid, rec);
    return rec;
  }

  /** PROCESSING, then the outcome the CPF dictates after the processing time. */
  private process(st: Station, rec: ResultRecord): void {
    this.setStatus(rec, 'PROCESSING');
    const t = this.timings;
    const ms = rec.kind === 'VERIFY' ? t.verifyProcessingMs : rec.cpf === M.slowEnroll ? t.slowEnrollProcessingMs : t.enrollProcessingMs;
    this.schedule(st, `result:${rec.tguid}`, ms);
  }

  /** Schedules a step; its action is derived from the key and the state when it runs (so a restart can rebuild it). */
  schedule(st: Station, key: string, ms: number): void {
    st.schedule(key, ms, this.stepAction(st, key));
  }

  /** What a scheduled step does, by key: `capture`, `result:<tguid>`, `answer:<tguid>`, `expire:<tguid>`. */
  stepAction(st: Station, key: string): () => void {
    const run = (): void => {
      const [kind, tguid = ''] = key.split(/:(.*)/s);
      const rec = this.results.get(tguid);
      if (kind === 'capture') {
        const { status: now, cpf } = st.capture;
        if (now === 'OPERATOR_CAPTURING') st.capture = { ...st.capture, status: 'OPERATOR_CAPTURE_DONE' };
        else if (now === 'CLIENT_CAPTURING') {
          const status: CaptureStatus = cpf === M.deskFailure ? 'CAPTURE_FAILED' : cpf === M.deskCancel ? 'CAPTURE_CANCELED' : 'CLIENT_CAPTURE_DONE';
          st.capture = { ...st.capture, status };
        }
      } else if (kind === 'result' && rec) {
        if (rec.kind === 'VERIFY') {
          this.setStatus(rec, rec.cpf === M.noMatch || !this.registered(rec.cpf) ? 'SEARCH_NOT_MATCH' : 'SEARCH_MATCH');
        } else if (rec.cpf === M.enrollRejected) {
          this.setStatus(rec, 'ENROLL_REJECTED');
        } else {
          this.enrolled.add(rec.cpf);
          this.setStatus(rec, 'ENROLLED');
        }
      } else if (kind === 'answer' && rec?.status === 'WAITING_CLIENT') {
        this.answer(tguid);
      } else if (kind === 'expire' && rec) {
        if (rec.status === 'WAITING_CLIENT') this.setStatus(rec, 'EXPIRED');
        st.cancel(`answer:${tguid}`);
      }
    };
    return () => {
      run();
      this.onChange?.();
    };
  }

  private setStatus(rec: ResultRecord, status: ResultRecord['status']): void {
    rec.status = status;
    rec.updatedAt = this.now();
  }

  result(tguid: string, channel: ResultRecord['channel']): ResultRecord {
    const rec = this.results.get(tguid);
    if (!rec || rec.channel !== channel) throw notFound();
    return rec;
  }

  report(tguid: string): ResultRecord {
    const rec = this.results.get(tguid);
    if (!rec) throw notFound();
    return rec;
  }

  resend(st: Station): { resent: string[]; failed: string[] } {
    const resent: string[] = [];
    const failed: string[] = [];
    for (const rec of this.results.values()) {
      if (rec.stationId !== st.id || rec.status !== 'CAPTURE_PENDING') continue;
      if (rec.fixed || this.fixAllNext) {
        resent.push(rec.tguid);
        this.process(st, rec);
      } else {
        failed.push(rec.tguid);
      }
    }
    this.fixAllNext = false;
    return { resent, failed };
  }

  // ---- remote capture -------------------------------------------------------

  remoteStart(st: Station, kind: CaptureKind, body: unknown): { tguid: string; url: string } {
    const b = asObject(body);
    const cpf = requireCpf(b.cpf);
    if (b.email !== undefined && b.email !== null && (typeof b.email !== 'string' || !/^[^\s@]+@[^\s@]+$/.test(b.email))) {
      throw new SimError(400, 'VALIDATION_ERROR', 'INVALID_EMAIL', 'email is invalid');
    }
    this.requireOperator(st);
    const c = st.capture;
    if (!(c.status === 'OPERATOR_CAPTURE_DONE' && c.kind === null)) {
      if (st.active() && c.kind !== null) throw busy();
      throw wrongState(`Remote ${kind === 'VERIFY' ? 'Verify' : 'Enroll'} needs OPERATOR_CAPTURE_DONE, station is ${c.status}`);
    }
    st.capture = IDLE;
    const rec = this.newResult(st, 'REMOTE', kind, cpf, typeof b.email === 'string' ? b.email : null);
    rec.status = 'WAITING_CLIENT';
    if (cpf !== M.linkNeverUsed && this.timings.remoteAnswerMs < this.timings.remoteLinkTtlMs) {
      this.schedule(st, `answer:${rec.tguid}`, this.timings.remoteAnswerMs);
    }
    this.schedule(st, `expire:${rec.tguid}`, this.timings.remoteLinkTtlMs);
    return { tguid: rec.tguid, url: `${this.remoteServiceUrl}/r/${rec.tguid}` };
  }

  /** The citizen's app submits biometrics through the link. */
  answer(tguid: string): ResultRecord {
    const rec = this.results.get(tguid);
    if (!rec || rec.channel !== 'REMOTE') throw notFound();
    if (rec.status !== 'WAITING_CLIENT') throw wrongState(`The link is ${rec.status === 'EXPIRED' ? 'expired' : 'already used'}`);
    const st = this.station(rec.stationId);
    st.cancel(`answer:${tguid}`);
    st.cancel(`expire:${tguid}`);
    this.process(st, rec);
    return rec;
  }

  // ---- control --------------------------------------------------------------

  /** Finish the current step now: the capture step, else (or for `tguid`) the result steps. */
  advance(st: Station, tguid?: string): string[] {
    const order = tguid ? [`answer:${tguid}`, `result:${tguid}`, `expire:${tguid}`] : ['capture'];
    for (const key of order) if (st.run(key)) return [key];
    if (tguid) return [];
    const keys = [...st.steps.keys()].filter((k) => k.startsWith('result:') || k.startsWith('answer:'));
    for (const key of keys) st.run(key);
    return keys;
  }

  fail(st: Station, status: unknown): Capture {
    if (status !== 'CAPTURE_FAILED' && status !== 'CAPTURE_CANCELED') {
      throw new SimError(400, 'VALIDATION_ERROR', 'INVALID_STATUS', 'status must be CAPTURE_FAILED or CAPTURE_CANCELED');
    }
    if (!st.active()) throw wrongState('No capture is running');
    st.cancel('capture');
    st.capture = { ...st.capture, status };
    return st.capture;
  }

  fix(tguid?: string): string[] {
    if (tguid === undefined) {
      this.fixAllNext = true;
      return [...this.results.values()].filter((r) => r.status === 'CAPTURE_PENDING').map((r) => r.tguid);
    }
    const rec = this.results.get(tguid);
    if (!rec || rec.status !== 'CAPTURE_PENDING') throw notFound();
    rec.fixed = true;
    return [tguid];
  }

  reset(): void {
    for (const st of this.stations.values()) {
      st.clear();
      st.operator = null;
      st.capture = IDLE;
      st.paused = false;
      st.offline = false;
    }
    this.results.clear();
    this.enrolled.clear();
    this.fixAllNext = false;
    this.timings = { ...this.initialTimings };
  }

  setTimings(partial: unknown): SpidTimings {
    const p = asObject(partial);
    const next = { ...this.timings };
    for (const [key, value] of Object.entries(p)) {
      if (!(key in DEFAULT_TIMINGS) || typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 2_000_000_000) {
        throw new SimError(400, 'VALIDATION_ERROR', 'INVALID_TIMING', `Bad timing ${key}`);
      }
      next[key as keyof SpidTimings] = value;
    }
    this.timings = next;
    return next;
  }

  close(): void {
    for (const st of this.stations.values()) st.clear();
  }
}

export function asObject(value: unknown): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new SimError(400, 'VALIDATION_ERROR', 'INVALID_BODY', 'The body must be a JSON object');
  return value as Record<string, unknown>;
}
