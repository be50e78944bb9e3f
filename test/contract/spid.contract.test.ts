/** The SPID station client against the simulator over real HTTP: every call, status and error. */
import {
  UpstreamAuthError,
  UpstreamConflictError,
  UpstreamError,
  UpstreamNotFoundError,
  UpstreamUnavailableError,
  UpstreamValidationError,
} from '../../src/upstreams/errors';
import { SPID_MAGIC_CPFS as M, startSpidSimulator, type SpidSimulator } from '../../src/simulators/spid';
import { createSpidStationClient, type SpidStationApi, type SpidStationClientOptions } from '../../src/upstreams/spid';

const TIMINGS = {
  // Wide enough that the steps a test reads in between (busy station, PROCESSING) are not missed on a loaded box.
  clientCaptureMs: 400,
  operatorCaptureMs: 50,
  verifyProcessingMs: 400,
  enrollProcessingMs: 80,
  remoteAnswerMs: 80,
  remoteLinkTtlMs: 300,
  loginSettleMs: 20,
};
const TOKEN = 'tok-station3-secret';

let sim: SpidSimulator;
const clients: SpidStationApi[] = [];
let spid: SpidStationApi;

function client(index = 0, extra: Partial<SpidStationClientOptions> = {}): SpidStationApi {
  const c = createSpidStationClient({
    baseUrl: sim.stations[index]!.baseUrl,
    requestTimeoutMs: 2000,
    retry: { maxRetries: 2, initialDelayMs: 5, maxDelayMs: 20 },
    ...extra,
  });
  clients.push(c);
  return c;
}

async function control(path: string, method = 'POST', body?: unknown): Promise<any> {
  const res = await fetch(sim.controlUrl + path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return res.json();
}
const routeCount = async (route: string, station = 'station-1'): Promise<number> =>
  ((await control('/counters', 'GET')).byStation[station]?.byRoute[route] as number | undefined) ?? 0;

async function until<T>(read: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 3000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    if (Date.now() > end) throw new Error(`timed out; last ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 15));
  }
}
const captureReaches = (api: SpidStationApi, status: string) =>
  until(
    () => api.captureStatus(),
    (s) => s.status === status,
  );
const finalResult = (api: SpidStationApi, tguid: string) =>
  until(
    () => api.result(tguid),
    (r) => r.status !== 'PROCESSING',
  );
const finalRemote = (api: SpidStationApi, tguid: string) =>
  until(
    () => api.remoteResult(tguid),
    (r) => r.status !== 'WAITING_CLIENT' && r.status !== 'PROCESSING',
  );

async function loginOk(api: SpidStationApi = spid, cpf: string = M.operatorOk) {
  const answer = await api.login(cpf);
  const state = await api.loginStatus();
  expect(state.status).toBe(answer.status);
  return state;
}

/** Client capture, operator capture, send. */
async function capture(cpf: string, kind: 'verify' | 'enroll' = 'verify') {
  if (kind === 'verify') expect(await spid.verify(cpf)).toBe('CLIENT_CAPTURING');
  else await spid.enroll(cpf, 'Maria da Silva');
  expect(await captureReaches(spid, 'CLIENT_CAPTURE_DONE')).toEqual({ status: 'CLIENT_CAPTURE_DONE', statusCode: 'CLIENT_CAPTURE_DONE', cpf, kind: kind === 'verify' ? 'VERIFY' : 'ENROLL' });
  await spid.operatorCapture();
  await captureReaches(spid, 'OPERATOR_CAPTURE_DONE');
  return spid.send();
}

async function caught(p: Promise<unknown>): Promise<UpstreamError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(UpstreamError);
    const e = err as UpstreamError;
    // Nothing about where or what: no host, port, path, token or CPF in the message.
    const port = new URL(sim.stations[0]!.baseUrl).port;
    for (const secret of ['127.0.0.1', port, 'gbs-spid-services', TOKEN, M.matches, 'http']) expect(e.message).not.toContain(secret);
    expect(e.upstream).toBe('spid');
    return e;
  }
  throw new Error('expected a rejection');
}

beforeAll(async () => {
  sim = await startSpidSimulator({ timings: TIMINGS, stationTokens: { 'station-3': TOKEN } });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await sim.close();
});
beforeEach(async () => {
  await control('/reset');
  spid = client(0);
});

describe('operator login', () => {
  it('NOT_LOGGED_IN, then Login answers OPERATOR_OK and Login Status confirms it (formatted CPF accepted)', async () => {
    expect(await spid.loginStatus()).toEqual({ status: 'NOT_LOGGED_IN', statusCode: 'NOT_LOGGED_IN', operatorCpf: null });
    expect(await spid.login('200.000.003-70')).toEqual({ status: 'OPERATOR_OK', statusCode: 'OPERATOR_OK' });
    expect(await spid.loginStatus()).toEqual({ status: 'OPERATOR_OK', statusCode: 'OPERATOR_OK', operatorCpf: M.operatorOk });
  });

  it('OPERATOR_NOT_FOUND and OPERATOR_OFFLINE_OK', async () => {
    expect((await loginOk(spid, M.operatorNotFound)).status).toBe('OPERATOR_NOT_FOUND');
    expect((await loginOk(spid, M.operatorOffline)).status).toBe('OPERATOR_OFFLINE_OK');
    expect(await spid.verify(M.matches)).toBe('CLIENT_CAPTURING');
  });

  it('OPERATOR_PENDING and OPERATOR_IN_PROGRESS are settled answers (vendor manual): not logged in', async () => {
    expect((await loginOk(spid, M.operatorPending)).status).toBe('OPERATOR_PENDING');
    expect(((await caught(spid.verify(M.matches))) as UpstreamConflictError).reason).toBe('NO_OPERATOR');
    expect((await loginOk(spid, M.operatorInProgress)).status).toBe('OPERATOR_IN_PROGRESS');
    expect(((await caught(spid.verify(M.matches))) as UpstreamConflictError).reason).toBe('NO_OPERATOR');
  });

  it('capture calls without an operator → UpstreamConflictError NO_OPERATOR', async () => {
    for (const p of [spid.verify(M.matches), spid.enroll(M.matches), spid.operatorCapture(), spid.send(), spid.remoteVerify(M.matches), spid.remoteEnroll(M.matches)]) {
      const e = await caught(p);
      expect(e).toBeInstanceOf(UpstreamConflictError);
      expect((e as UpstreamConflictError).reason).toBe('NO_OPERATOR');
    }
    await loginOk(spid, M.operatorNotFound);
    expect(((await caught(spid.verify(M.matches))) as UpstreamConflictError).reason).toBe('NO_OPERATOR');
  });
});

describe('presential capture', () => {
  beforeEach(() => loginOk());

  it('verify match: VERIFIED → PROCESSING → SEARCH_MATCH, PDF report, station IDLE', async () => {
    const sent = await capture(M.matches);
    expect(sent).toEqual({ outcome: 'VERIFIED', outcomeCode: 'VERIFIED', tguid: expect.any(String) });
    expect(await spid.captureStatus()).toEqual({ status: 'IDLE', statusCode: 'IDLE', cpf: null, kind: null });
    expect(await spid.result(sent.tguid)).toEqual({ tguid: sent.tguid, status: 'PROCESSING', statusCode: 'PROCESSING' });
    expect(await finalResult(spid, sent.tguid)).toEqual({ tguid: sent.tguid, status: 'SEARCH_MATCH', statusCode: 'SEARCH_MATCH' });
    const { bytes: pdf, contentType } = await spid.report(sent.tguid);
    expect(contentType).toBe('application/pdf');
    expect(Buffer.isBuffer(pdf)).toBe(true);
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect(pdf.toString('latin1')).toContain(sent.tguid);
    expect(pdf.toString('latin1').trimEnd().endsWith('%%EOF')).toBe(true);
  });

  it('verify no match → SEARCH_NOT_MATCH', async () => {
    const sent = await capture(M.noMatch);
    expect((await finalResult(spid, sent.tguid)).status).toBe('SEARCH_NOT_MATCH');
  });

  it('not registered → PERSON_NOT_FOUND → enroll → CAPTURE_ENQUEUED → ENROLLED', async () => {
    expect(await spid.verify('100.000.003-61')).toBe('PERSON_NOT_FOUND');
    const sent = await capture(M.notRegistered, 'enroll');
    expect(sent.outcome).toBe('CAPTURE_ENQUEUED');
    expect((await finalResult(spid, sent.tguid)).status).toBe('ENROLLED');
    expect(await spid.verify(M.notRegistered)).toBe('CLIENT_CAPTURING');
  });

  it('enroll rejected → ENROLL_REJECTED', async () => {
    const sent = await capture(M.enrollRejected, 'enroll');
    expect((await finalResult(spid, sent.tguid)).status).toBe('ENROLL_REJECTED');
  });

  it('desk failure → CAPTURE_FAILED; desk cancel → CAPTURE_CANCELED', async () => {
    await spid.verify(M.deskFailure);
    expect(await captureReaches(spid, 'CAPTURE_FAILED')).toEqual({ status: 'CAPTURE_FAILED', statusCode: 'CAPTURE_FAILED', cpf: M.deskFailure, kind: 'VERIFY' });
    await spid.enroll(M.deskCancel);
    expect((await captureReaches(spid, 'CAPTURE_CANCELED')).kind).toBe('ENROLL');
  });

  it('send fails → CAPTURE_PENDING → resend fails → fix → resendAll → SEARCH_MATCH', async () => {
    const sent = await capture(M.sendFails);
    expect(sent.outcome).toBe('CAPTURE_PENDING');
    expect((await spid.result(sent.tguid)).status).toBe('CAPTURE_PENDING');
    expect(await spid.resendAll()).toEqual({ resent: [], failed: [sent.tguid] });
    await control('/pending/fix', 'POST', { tguid: sent.tguid });
    expect(await spid.resendAll()).toEqual({ resent: [sent.tguid], failed: [] });
    expect((await finalResult(spid, sent.tguid)).status).toBe('SEARCH_MATCH');
  });

  it('busy station → STATION_BUSY; steps out of order → WRONG_STATE', async () => {
    await spid.verify(M.matches);
    const busy = await caught(spid.enroll(M.noMatch));
    expect(busy).toBeInstanceOf(UpstreamConflictError);
    expect((busy as UpstreamConflictError).reason).toBe('STATION_BUSY');
    expect(((await caught(spid.verify(M.noMatch))) as UpstreamConflictError).reason).toBe('STATION_BUSY');
    expect(((await caught(spid.operatorCapture())) as UpstreamConflictError).reason).toBe('WRONG_STATE');
    expect(((await caught(spid.send())) as UpstreamConflictError).reason).toBe('WRONG_STATE');
    expect(((await caught(spid.remoteVerify(M.matches))) as UpstreamConflictError).reason).toBe('STATION_BUSY');
  });

  it('unknown tguid → UpstreamNotFoundError on result, report and remote result', async () => {
    for (const p of [spid.result('no-such-tguid'), spid.report('no-such-tguid'), spid.remoteResult('no-such-tguid')]) {
      expect(await caught(p)).toBeInstanceOf(UpstreamNotFoundError);
    }
  });

  it('bad input is refused locally (UpstreamValidationError with our field names), nothing is sent', async () => {
    await control('/counters/reset');
    const v = await caught(spid.verify('123.456.789-00'));
    expect(v).toBeInstanceOf(UpstreamValidationError);
    expect(Object.keys((v as UpstreamValidationError).fields)).toEqual(['cpf']);
    expect(Object.keys(((await caught(spid.login('12'))) as UpstreamValidationError).fields)).toEqual(['operatorCpf']);
    expect(Object.keys(((await caught(spid.remoteVerify(M.matches, 'not-an-email'))) as UpstreamValidationError).fields)).toEqual(['email']);
    expect(Object.keys(((await caught(spid.enroll(M.matches, '   '))) as UpstreamValidationError).fields)).toEqual(['name']);
    expect(Object.keys(((await caught(spid.result('../login/status'))) as UpstreamValidationError).fields)).toEqual(['tguid']);
    expect((await control('/counters', 'GET')).total).toBe(0);
  });
});

describe('remote capture', () => {
  beforeEach(() => loginOk());

  async function operatorFirst() {
    await spid.operatorCapture();
    expect(await captureReaches(spid, 'OPERATOR_CAPTURE_DONE')).toEqual({ status: 'OPERATOR_CAPTURE_DONE', statusCode: 'OPERATOR_CAPTURE_DONE', cpf: null, kind: null });
  }

  it('remote verify match: link on the remote service, WAITING_CLIENT → SEARCH_MATCH', async () => {
    expect(((await caught(spid.remoteVerify(M.matches))) as UpstreamConflictError).reason).toBe('WRONG_STATE');
    await operatorFirst();
    const link = await spid.remoteVerify('100.000.001-08', 'maria@example.com');
    expect(link.url).toBe(`${sim.remoteServiceUrl}/r/${link.tguid}`);
    expect(await spid.remoteResult(link.tguid)).toEqual({ tguid: link.tguid, status: 'WAITING_CLIENT', statusCode: 'WAITING_CLIENT' });
    expect(await finalRemote(spid, link.tguid)).toEqual({ tguid: link.tguid, status: 'SEARCH_MATCH', statusCode: 'SEARCH_MATCH' });
    expect((await spid.report(link.tguid)).bytes.subarray(0, 5).toString()).toBe('%PDF-');
  });

  it('remote enroll → ENROLLED; remote verify no match → SEARCH_NOT_MATCH', async () => {
    await operatorFirst();
    const enroll = await spid.remoteEnroll(M.notRegistered);
    await operatorFirst();
    const verify = await spid.remoteVerify(M.noMatch);
    expect((await finalRemote(spid, enroll.tguid)).status).toBe('ENROLLED');
    expect((await finalRemote(spid, verify.tguid)).status).toBe('SEARCH_NOT_MATCH');
  });

  it('link never used → EXPIRED', async () => {
    await operatorFirst();
    const link = await spid.remoteVerify(M.linkNeverUsed);
    expect(await finalRemote(spid, link.tguid)).toEqual({ tguid: link.tguid, status: 'EXPIRED', statusCode: 'EXPIRED' });
  });
});

describe('resilience and errors', () => {
  it('a GET is retried through an injected 503', async () => {
    await control('/faults', 'POST', { station: 'station-1', route: 'GET /capture/status', kind: 'status', status: 503, count: 1 });
    expect((await spid.captureStatus()).status).toBe('IDLE');
    expect(await routeCount('GET /capture/status')).toBe(2);
  });

  it('a GET that keeps failing ends in UpstreamUnavailableError after 1 + 2 attempts', async () => {
    await control('/faults', 'POST', { route: 'GET /capture/result/*', kind: 'status', status: 500 });
    expect(await caught(spid.result('abc'))).toBeInstanceOf(UpstreamUnavailableError);
    expect(await routeCount('GET /capture/result/{tguid}')).toBe(3);
  });

  it('POSTs and side-effect GETs (login, verify) are not retried', async () => {
    await control('/faults', 'POST', { station: 'station-1', route: 'POST *', kind: 'status', status: 503 });
    await control('/faults', 'POST', { station: 'station-1', route: 'GET /verify/*', kind: 'status', status: 503 });
    await control('/faults', 'POST', { station: 'station-1', route: 'GET /login/{cpf}', kind: 'status', status: 503 });
    // A high breaker threshold: eight failures in a row must not open the circuit mid-test.
    const c = client(0, { circuitBreaker: { consecutiveFailures: 100 } });
    const calls: [() => Promise<unknown>, string][] = [
      [() => c.operatorCapture(), 'POST /capture/operator'],
      [() => c.send(), 'POST /capture/send'],
      [() => c.enroll(M.matches), 'POST /enroll'],
      [() => c.resendAll(), 'POST /capture/resend'],
      [() => c.remoteVerify(M.matches), 'POST /remote/verify'],
      [() => c.remoteEnroll(M.matches), 'POST /remote/enroll'],
      [() => c.verify(M.matches), 'GET /verify/{cpf}'],
      [() => c.login(M.operatorOk), 'GET /login/{cpf}'],
    ];
    for (const [call, route] of calls) {
      expect(await caught(call())).toBeInstanceOf(UpstreamUnavailableError);
      expect([route, await routeCount(route)]).toEqual([route, 1]);
    }
  });

  it('malformed bodies → UpstreamUnavailableError (GETs retried first)', async () => {
    await control('/faults', 'POST', { route: 'GET /capture/status', kind: 'malformed' });
    expect(await caught(spid.captureStatus())).toBeInstanceOf(UpstreamUnavailableError);
    expect(await routeCount('GET /capture/status')).toBe(3);
    await control('/faults', 'POST', { route: 'GET /capture/report/*', kind: 'malformed', count: 1 });
    await control('/faults', 'POST', { route: 'POST /capture/send', kind: 'malformed' });
    await loginOk();
    expect(await caught(spid.send())).toBeInstanceOf(UpstreamUnavailableError);
    // The report's one malformed answer is retried into a 404 (unknown tguid).
    expect(await caught(spid.report('abc'))).toBeInstanceOf(UpstreamNotFoundError);
    expect(await routeCount('GET /capture/report/{tguid}')).toBe(2);
  });

  it('an unknown status word is a readable answer: kept raw, not retried, never opens the circuit', async () => {
    const strict = client(0, { retry: { maxRetries: 0 }, circuitBreaker: { consecutiveFailures: 2, halfOpenAfterMs: 60_000 } });
    await control('/oddities', 'POST', { route: 'GET /capture/status', status: 'CAPTURE_PAUSED', count: 5 });
    for (let i = 0; i < 5; i++) expect(await strict.captureStatus()).toEqual({ status: 'UNKNOWN', statusCode: 'CAPTURE_PAUSED', cpf: null, kind: null });
    expect(await routeCount('GET /capture/status')).toBe(5);
    // The circuit is still closed: the next, usual answer comes through.
    expect((await strict.captureStatus()).status).toBe('IDLE');
    await control('/oddities', 'POST', { route: 'GET /login/status', status: 'OPERATOR_SUSPENDED', count: 1 });
    expect(await strict.loginStatus()).toEqual({ status: 'UNKNOWN', statusCode: 'OPERATOR_SUSPENDED', operatorCpf: null });
  });

  it('a report in another format (control API) is returned with its content type', async () => {
    await loginOk();
    const sent = await capture(M.matches);
    await finalResult(spid, sent.tguid);
    await control('/report-format', 'PUT', { contentType: 'image/png' });
    const png = await spid.report(sent.tguid);
    expect(png.contentType).toBe('image/png');
    expect(png.bytes.subarray(1, 4).toString('latin1')).toBe('PNG');
    await control('/report-format', 'PUT', { contentType: 'text/plain' });
    const text = await spid.report(sent.tguid);
    expect(text.contentType).toBe('text/plain');
    expect(text.bytes.toString('utf8')).toContain(sent.tguid);
  });

  it('connection resets and timeouts → UpstreamUnavailableError', async () => {
    await control('/faults', 'POST', { route: 'GET /login/status', kind: 'reset', count: 1 });
    expect((await spid.loginStatus()).status).toBe('NOT_LOGGED_IN'); // reset, then a retry succeeds
    await control('/faults', 'POST', { route: 'POST /capture/resend', kind: 'reset' });
    expect(await caught(spid.resendAll())).toBeInstanceOf(UpstreamUnavailableError);

    const slow = client(0, { requestTimeoutMs: 80, retry: { maxRetries: 0 } });
    await control('/faults', 'POST', { route: 'GET /capture/status', kind: 'latency', latencyMs: 400, count: 1 });
    const e = await caught(slow.captureStatus());
    expect(e).toBeInstanceOf(UpstreamUnavailableError);
    expect(e.message).toMatch(/in time/);
  });

  it('the circuit opens after consecutive failures and fails fast', async () => {
    const fragile = client(1, { retry: { maxRetries: 0 }, circuitBreaker: { consecutiveFailures: 2, halfOpenAfterMs: 60_000 } });
    await control('/faults', 'POST', { station: 'station-2', kind: 'status', status: 503 });
    await caught(fragile.captureStatus());
    await caught(fragile.captureStatus());
    const e = await caught(fragile.loginStatus());
    expect(e).toBeInstanceOf(UpstreamUnavailableError);
    expect(await routeCount('GET /login/status', 'station-2')).toBe(0);
  });

  it('4xx answers do not open the circuit', async () => {
    const c = client(1, { circuitBreaker: { consecutiveFailures: 2 } });
    for (let i = 0; i < 4; i++) expect(await caught(c.result('nope'))).toBeInstanceOf(UpstreamNotFoundError);
  });

  it('station tokens: without → UpstreamAuthError, with → works', async () => {
    expect(await caught(client(2).captureStatus())).toBeInstanceOf(UpstreamAuthError);
    const wrong = await caught(client(2, { token: 'wrong' }).loginStatus());
    expect(wrong).toBeInstanceOf(UpstreamAuthError);
    expect(await client(2, { token: TOKEN }).captureStatus()).toEqual({ status: 'IDLE', statusCode: 'IDLE', cpf: null, kind: null });
  });

  it('stations are independent clients', async () => {
    await loginOk();
    await spid.verify(M.matches);
    const other = client(1);
    expect((await other.captureStatus()).status).toBe('IDLE');
    expect(((await caught(other.verify(M.matches))) as UpstreamConflictError).reason).toBe('NO_OPERATOR');
  });
});
