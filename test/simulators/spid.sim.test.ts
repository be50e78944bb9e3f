/** The SPID simulator on its own, over real HTTP (fetch): every branch, the state machine, the PDF and the control API. */
import { hasValidCheckDigits } from '../../src/domain/cpf';
import { SPID_MAGIC_CPFS as M, startSpidSimulator, type SpidSimulator } from '../../src/simulators/spid';

const TIMINGS = {
  clientCaptureMs: 60,
  operatorCaptureMs: 60,
  verifyProcessingMs: 60,
  enrollProcessingMs: 100,
  slowEnrollProcessingMs: 600_000,
  remoteAnswerMs: 100,
  remoteLinkTtlMs: 400,
  loginSettleMs: 30,
};
const OPERATOR = M.operatorOk;

let sim: SpidSimulator;
let base: string;

interface Answer {
  status: number;
  json: any;
  text: string;
  type: string | null;
}

async function http(url: string, method = 'GET', body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(url, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown = undefined;
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, json, text, type: res.headers.get('content-type') };
}
const api = (path: string, method = 'GET', body?: unknown, stationBase = base) => http(stationBase + path, method, body);
const control = (path: string, method = 'POST', body?: unknown) => http(sim.controlUrl + path, method, body);

async function waitFor<T>(read: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 3000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    if (Date.now() > until) throw new Error(`timed out; last value ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 15));
  }
}
const captureIs = (status: string, stationBase = base) =>
  waitFor(
    () => api('/capture/status', 'GET', undefined, stationBase),
    (a) => a.json.status === status,
  );
const resultIs = (tguid: string, status: string, path = '/capture/result/') =>
  waitFor(
    () => api(path + tguid),
    (a) => a.json?.status === status,
  );

async function login(cpf: string = OPERATOR, stationBase = base) {
  return api(`/login/${cpf}`, 'GET', undefined, stationBase);
}

/** Client capture → operator capture → send; returns the send answer. */
async function presential(cpf: string, kind: 'verify' | 'enroll' = 'verify') {
  const start = kind === 'verify' ? await api(`/verify/${cpf}`) : await api('/enroll', 'POST', { cpf, name: 'Maria' });
  expect(start.json).toEqual({ status: 'CLIENT_CAPTURING' });
  await captureIs('CLIENT_CAPTURE_DONE');
  expect((await api('/capture/operator', 'POST')).json).toEqual({ status: 'OPERATOR_CAPTURING' });
  await captureIs('OPERATOR_CAPTURE_DONE');
  const sent = await api('/capture/send', 'POST');
  expect(sent.status).toBe(200);
  return sent.json as { status: string; tguid: string };
}

beforeAll(async () => {
  sim = await startSpidSimulator({ timings: TIMINGS, stationTokens: { 'station-3': 's3cret' } });
  base = sim.stations[0]!.baseUrl;
});
afterAll(() => sim.close());
beforeEach(async () => {
  expect((await control('/reset')).status).toBe(200);
});

describe('stations and magic CPFs', () => {
  it('serves three stations on their own ports under /gbs-spid-services/api', () => {
    expect(sim.stations.map((s) => s.id)).toEqual(['station-1', 'station-2', 'station-3']);
    for (const s of sim.stations) expect(s.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/gbs-spid-services\/api$/);
    expect(new Set(sim.stations.map((s) => new URL(s.baseUrl).port)).size).toBe(3);
  });

  it('magic CPFs are distinct, 11 digits, with valid check digits', () => {
    const all = Object.values(M);
    expect(new Set(all).size).toBe(all.length);
    for (const cpf of all) expect(hasValidCheckDigits(cpf)).toBe(true);
  });

  it('rejects bad CPFs with 400 VALIDATION_ERROR and unknown routes with 404', async () => {
    await login();
    for (const path of ['/verify/12345678900', '/verify/abc', '/login/11111111111']) {
      const a = await api(path);
      expect(a.status).toBe(400);
      expect(a.json).toEqual({ errors: [{ code: 'INVALID_CPF', message: expect.any(String) }], type: 'VALIDATION_ERROR' });
    }
    expect((await api('/enroll', 'POST', { name: 'x' })).json.errors[0].code).toBe('INVALID_CPF');
    expect((await api('/enroll', 'POST', [1])).json.errors[0].code).toBe('INVALID_BODY');
    expect((await api('/remote/verify', 'POST', { cpf: M.matches, email: 'nope' })).json.errors[0].code).toBe('INVALID_EMAIL');
    expect((await api('/nope')).status).toBe(404);
    expect((await http(base.replace('/gbs-spid-services/api', '') + '/verify/' + M.matches)).status).toBe(404);
  });

  it('accepts a formatted CPF in the path', async () => {
    await login();
    expect((await api('/verify/100.000.001-08')).json).toEqual({ status: 'CLIENT_CAPTURING' });
    expect((await api('/capture/status')).json).toEqual({ status: 'CLIENT_CAPTURING', cpf: M.matches, kind: 'VERIFY' });
  });
});

describe('operator login', () => {
  it('Login answers the settled status after loginSettleMs; Login Status shows it', async () => {
    expect((await api('/login/status')).json).toEqual({ status: 'NOT_LOGGED_IN', operatorId: null });
    await control('/config', 'PUT', { timings: { loginSettleMs: 200 } });
    const started = Date.now();
    expect((await api(`/login/${OPERATOR}`)).json).toEqual({ status: 'OPERATOR_OK' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect((await api('/login/status')).json).toEqual({ status: 'OPERATOR_OK', operatorId: OPERATOR });
  });

  it('magic operators OPERATOR_PENDING and OPERATOR_IN_PROGRESS (vendor manual: enrolment states): settled, not logged in', async () => {
    for (const [cpf, status] of [
      [M.operatorPending, 'OPERATOR_PENDING'],
      [M.operatorInProgress, 'OPERATOR_IN_PROGRESS'],
    ] as const) {
      expect((await login(cpf)).json).toEqual({ status });
      expect((await api('/login/status')).json).toEqual({ status, operatorId: cpf });
      expect((await api(`/verify/${M.matches}`)).json.errors[0].code).toBe('NO_OPERATOR');
    }
  });

  it('magic operators: NOT_FOUND (stays logged out) and OFFLINE_OK (logged in)', async () => {
    await login(M.operatorNotFound);
    expect((await api('/login/status')).json).toEqual({ status: 'OPERATOR_NOT_FOUND', operatorId: M.operatorNotFound });
    const refused = await api(`/verify/${M.matches}`);
    expect(refused.status).toBe(401);
    expect(refused.json).toEqual({ errors: [{ code: 'NO_OPERATOR', message: expect.any(String) }], type: 'SECURITY_ERROR' });
    await login(M.operatorOffline);
    expect((await api('/login/status')).json.status).toBe('OPERATOR_OFFLINE_OK');
    expect((await api(`/verify/${M.matches}`)).json.status).toBe('CLIENT_CAPTURING');
  });

  it('with loginSettleMs 0 the login answers the final status at once', async () => {
    await control('/config', 'PUT', { timings: { loginSettleMs: 0 } });
    expect((await api(`/login/${M.operatorOffline}`)).json).toEqual({ status: 'OPERATOR_OFFLINE_OK' });
    expect((await api(`/login/${M.operatorNotFound}`)).json).toEqual({ status: 'OPERATOR_NOT_FOUND' });
  });

  it('every capture call needs an operator; stations are independent', async () => {
    for (const [path, method, body] of [
      [`/verify/${M.matches}`, 'GET', undefined],
      ['/enroll', 'POST', { cpf: M.matches }],
      ['/capture/operator', 'POST', undefined],
      ['/capture/send', 'POST', undefined],
      ['/remote/verify', 'POST', { cpf: M.matches }],
      ['/remote/enroll', 'POST', { cpf: M.matches }],
    ] as const) {
      const a = await api(path, method, body);
      expect([path, a.status, a.json.errors[0].code]).toEqual([path, 401, 'NO_OPERATOR']);
    }
    await login();
    expect((await api(`/verify/${M.matches}`, 'GET', undefined, sim.stations[1]!.baseUrl)).status).toBe(401);
  });
});

describe('presential capture', () => {
  beforeEach(() => login());

  it('verify match: busy, wrong state, VERIFIED, PROCESSING → SEARCH_MATCH, report', async () => {
    expect((await api(`/verify/${M.matches}`)).json).toEqual({ status: 'CLIENT_CAPTURING' });
    const busy = await api(`/verify/${M.noMatch}`);
    expect(busy.status).toBe(409);
    expect(busy.json).toEqual({ errors: [{ code: 'STATION_BUSY', message: expect.any(String) }], type: 'PROCESSING_ERROR' });
    expect((await api('/enroll', 'POST', { cpf: M.matches })).json.errors[0].code).toBe('STATION_BUSY');
    const early = await api('/capture/operator', 'POST');
    expect([early.status, early.json.errors[0].code]).toEqual([409, 'WRONG_STATE']);
    expect((await api('/capture/send', 'POST')).json.errors[0].code).toBe('WRONG_STATE');
    await captureIs('CLIENT_CAPTURE_DONE');
    expect((await api('/capture/send', 'POST')).json.errors[0].code).toBe('WRONG_STATE');
    await api('/capture/operator', 'POST');
    expect((await api('/capture/status')).json).toEqual({ status: 'OPERATOR_CAPTURING', cpf: M.matches, kind: 'VERIFY' });
    await captureIs('OPERATOR_CAPTURE_DONE');
    const sent = await api('/capture/send', 'POST');
    expect(sent.json).toEqual({ status: 'VERIFIED', tguid: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect((await api('/capture/status')).json).toEqual({ status: 'IDLE', cpf: null, kind: null });
    const tguid = sent.json.tguid as string;
    expect((await api(`/capture/result/${tguid}`)).json).toEqual({ tguid, status: 'PROCESSING' });
    await resultIs(tguid, 'SEARCH_MATCH');
    const report = await fetch(`${base}/capture/report/${tguid}`);
    expect(report.headers.get('content-type')).toBe('application/pdf');
    const text = Buffer.from(await report.arrayBuffer()).toString('latin1');
    expect(text.startsWith('%PDF-1.4')).toBe(true);
    expect(text).toContain(tguid);
    expect(text).toContain('SEARCH_MATCH');
  });

  it('no match → SEARCH_NOT_MATCH', async () => {
    const sent = await presential(M.noMatch);
    expect(sent.status).toBe('VERIFIED');
    await resultIs(sent.tguid, 'SEARCH_NOT_MATCH');
  });

  it('not registered → PERSON_NOT_FOUND → enroll → CAPTURE_ENQUEUED → ENROLLED → now registered', async () => {
    expect((await api(`/verify/${M.notRegistered}`)).json).toEqual({ status: 'PERSON_NOT_FOUND' });
    expect((await api('/capture/status')).json.status).toBe('IDLE');
    const sent = await presential(M.notRegistered, 'enroll');
    expect(sent.status).toBe('CAPTURE_ENQUEUED');
    expect((await api(`/capture/result/${sent.tguid}`)).json.status).toBe('PROCESSING');
    await resultIs(sent.tguid, 'ENROLLED');
    const again = await presential(M.notRegistered);
    await resultIs(again.tguid, 'SEARCH_MATCH');
  });

  it('enroll rejected → ENROLL_REJECTED', async () => {
    const sent = await presential(M.enrollRejected, 'enroll');
    await resultIs(sent.tguid, 'ENROLL_REJECTED');
  });

  it('slow enroll stays PROCESSING until advanced', async () => {
    const sent = await presential(M.slowEnroll, 'enroll');
    await new Promise((r) => setTimeout(r, 250));
    expect((await api(`/capture/result/${sent.tguid}`)).json.status).toBe('PROCESSING');
    expect((await control('/stations/station-1/advance', 'POST', { tguid: sent.tguid })).json).toEqual({ advanced: [`result:${sent.tguid}`] });
    expect((await api(`/capture/result/${sent.tguid}`)).json.status).toBe('ENROLLED');
  });

  it('desk failure → CAPTURE_FAILED and desk cancel → CAPTURE_CANCELED; a new capture may start', async () => {
    await api(`/verify/${M.deskFailure}`);
    expect((await captureIs('CAPTURE_FAILED')).json).toEqual({ status: 'CAPTURE_FAILED', cpf: M.deskFailure, kind: 'VERIFY' });
    expect((await api('/capture/operator', 'POST')).json.status).toBe('OPERATOR_CAPTURING'); // from a failed capture: operator-only
    await captureIs('OPERATOR_CAPTURE_DONE');
    expect((await api('/capture/send', 'POST')).json.errors[0].code).toBe('WRONG_STATE'); // nothing to send
    await api('/remote/verify', 'POST', { cpf: M.matches }); // consumes the operator capture
    await api('/enroll', 'POST', { cpf: M.deskCancel });
    await captureIs('CAPTURE_CANCELED');
    expect((await api(`/verify/${M.matches}`)).json.status).toBe('CLIENT_CAPTURING');
  });

  it('send fails → CAPTURE_PENDING; resend fails until fixed, then succeeds', async () => {
    const sent = await presential(M.sendFails);
    expect(sent.status).toBe('CAPTURE_PENDING');
    expect((await api('/capture/status')).json.status).toBe('IDLE');
    expect((await api(`/capture/result/${sent.tguid}`)).json.status).toBe('CAPTURE_PENDING');
    expect((await api('/capture/resend', 'POST')).json).toEqual({ resent: [], failed: [sent.tguid] });
    expect((await control('/pending/fix', 'POST', { tguid: sent.tguid })).json).toEqual({ fixed: [sent.tguid] });
    expect((await api('/capture/resend', 'POST')).json).toEqual({ resent: [sent.tguid], failed: [] });
    await resultIs(sent.tguid, 'SEARCH_MATCH');
    expect((await api('/capture/resend', 'POST')).json).toEqual({ resent: [], failed: [] });
  });

  it('pending/fix without a tguid fixes the next resend for all', async () => {
    const a = await presential(M.sendFails, 'enroll');
    expect(a.status).toBe('CAPTURE_PENDING');
    expect((await control('/pending/fix', 'POST', {})).json.fixed).toEqual([a.tguid]);
    expect((await api('/capture/resend', 'POST')).json).toEqual({ resent: [a.tguid], failed: [] });
    await resultIs(a.tguid, 'ENROLLED');
  });

  it('unknown tguids are 404 on result, report and remote result', async () => {
    for (const path of ['/capture/result/x-1', '/capture/report/x-1', '/remote/result/x-1']) {
      const a = await api(path);
      expect([path, a.status]).toEqual([path, 404]);
      expect(a.json.errors[0].code).toBe('TGUID_NOT_FOUND');
    }
  });
});

describe('remote capture', () => {
  beforeEach(() => login());

  async function operatorOnly() {
    expect((await api('/capture/operator', 'POST')).json).toEqual({ status: 'OPERATOR_CAPTURING' });
    expect((await captureIs('OPERATOR_CAPTURE_DONE')).json).toEqual({ status: 'OPERATOR_CAPTURE_DONE', cpf: null, kind: null });
  }

  it('remote verify: needs the operator capture first, link used → SEARCH_MATCH', async () => {
    const early = await api('/remote/verify', 'POST', { cpf: M.matches });
    expect([early.status, early.json.errors[0].code]).toEqual([409, 'WRONG_STATE']);
    await operatorOnly();
    const started = await api('/remote/verify', 'POST', { cpf: M.matches, email: 'maria@example.com' });
    expect(started.json).toEqual({ tguid: expect.any(String), url: `${sim.remoteServiceUrl}/r/${started.json.tguid}` });
    expect((await api('/capture/status')).json.status).toBe('IDLE');
    const page = await http(started.json.url);
    expect(page.type).toContain('text/html');
    expect(page.text).toContain('WAITING_CLIENT');
    await resultIs(started.json.tguid, 'SEARCH_MATCH', '/remote/result/');
    // A remote tguid is not a presential result.
    expect((await api(`/capture/result/${started.json.tguid}`)).status).toBe(404);
  });

  it('a remote start while a presential capture runs is STATION_BUSY', async () => {
    await api(`/verify/${M.matches}`);
    expect((await api('/remote/enroll', 'POST', { cpf: M.matches })).json.errors[0].code).toBe('STATION_BUSY');
  });

  it('remote enroll answered through the remote service (POST) → ENROLLED', async () => {
    await control('/stations/station-1/pause');
    await api('/capture/operator', 'POST');
    await control('/stations/station-1/advance');
    const started = (await api('/remote/enroll', 'POST', { cpf: M.notRegistered })).json;
    expect((await api(`/remote/result/${started.tguid}`)).json).toEqual({ tguid: started.tguid, status: 'WAITING_CLIENT' });
    const submitted = await http(started.url, 'POST', { biometrics: 'x' });
    expect(submitted.json).toEqual({ tguid: started.tguid, status: 'PROCESSING' });
    expect((await http(started.url, 'POST')).status).toBe(409); // already used
    expect((await control('/stations/station-1/advance')).json.advanced).toEqual([`result:${started.tguid}`]);
    expect((await api(`/remote/result/${started.tguid}`)).json.status).toBe('ENROLLED');
  });

  it('control answer, and a link never used → EXPIRED', async () => {
    await operatorOnly();
    const never = (await api('/remote/verify', 'POST', { cpf: M.linkNeverUsed })).json;
    await new Promise((r) => setTimeout(r, 200));
    expect((await api(`/remote/result/${never.tguid}`)).json.status).toBe('WAITING_CLIENT');
    await resultIs(never.tguid, 'EXPIRED', '/remote/result/');
    expect((await http(never.url)).status).toBe(410);
    expect((await control(`/remote/${never.tguid}/answer`)).status).toBe(409);

    await operatorOnly();
    const other = (await api('/remote/verify', 'POST', { cpf: M.noMatch })).json;
    expect((await control(`/remote/${other.tguid}/answer`)).json).toEqual({ tguid: other.tguid, status: 'PROCESSING' });
    await resultIs(other.tguid, 'SEARCH_NOT_MATCH', '/remote/result/');
    expect((await http(`${sim.remoteServiceUrl}/r/nope`)).status).toBe(404);
  });
});

describe('control API', () => {
  it('oddities: the next answers of a route carry an unlisted status word; the station goes on as usual', async () => {
    await login();
    expect((await control('/oddities', 'POST', { station: 'station-1', route: 'GET /capture/status', status: 'CAPTURE_PAUSED', count: 2 })).status).toBe(201);
    await api(`/verify/${M.matches}`);
    expect((await api('/capture/status')).json).toEqual({ status: 'CAPTURE_PAUSED', cpf: M.matches, kind: 'VERIFY' });
    expect((await api('/capture/status')).json.status).toBe('CAPTURE_PAUSED');
    await captureIs('CLIENT_CAPTURE_DONE');
    expect((await control('/oddities', 'POST', { status: 'not a word!' })).status).toBe(400);
  });

  it('report-format: the report comes as PNG or plain text instead of PDF, until reset', async () => {
    await login();
    const sent = await presential(M.matches);
    await resultIs(sent.tguid, 'SEARCH_MATCH');
    expect((await control('/report-format', 'PUT', { contentType: 'image/png' })).json).toEqual({ contentType: 'image/png' });
    const png = await api(`/capture/report/${sent.tguid}`);
    expect(png.type).toBe('image/png');
    expect(png.text.slice(1, 4)).toBe('PNG');
    await control('/report-format', 'PUT', { contentType: 'text/plain' });
    expect((await api(`/capture/report/${sent.tguid}`)).type).toBe('text/plain; charset=utf-8');
    expect((await control('/report-format', 'PUT', { contentType: 'text/html' })).status).toBe(400);
    await control('/reset');
    await login();
    expect((await api(`/capture/report/${sent.tguid}`)).status).toBe(404); // results are reset too
  });

  it('pause stops automatic progress; advance finishes one step; resume continues', async () => {
    await control('/stations/station-1/pause');
    await api(`/login/${OPERATOR}`);
    await api(`/verify/${M.matches}`);
    await new Promise((r) => setTimeout(r, 150));
    expect((await api('/capture/status')).json.status).toBe('CLIENT_CAPTURING');
    expect((await control('/stations/station-1/advance')).json).toEqual({ advanced: ['capture'] });
    expect((await api('/capture/status')).json.status).toBe('CLIENT_CAPTURE_DONE');
    await api('/capture/operator', 'POST');
    expect((await control('/stations/station-1/resume')).json).toEqual({ id: 'station-1', paused: false });
    await captureIs('OPERATOR_CAPTURE_DONE');
    expect((await control('/stations/nope/pause')).status).toBe(404);
  });

  it('fail ends the running capture with CAPTURE_FAILED or CAPTURE_CANCELED', async () => {
    await login();
    expect((await control('/stations/station-1/fail', 'POST', { status: 'CAPTURE_FAILED' })).status).toBe(409); // nothing running
    await api(`/verify/${M.matches}`);
    expect((await control('/stations/station-1/fail', 'POST', { status: 'BOGUS' })).status).toBe(400);
    expect((await control('/stations/station-1/fail', 'POST', { status: 'CAPTURE_CANCELED' })).json.status).toBe('CAPTURE_CANCELED');
    await new Promise((r) => setTimeout(r, 100)); // the cancelled step timer must not revive the capture
    expect((await api('/capture/status')).json.status).toBe('CAPTURE_CANCELED');
  });

  it('counters count every request by station, route and tguid; reset clears them', async () => {
    await login();
    const sent = await presential(M.matches);
    await api(`/capture/result/${sent.tguid}`);
    await api(`/capture/result/${sent.tguid}`);
    await api('/capture/status', 'GET', undefined, sim.stations[1]!.baseUrl);
    const c = (await control('/counters', 'GET')).json;
    expect(c.byStation['station-1'].byRoute['GET /capture/result/{tguid}']).toBe(2);
    expect(c.byStation['station-1'].byRoute['POST /capture/send']).toBe(1);
    expect(c.byStation['station-2']).toEqual({ total: 1, byRoute: { 'GET /capture/status': 1 } });
    expect(c.byTguid[sent.tguid]).toEqual({ resultReads: 2 });
    expect(c.total).toBe(c.byStation['station-1'].total + 1);
    await control('/counters/reset');
    expect((await control('/counters', 'GET')).json).toEqual({ total: 0, byStation: {}, byTguid: {} });
  });

  it('faults: status (counted), latency, reset, malformed; per station and route; DELETE clears', async () => {
    expect((await control('/faults', 'POST', { kind: 'bogus' })).status).toBe(400);
    await control('/faults', 'POST', { station: 'station-1', route: 'GET /capture/status', kind: 'status', status: 503, count: 1 });
    const first = await api('/capture/status');
    expect(first.status).toBe(503);
    expect(first.json.type).toBe('INTERNAL_ERROR');
    expect((await api('/capture/status')).status).toBe(200);

    await control('/faults', 'POST', { route: '*/login/*', kind: 'latency', latencyMs: 150, count: 1 });
    const t0 = Date.now();
    expect((await api('/login/status')).status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);

    await control('/faults', 'POST', { station: 'station-2', kind: 'reset' });
    await expect(api('/capture/status', 'GET', undefined, sim.stations[1]!.baseUrl)).rejects.toThrow();
    expect((await api('/capture/status')).status).toBe(200); // station-1 unaffected

    await control('/faults', 'POST', { station: 'station-1', route: 'GET /login/status', kind: 'malformed', count: 1 });
    const bad = await api('/login/status');
    expect(bad.status).toBe(200);
    expect(bad.json).toBeUndefined();

    await control('/faults', 'DELETE');
    expect((await api('/capture/status', 'GET', undefined, sim.stations[1]!.baseUrl)).status).toBe(200);
  });

  it('station tokens: 401 SECURITY_ERROR INVALID_TOKEN without the bearer', async () => {
    const s3 = sim.stations[2]!.baseUrl;
    const refused = await http(`${s3}/capture/status`);
    expect(refused.status).toBe(401);
    expect(refused.json).toEqual({ errors: [{ code: 'INVALID_TOKEN', message: expect.any(String) }], type: 'SECURITY_ERROR' });
    expect((await http(`${s3}/capture/status`, 'GET', undefined, { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await http(`${s3}/capture/status`, 'GET', undefined, { authorization: 'Bearer s3cret' })).status).toBe(200);
  });

  it('PUT /config changes timings; POST /reset restores them and clears state', async () => {
    expect((await control('/config', 'PUT', { timings: { nope: 1 } })).status).toBe(400);
    const t = (await control('/config', 'PUT', { timings: { clientCaptureMs: 5000 } })).json.timings;
    expect(t.clientCaptureMs).toBe(5000);
    await login();
    await api(`/verify/${M.matches}`);
    await control('/reset');
    expect((await control('/config', 'GET')).json.timings.clientCaptureMs).toBe(TIMINGS.clientCaptureMs);
    expect((await api('/capture/status')).json.status).toBe('IDLE');
    expect((await api('/login/status')).json.status).toBe('NOT_LOGGED_IN');
  });
});

describe('report PDF', () => {
  it('is a structurally valid PDF 1.4: header, objects at the xref offsets, startxref, %%EOF', async () => {
    await login();
    const sent = await presential(M.noMatch);
    await resultIs(sent.tguid, 'SEARCH_NOT_MATCH');
    const buf = Buffer.from(await (await fetch(`${base}/capture/report/${sent.tguid}`)).arrayBuffer());
    const pdf = buf.toString('latin1');
    expect(pdf.startsWith('%PDF-1.4\n')).toBe(true);
    expect(pdf.trimEnd().endsWith('%%EOF')).toBe(true);
    const startxref = Number(/startxref\n(\d+)\n%%EOF/.exec(pdf)![1]);
    expect(pdf.slice(startxref, startxref + 4)).toBe('xref');
    const table = /xref\n0 (\d+)\n([\s\S]*?)trailer/.exec(pdf.slice(startxref))!;
    const entries = table[2]!.split('\r\n').filter(Boolean);
    expect(entries).toHaveLength(Number(table[1]));
    entries.slice(1).forEach((entry, i) => {
      const offset = Number(entry.slice(0, 10));
      expect(pdf.slice(offset).startsWith(`${i + 1} 0 obj`)).toBe(true);
    });
    const length = Number(/\/Length (\d+)/.exec(pdf)![1]);
    const streamStart = pdf.indexOf('stream\n') + 'stream\n'.length;
    expect(pdf.slice(streamStart + length, streamStart + length + '\nendstream'.length)).toBe('\nendstream');
    expect(pdf).toContain(`(TGUID: ${sent.tguid})`);
    expect(pdf).toContain('(Outcome: SEARCH_NOT_MATCH)');
    expect(pdf).toMatch(/\(Time: \d{4}-\d\d-\d\dT/);
    expect(pdf).not.toContain(M.noMatch); // the CPF is masked
  });
});
