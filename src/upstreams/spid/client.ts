/**
 * HTTP client for one SPID Services capture station.
 *
 * - One undici Pool per station with keep-alive: a desk polls Capture Status
 *   every second or so, and a fresh TCP connection per poll is waste.
 * - Every answer goes through a zod schema (`wire.ts`). An answer that is not
 *   JSON or lacks a field becomes UpstreamUnavailableError; a status word we
 *   do not know is a readable answer (UNKNOWN + raw text, reported once): it
 *   neither fails the call nor counts towards the circuit breaker.
 * - Only idempotent GETs are retried. Login is a GET in the contract but
 *   starts a login (a side effect), so it is not; POSTs (send, enroll,
 *   operator capture, remote starts, resend) never are: a send retried after a
 *   lost answer would submit the capture twice.
 * - Errors are only the classes in `../errors.ts`, with fixed messages: no
 *   host, URL, body, CPF or token ever reaches a message.
 */
import type { Logger } from 'pino';
import { Pool } from 'undici';
import type { ZodType } from 'zod';
import {
  BrokenCircuitError,
  ConsecutiveBreaker,
  ExponentialBackoff,
  circuitBreaker,
  handleWhen,
  retry as retryPolicy,
  type CircuitBreakerPolicy,
  type RetryPolicy,
} from 'cockatiel';
import { observed, parseObserved, watchBreaker, type UpstreamObserver, type UpstreamOutcome, type UpstreamRequest } from '../observer';
import { parseCpf } from '../../domain/cpf';
import {
  UpstreamAuthError,
  UpstreamConflictError,
  UpstreamError,
  UpstreamNotFoundError,
  UpstreamUnavailableError,
  UpstreamValidationError,
} from '../errors';
import { unknownValueReporter, type UnknownValueReporter } from '../unknown-values';
import { UNKNOWN_STATUS, type CaptureReportFile, type SpidStationApi } from './types';
import * as wire from './wire';

export interface SpidStationClientOptions {
  /** The station's API root, e.g. `http://10.0.0.5:19980/gbs-spid-services/api`. */
  baseUrl: string;
  /** Optional bearer token sent as `Authorization: Bearer …` (the manual documents none). */
  token?: string;
  /**
   * Whole-request budget per attempt (connect + headers + body).
   * @default 10000
   */
  requestTimeoutMs?: number;
  /** Retries of idempotent GETs on 5xx, timeouts, resets and malformed answers. */
  retry?: {
    /** Retries after the first attempt. @default 2 */
    maxRetries?: number;
    /** @default 100 */
    initialDelayMs?: number;
    /** @default 2000 */
    maxDelayMs?: number;
  };
  /** Opens after consecutive unavailability failures (4xx answers do not count); while open, calls fail fast. */
  circuitBreaker?: {
    /** @default 5 */
    consecutiveFailures?: number;
    /** @default 10000 */
    halfOpenAfterMs?: number;
  };
  /** Logs route templates, statuses and durations; never CPFs, bodies or tokens. */
  logger?: Logger;
  /** Keep-alive connections to the station. @default 4 */
  connections?: number;
  /** Station id for log lines and metric labels. */
  stationId?: string;
  /** Told about every HTTP attempt and breaker transition (metrics, traces). @default undefined */
  observer?: UpstreamObserver;
}

const UPSTREAM = 'spid' as const;
const MAX_JSON_BYTES = 1024 * 1024;
const MAX_PDF_BYTES = 20 * 1024 * 1024;
const TGUID = /^[A-Za-z0-9._-]{1,128}$/;
const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,190}$/;

interface Request<T> {
  method: 'GET' | 'POST';
  /** Template for logs (`GET /verify/{cpf}`): the real path may hold a CPF. */
  route: string;
  path: string;
  body?: unknown;
  idempotent: boolean;
  /** Our field name blamed when the station refuses the input without saying which field. */
  field: string;
  parse: (bytes: Buffer, contentType: string | undefined) => T;
}

/** Marks unavailability worth another attempt (all of it is, for a GET). */
class Unavailable extends UpstreamUnavailableError {}

function unavailable(message: string, notSent = false): UpstreamUnavailableError {
  return new Unavailable(UPSTREAM, message, { notSent });
}

function json<T>(schema: ZodType<T>): (bytes: Buffer) => T {
  return (bytes) => {
    let value: unknown;
    try {
      value = JSON.parse(bytes.toString('utf8'));
    } catch {
      throw unavailable('The SPID station sent an unreadable answer');
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) throw unavailable('The SPID station sent an unexpected answer');
    return parsed.data;
  };
}

/** `type/subtype` only (parameters dropped), and only when it looks like one: the value is stored and served again. */
const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}$/;

/**
 * The contract says `application/pdf`. A station sending another format is
 * still answering: the bytes are kept with their content type (the gateway
 * serves them as they are) rather than refused, which would poll forever.
 */
function report(bytes: Buffer, contentType: string | undefined): CaptureReportFile {
  if (bytes.length === 0) throw unavailable('The SPID station sent an empty report');
  if (bytes.length >= 5 && bytes.subarray(0, 5).toString('latin1') === '%PDF-') return { bytes, contentType: 'application/pdf' };
  const declared = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  // Said PDF but is not one: a broken answer (a truncated body), worth another attempt.
  if (declared === 'application/pdf') throw unavailable('The SPID station sent a broken PDF report');
  return { bytes, contentType: MEDIA_TYPE.test(declared) ? declared : 'application/octet-stream' };
}

/** Reports an UNKNOWN status once (masked) and hands the answer on unchanged. */
function noting<T>(onUnknown: UnknownValueReporter, field: string, read: (a: T) => { status: string; statusCode: string }) {
  return (answer: T): T => {
    const { status, statusCode } = read(answer);
    if (status === UNKNOWN_STATUS) onUnknown(field, statusCode);
    return answer;
  };
}

function requireCpf(input: string, field: string): string {
  const parsed = parseCpf(input);
  if (parsed.ok) return parsed.cpf;
  throw new UpstreamValidationError(UPSTREAM, { [field]: parsed.problem === 'FORMAT' ? 'must be 11 digits or 000.000.000-00' : 'check digits do not match' }, 'Invalid CPF');
}

function requireTguid(tguid: string): string {
  if (typeof tguid === 'string' && TGUID.test(tguid)) return tguid;
  throw new UpstreamValidationError(UPSTREAM, { tguid: 'must be 1-128 letters, digits, dots, dashes or underscores' }, 'Invalid transaction id');
}

function optionalEmail(email: string | undefined): string | undefined {
  if (email === undefined) return undefined;
  if (typeof email === 'string' && EMAIL.test(email)) return email;
  throw new UpstreamValidationError(UPSTREAM, { email: 'must be an e-mail address' }, 'Invalid e-mail');
}

function optionalName(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  const trimmed = typeof name === 'string' ? name.trim() : '';
  if (trimmed.length > 0 && trimmed.length <= 200) return trimmed;
  throw new UpstreamValidationError(UPSTREAM, { name: 'must be 1-200 characters' }, 'Invalid name');
}

/**
 * Maps a non-2xx answer. The HTTP status decides first and the error `type`
 * and `code` refine it, because a proxy in front of a station answers with a
 * status but not with SPID's error body.
 */
export function mapErrorAnswer(status: number, bytes: Buffer, field: string): UpstreamError {
  let body: wire.ErrorAnswer = {};
  try {
    const parsed = wire.errorAnswer.safeParse(JSON.parse(bytes.toString('utf8')));
    if (parsed.success) body = parsed.data;
  } catch {
    // Not JSON: decide from the status alone.
  }
  const codes = (body.errors ?? []).map((e) => e.code).filter((c): c is string => typeof c === 'string');
  const type = body.type;
  const has = (code: string) => codes.includes(code);

  if (status >= 500) return unavailable(`The SPID station failed (HTTP ${status})`);
  if (status === 404) return new UpstreamNotFoundError(UPSTREAM, 'The SPID station does not know this transaction');
  // "No operator" is a state of the desk, not a credential problem: someone must log in at the station.
  if (has(wire.ERROR_CODES.noOperator) && status >= 400) return new UpstreamConflictError(UPSTREAM, 'No operator is logged in on the SPID station', 'NO_OPERATOR');
  if (status === 401 || status === 403 || (type === 'SECURITY_ERROR' && status < 500)) {
    return new UpstreamAuthError(UPSTREAM, 'The SPID station refused our credentials');
  }
  if (status === 400 || (type === 'VALIDATION_ERROR' && status !== 409)) {
    const fields: Record<string, string> = {};
    if (has(wire.ERROR_CODES.invalidCpf)) fields[field === 'operatorCpf' ? 'operatorCpf' : 'cpf'] = 'rejected by the station';
    if (has(wire.ERROR_CODES.invalidEmail)) fields.email = 'rejected by the station';
    if (has(wire.ERROR_CODES.invalidName)) fields.name = 'rejected by the station';
    if (Object.keys(fields).length === 0) fields[field] = 'rejected by the station';
    return new UpstreamValidationError(UPSTREAM, fields, 'The SPID station rejected the input');
  }
  if (status === 409 || status === 422 || type === 'PROCESSING_ERROR') {
    if (has(wire.ERROR_CODES.busy)) return new UpstreamConflictError(UPSTREAM, 'The SPID station is busy with another capture', 'STATION_BUSY');
    // WRONG_STATE and anything unnamed: the call came at the wrong point of the flow.
    return new UpstreamConflictError(UPSTREAM, 'The SPID station is not in a state that allows this step', 'WRONG_STATE');
  }
  return unavailable(`The SPID station answered HTTP ${status}`);
}

export function createSpidStationClient(opts: SpidStationClientOptions): SpidStationApi {
  const url = new URL(opts.baseUrl);
  const prefix = url.pathname.replace(/\/+$/, '');
  const timeoutMs = opts.requestTimeoutMs ?? 10_000;
  const log = opts.logger?.child({ upstream: UPSTREAM, station: opts.stationId });
  const onUnknown = unknownValueReporter(UPSTREAM, log);
  const pool = new Pool(url.origin, {
    connections: opts.connections ?? 4,
    connect: { timeout: timeoutMs },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    // Below Node's 5 s server default, so we do not reuse a socket the station is closing (a reset on a POST is not retried).
    keepAliveTimeout: 4_000,
    keepAliveMaxTimeout: 30_000,
  });

  const breaker: CircuitBreakerPolicy = circuitBreaker(
    handleWhen((err) => err instanceof UpstreamUnavailableError),
    {
      halfOpenAfter: opts.circuitBreaker?.halfOpenAfterMs ?? 10_000,
      breaker: new ConsecutiveBreaker(opts.circuitBreaker?.consecutiveFailures ?? 5),
    },
  );
  breaker.onBreak(() => log?.warn('SPID station circuit opened'));
  breaker.onReset(() => log?.info('SPID station circuit closed'));
  watchBreaker(opts.observer, { upstream: UPSTREAM, station: opts.stationId }, breaker);
  const target = (req: Request<unknown>): UpstreamRequest => ({ upstream: UPSTREAM, station: opts.stationId, method: req.method, route: req.route });

  const retries: RetryPolicy = retryPolicy(
    handleWhen((err) => err instanceof Unavailable),
    {
      maxAttempts: opts.retry?.maxRetries ?? 2,
      backoff: new ExponentialBackoff({ initialDelay: opts.retry?.initialDelayMs ?? 100, maxDelay: opts.retry?.maxDelayMs ?? 2_000 }),
    },
  );
  retries.onRetry((reason) => log?.warn({ delayMs: reason.delay, attempt: reason.attempt }, 'retrying SPID station read'));

  const headers = (withBody: boolean): Record<string, string> => {
    const h: Record<string, string> = { accept: 'application/json, application/pdf' };
    if (withBody) h['content-type'] = 'application/json';
    if (opts.token) h.authorization = `Bearer ${opts.token}`;
    return h;
  };

  /** One HTTP attempt, reported to the observer (status, or why there is none). */
  function attempt<T>(req: Request<T>): Promise<T> {
    return observed(opts.observer, target(req), (report) => send(req, report), () => ({ failure: 'network' }));
  }

  async function send<T>(req: Request<T>, report: (o: UpstreamOutcome) => void): Promise<T> {
    const started = Date.now();
    const limit = req.route.includes('/report/') ? MAX_PDF_BYTES : MAX_JSON_BYTES;
    let status: number;
    let bytes: Buffer;
    let contentType: string | undefined;
    try {
      const res = await pool.request({
        method: req.method,
        path: prefix + req.path,
        headers: headers(req.body !== undefined),
        body: req.body === undefined ? undefined : JSON.stringify(req.body),
        signal: AbortSignal.timeout(timeoutMs),
      });
      status = res.statusCode;
      const ct = res.headers['content-type'];
      contentType = Array.isArray(ct) ? ct[0] : ct;
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body) {
        const buf = chunk as Buffer;
        size += buf.length;
        if (size > limit) {
          res.body.destroy();
          report({ failure: 'malformed' });
          throw unavailable('The SPID station sent an oversized answer');
        }
        chunks.push(buf);
      }
      bytes = Buffer.concat(chunks);
    } catch (err) {
      if (err instanceof UpstreamError) throw err;
      // Only the error's code/name is logged: undici messages can carry the address.
      const e = err as { code?: string; name?: string };
      log?.warn({ route: req.route, error: e.code ?? e.name, ms: Date.now() - started }, 'SPID station request failed');
      const timedOut = e.name === 'TimeoutError' || e.name === 'AbortError' || /TIMEOUT/.test(e.code ?? '');
      report({ failure: timedOut ? 'timeout' : 'network' });
      // Refused: the station never saw the request (the only failure that proves it).
      throw unavailable(timedOut ? 'The SPID station did not answer in time' : 'The SPID station connection failed', e.code === 'ECONNREFUSED');
    }
    report({ status });
    log?.debug({ route: req.route, status, ms: Date.now() - started }, 'SPID station answered');
    if (status < 200 || status >= 300) throw mapErrorAnswer(status, bytes, req.field);
    return parseObserved(opts.observer, target(req), () => req.parse(bytes, contentType), (e) => e instanceof Unavailable);
  }

  async function call<T>(req: Request<T>): Promise<T> {
    try {
      if (req.idempotent) return await retries.execute(() => breaker.execute(() => attempt(req)));
      return await breaker.execute(() => attempt(req));
    } catch (err) {
      if (err instanceof Unavailable) throw new UpstreamUnavailableError(UPSTREAM, err.message, { notSent: err.notSent });
      if (err instanceof UpstreamError) throw err;
      if (err instanceof BrokenCircuitError) {
        opts.observer?.request(target(req))({ failure: 'circuit_open' });
        throw new UpstreamUnavailableError(UPSTREAM, 'The SPID station is failing; calls are paused for a while', { notSent: true });
      }
      throw new UpstreamUnavailableError(UPSTREAM, 'The SPID station call failed');
    }
  }

  type Parse<T> = Request<T>['parse'];
  const get = <T>(route: string, path: string, parse: Parse<T>, field = 'input', idempotent = true) =>
    call<T>({ method: 'GET', route, path, idempotent, field, parse });
  const post = <T>(route: string, path: string, body: unknown, parse: Parse<T>, field = 'input') =>
    call<T>({ method: 'POST', route, path, body, idempotent: false, field, parse });
  /** A JSON answer whose status word is reported once when unknown (`field` names the call in the log). */
  const tolerant = <T>(schema: ZodType<T>, field: string, read: (a: T) => { status: string; statusCode: string }): Parse<T> => {
    const parse = json(schema);
    const note = noting(onUnknown, field, read);
    return (bytes) => note(parse(bytes));
  };
  const self = <T extends { status: string; statusCode: string }>(a: T) => a;

  return {
    async login(operatorCpf) {
      const cpf = requireCpf(operatorCpf, 'operatorCpf');
      return get('GET /login/{cpf}', wire.paths.login(cpf), tolerant(wire.loginAnswer, 'login.status', self), 'operatorCpf', false);
    },
    loginStatus: () => get('GET /login/status', wire.paths.loginStatus, tolerant(wire.loginStatusAnswer, 'loginStatus.status', self)),
    async verify(cpf) {
      const digits = requireCpf(cpf, 'cpf');
      // A GET, but Verify starts a capture: a retry after a lost answer would hit STATION_BUSY on our own first attempt.
      const answer = await get('GET /verify/{cpf}', wire.paths.verify(digits), tolerant(wire.verifyAnswer, 'verify.status', self), 'cpf', false);
      // Anything but PERSON_NOT_FOUND came with a 2xx: the capture started; Capture Status tells the rest.
      return answer.status === 'PERSON_NOT_FOUND' ? 'PERSON_NOT_FOUND' : 'CLIENT_CAPTURING';
    },
    async enroll(cpf, name) {
      const body = wire.enrollRequest(requireCpf(cpf, 'cpf'), optionalName(name));
      await post('POST /enroll', wire.paths.enroll, body, tolerant(wire.enrollAnswer, 'enroll.status', self), 'cpf');
    },
    captureStatus: () => get('GET /capture/status', wire.paths.captureStatus, tolerant(wire.captureStatusAnswer, 'captureStatus.status', self)),
    async operatorCapture() {
      await post('POST /capture/operator', wire.paths.operatorCapture, undefined, tolerant(wire.operatorCaptureAnswer, 'operatorCapture.status', self));
    },
    send: () =>
      post('POST /capture/send', wire.paths.send, undefined, tolerant(wire.sendAnswer, 'send.status', (a) => ({ status: a.outcome, statusCode: a.outcomeCode }))),
    result: async (tguid) => get('GET /capture/result/{tguid}', wire.paths.result(requireTguid(tguid)), tolerant(wire.resultAnswer, 'result.status', self), 'tguid'),
    report: async (tguid) => get('GET /capture/report/{tguid}', wire.paths.report(requireTguid(tguid)), report, 'tguid'),
    resendAll: () => post('POST /capture/resend', wire.paths.resend, undefined, json(wire.resendAnswer)),
    remoteVerify: async (cpf, email) =>
      post('POST /remote/verify', wire.paths.remoteVerify, wire.remoteRequest(requireCpf(cpf, 'cpf'), optionalEmail(email)), json(wire.remoteLinkAnswer), 'cpf'),
    remoteEnroll: async (cpf, email) =>
      post('POST /remote/enroll', wire.paths.remoteEnroll, wire.remoteRequest(requireCpf(cpf, 'cpf'), optionalEmail(email)), json(wire.remoteLinkAnswer), 'cpf'),
    remoteResult: async (tguid) =>
      get('GET /remote/result/{tguid}', wire.paths.remoteResult(requireTguid(tguid)), tolerant(wire.remoteResultAnswer, 'remoteResult.status', self), 'tguid'),
    async close() {
      await pool.close();
    },
  };
}
