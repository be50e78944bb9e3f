/**
 * SPID capture flows end to end over real HTTP and WebSocket: a started
 * gateway (PGlite store, in-process bus and scheduler) against the SPID
 * simulator's stations on loopback. One gateway and one simulator for the
 * file (PGlite boots in ~5 s).
 *
 * Every branch subscribes before it starts and asserts that the subscription
 * saw EVERY step, in order (statuses, then REPORT_READY where the station has
 * a report), that a replay by captureId from seq 0 and the capture's
 * `history` say the same, and that the final query agrees.
 */
import type { Client } from 'graphql-ws';
import {
  CaptureDocument,
  CaptureStatusChangedDocument,
  CapturesDocument,
  EnrollDocument,
  LoginOperatorDocument,
  ResendPendingCapturesDocument,
  SendCaptureDocument,
  StartOperatorCaptureDocument,
  StartPresentialCaptureDocument,
  StartRemoteEnrollDocument,
  StartRemoteVerifyDocument,
  StationDocument,
  StationsDocument,
  type CaptureStatusChangedSubscription,
  type CaptureStatusChangedSubscriptionVariables,
  type CapturesQuery,
} from '../__generated__/graphql';
import { SPID_MAGIC_CPFS as CPF } from '../../src/simulators/spid';
import { userErrorAt } from '../helpers/payload';
import { Collector, PdvSim, SpidSim, TestGateway, eventually, sleep, type GraphQLResponse } from '../helpers/gateway';
import { rawKey } from '../helpers/ids';
import { toGlobalId } from '../../resolvers/global-id';

type Ev = CaptureStatusChangedSubscription['captureStatusChanged'];
type Msg = { captureStatusChanged: Ev };

/** Capture.stationId and Station.id are global ids; the configured id is Station.code. */
const stationGid = (code: string) => Buffer.from(`Station:${code}`).toString('base64url');
const S1 = 'station-1';
const S2 = 'station-2';
const S3 = 'station-3';
const OFFLINE = 'station-off';
const OPERATOR = CPF.operatorOk;
const OPERATOR_FMT = '200.000.003-70';

/** The full automatic presential verify that matches. */
const VERIFY_MATCH = [
  'STARTING',
  'CLIENT_CAPTURING',
  'CLIENT_CAPTURE_DONE',
  'OPERATOR_CAPTURING',
  'OPERATOR_CAPTURE_DONE',
  'SENDING',
  'PROCESSING',
  'SEARCH_MATCH',
  'REPORT_READY',
];
const PRESENTIAL_TO_PROCESSING = VERIFY_MATCH.slice(0, 7);

let spid: SpidSim;
let pdv: PdvSim;
let gw: TestGateway;
let ws: Client;
let origin: string;
const measures: string[] = [];

beforeAll(async () => {
  spid = await SpidSim.start({
    timings: {
      clientCaptureMs: 150,
      operatorCaptureMs: 150,
      verifyProcessingMs: 150,
      enrollProcessingMs: 300,
      remoteAnswerMs: 200,
      remoteLinkTtlMs: 800,
      loginSettleMs: 50,
    },
  });
  pdv = await PdvSim.start();
  // Plus one configured station nobody listens on: `stations` must show it offline, not fail.
  const stations = [...spid.sim.stations, { id: OFFLINE, name: 'Offline desk', baseUrl: 'http://127.0.0.1:9/gbs-spid-services/api' }];
  gw = await TestGateway.start({ pdvUrl: pdv.url, spidStations: JSON.stringify(stations) });
  origin = new URL(gw.url).origin;
  // operator: Capture.remoteUrl (a capability link) is shown only to those who may act on the station.
  ws = await gw.wsClient('operator');
  for (const stationId of [S1, S2, S3]) {
    const r = await gw.ok(LoginOperatorDocument, { stationId, operatorCpf: OPERATOR });
    expect(r.loginOperator).toEqual({ station: { id: expect.any(String), code: stationId, name: expect.any(String), online: true, loginStatus: 'OPERATOR_OK' }, status: 'OPERATOR_OK', statusCode: 'OPERATOR_OK', loggedIn: true, operatorCpf: OPERATOR_FMT, userErrors: [] });
  }
});

afterAll(async () => {
  if (measures.length) process.stdout.write(measures.join('\n') + '\n');
  await ws?.dispose();
  await gw?.close();
  await pdv?.close();
  await spid?.close();
});

// ---- helpers ------------------------------------------------------------------

const label = (e: Pick<Ev, 'type' | 'status'>) => (e.type === 'STATUS_CHANGED' ? e.status : e.type);
const of = (id: string) => (m: Msg) => m.captureStatusChanged.capture.id === id;
const stepsOf = (sub: Collector<Msg>, id: string) => sub.items.filter(of(id)).map((m) => label(m.captureStatusChanged));

/** This file's open subscriptions; afterEach stops whatever a test (even a failed one) left open. */
const live = new Set<Collector<Msg>>();
afterEach(() => {
  for (const sub of live) sub.stop();
  live.clear();
});

/**
 * Subscribes and waits until the gateway holds exactly our open subscriptions
 * (a stopped one leaves the bus asynchronously), so nothing after this is missed.
 */
async function subscribe(vars: CaptureStatusChangedSubscriptionVariables): Promise<Collector<Msg>> {
  const sub = Collector.subscribe(ws, CaptureStatusChangedDocument, vars);
  live.add(sub);
  await eventually(async () => gw.gw.bus.subscriberCount === live.size, 5_000, 10);
  return sub;
}

function unsubscribe(sub: Collector<Msg>): void {
  sub.stop();
  live.delete(sub);
}

function waitStep(sub: Collector<Msg>, id: string, step: string, timeoutMs = 10_000): Promise<Msg> {
  return sub.waitFor((m) => of(id)(m) && label(m.captureStatusChanged) === step, timeoutMs, `${step} of ${id}`);
}

function firstError(r: GraphQLResponse<unknown>) {
  expect(r.errors?.length).toBeGreaterThan(0);
  return r.errors![0]!;
}

async function resetCounters(): Promise<void> {
  await spid.control('POST', '/counters/reset');
}

async function spidCalls(): Promise<{ total: number; byRoute: Record<string, number> }> {
  const c = await spid.counters();
  const byRoute: Record<string, number> = {};
  for (const s of Object.values(c.byStation)) for (const [k, n] of Object.entries(s.byRoute)) byRoute[k] = (byRoute[k] ?? 0) + n;
  return { total: c.total, byRoute };
}

async function simStation(id: string): Promise<{ paused: boolean; capture: { status: string } }> {
  const list = await spid.control<{ id: string; paused: boolean; capture: { status: string } }[]>('GET', '/stations');
  return list.find((s) => s.id === id)!;
}

/**
 * Waits for the last expected step, then checks the whole story: the live
 * subscription saw exactly `expected` in order with increasing seqs, nothing
 * more arrives, the capture's history and a replay by captureId from 0 say
 * the same, and the query ends where the events end.
 */
async function expectFlow(name: string, sub: Collector<Msg>, id: string, expected: string[], t0: number, timeoutMs = 10_000) {
  await waitStep(sub, id, expected.at(-1)!, timeoutMs);
  const ms = Date.now() - t0;
  await sleep(300); // anything after the end would show up now
  expect(stepsOf(sub, id)).toEqual(expected);
  const seqs = sub.items.filter(of(id)).map((m) => m.captureStatusChanged.seq);
  expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  expect(new Set(seqs).size).toBe(seqs.length);
  expect(sub.errors).toEqual([]);

  const q = (await gw.ok(CaptureDocument, { id }, 'operator')).capture!; // operator: remoteUrl is a capability link
  const lastStatus = [...expected].reverse().find((s) => !s.startsWith('REPORT_'))!;
  expect(q.status).toBe(lastStatus);
  expect(q.history.map(label)).toEqual(expected);
  expect(q.history.map((h) => h.seq)).toEqual(seqs);

  const replay = await subscribe({ captureId: id, afterSeq: 0 });
  await eventually(async () => replay.items.length >= expected.length, 5_000, 20);
  await sleep(100);
  expect(replay.items.map((m) => label(m.captureStatusChanged))).toEqual(expected);
  expect(replay.items.map((m) => m.captureStatusChanged.seq)).toEqual(seqs);
  unsubscribe(replay);

  const calls = await spidCalls();
  const routes = Object.entries(calls.byRoute)
    .map(([k, n]) => `${k}=${n}`)
    .join(', ');
  measures.push(`[measure] ${name}: ${ms} ms to the last step, ${calls.total} SPID calls (${routes})`);
  return { capture: q, ms, calls };
}

/** `downloadUrl` is a signed absolute link that works without headers; the bare route still takes the bearer header. */
async function expectReportDownload(captureId: string, downloadUrl: string | null | undefined): Promise<void> {
  expect(downloadUrl).toMatch(new RegExp(`^${origin}/reports/${rawKey(captureId)}\\?expires=\\d+&by=[\\w-]+&sig=[\\w-]+$`));
  const byLink = await fetch(downloadUrl!);
  expect(byLink.status).toBe(200);
  expect(Buffer.from(await byLink.arrayBuffer()).subarray(0, 5).toString('latin1')).toBe('%PDF-');
  const url = `${origin}/reports/${rawKey(captureId)}`;
  const ok = await fetch(url, { headers: { authorization: `Bearer ${await gw.token('operator')}` } });
  expect(ok.status).toBe(200);
  expect(ok.headers.get('content-type')).toMatch(/^application\/pdf/);
  const body = Buffer.from(await ok.arrayBuffer());
  expect(body.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  const anon = await fetch(url);
  expect(anon.status).toBe(401);
  await anon.arrayBuffer();
}

async function startPresential(stationId: string, cpf: string, extra: { enrollIfNotFound?: boolean; autoAdvance?: boolean } = {}) {
  return (await gw.done(StartPresentialCaptureDocument, { stationId, cpf, ...extra })).startPresentialCapture;
}

// ---- input and roles (first: only the station pollers call the simulator yet) --------

describe('input and roles', () => {
  test('a viewer cannot start anything; bad CPF, name, e-mail or station never reach a station', async () => {
    // Station pollers read Login Status in the background: count every other station call.
    const nonPollCalls = async () => {
      const c = await spidCalls();
      return c.total - (c.byRoute['GET /login/status'] ?? 0);
    };
    const before = await nonPollCalls();

    const viewer = await gw.request(StartPresentialCaptureDocument, { stationId: S1, cpf: CPF.matches }, 'viewer');
    expect(firstError(viewer).extensions?.['code']).toBe('FORBIDDEN');
    expect(viewer.data).toEqual({ startPresentialCapture: null });
    const viewerLogin = await gw.request(LoginOperatorDocument, { stationId: S1, operatorCpf: OPERATOR }, 'viewer');
    expect(firstError(viewerLogin).extensions?.['code']).toBe('FORBIDDEN');
    const operatorResend = await gw.request(ResendPendingCapturesDocument, { stationId: S1 }, 'operator');
    expect(firstError(operatorResend).extensions?.['code']).toBe('FORBIDDEN');
    const anon = await gw.request(StationsDocument, {}, null);
    expect(firstError(anon).extensions?.['code']).toBe('UNAUTHENTICATED');

    for (const cpf of ['123.456.789-00', '12345678900', '123456789', '111.111.111-11']) {
      const r = await gw.request(StartPresentialCaptureDocument, { stationId: S1, cpf });
      expect(r.data ?? null).toBeNull();
      const e = firstError(r);
      expect(e.extensions?.['code']).toBe('BAD_USER_INPUT');
      expect(e.message).toMatch(/CPF/);
      const remote = await gw.request(StartRemoteVerifyDocument, { stationId: S1, cpf });
      expect(firstError(remote).extensions?.['code']).toBe('BAD_USER_INPUT');
      const login = await gw.request(LoginOperatorDocument, { stationId: S1, operatorCpf: cpf });
      expect(firstError(login).extensions?.['code']).toBe('BAD_USER_INPUT');
    }
    // A CPF that does not coerce is refused before execution (top-level, above); argument checks are userErrors.
    expect(firstError(await gw.request(StartPresentialCaptureDocument, { stationId: S1, cpf: '123' })).extensions).toEqual({ code: 'BAD_USER_INPUT', fields: { cpf: expect.stringMatching(/CPF/) } });
    const longName = await gw.request(EnrollDocument, { stationId: S1, cpf: CPF.matches, name: 'x'.repeat(201) });
    expect(userErrorAt(longName, 'enroll')).toEqual({ code: 'BAD_USER_INPUT', field: ['name'], message: expect.any(String) });
    const badEmail = await gw.request(StartRemoteEnrollDocument, { stationId: S1, cpf: CPF.matches, email: 'not-an-email' });
    expect(userErrorAt(badEmail, 'startRemoteEnroll')).toEqual({ code: 'BAD_USER_INPUT', field: ['email'], message: expect.any(String) });
    const unknown = await gw.request(StartPresentialCaptureDocument, { stationId: 'no-such-station', cpf: CPF.matches });
    expect(userErrorAt(unknown, 'startPresentialCapture')).toEqual({ code: 'UNKNOWN_STATION', field: ['stationId'], message: expect.stringContaining('no-such-station') });

    expect(await nonPollCalls()).toBe(before);
    // And nothing was recorded for any of them.
    const list = await gw.ok(CapturesDocument, { first: 100 }, 'viewer');
    expect(list.captures.edges).toHaveLength(0);
  });
});

// ---- presential -----------------------------------------------------------------------

describe('presential capture', () => {
  test('registered and matches: every step, SEARCH_MATCH, report downloadable with a token only', async () => {
    const sub = await subscribe({ stationId: S1 });
    await resetCounters();
    const t0 = Date.now();
    const c = await startPresential(S1, CPF.matches);
    expect(c).toMatchObject({ stationId: stationGid(S1), cpf: '100.000.001-08', mode: 'PRESENTIAL', kind: 'VERIFY', status: 'CLIENT_CAPTURING', autoAdvance: true });
    const { capture: q } = await expectFlow('verify → SEARCH_MATCH', sub, c.id, VERIFY_MATCH, t0);
    expect(q).toMatchObject({ status: 'SEARCH_MATCH', result: 'SEARCH_MATCH', sendOutcome: 'VERIFIED', remoteUrl: null });
    expect(q.tguid).toEqual(expect.any(String));
    expect(q.report?.size).toBeGreaterThan(0);
    const ready = sub.items.filter(of(c.id)).find((m) => m.captureStatusChanged.type === 'REPORT_READY')!;
    expect(ready.captureStatusChanged.status).toBe('SEARCH_MATCH');
    expect(ready.captureStatusChanged.capture.report?.downloadUrl).toMatch(new RegExp(`^${origin}/reports/${rawKey(c.id)}\\?expires=`));
    await expectReportDownload(c.id, q.report?.downloadUrl);
    expect(gw.gw.scheduler.watchedCount('capture')).toBe(0);
    unsubscribe(sub);
  });

  test('registered, no match (SEARCH_NOT_MATCH), then enroll → ENROLLED', async () => {
    const sub = await subscribe({ cpf: CPF.noMatch });
    await resetCounters();
    let t0 = Date.now();
    const v = await startPresential(S1, CPF.noMatch);
    const noMatch = [...PRESENTIAL_TO_PROCESSING, 'SEARCH_NOT_MATCH', 'REPORT_READY'];
    const { capture: qv } = await expectFlow('verify → SEARCH_NOT_MATCH', sub, v.id, noMatch, t0);
    expect(qv).toMatchObject({ result: 'SEARCH_NOT_MATCH', kind: 'VERIFY' });

    await resetCounters();
    t0 = Date.now();
    const e = (await gw.done(EnrollDocument, { stationId: S1, cpf: CPF.noMatch, name: 'Maria da Silva' })).enroll;
    expect(e).toMatchObject({ kind: 'ENROLL', status: 'CLIENT_CAPTURING' });
    expect(e.id).not.toBe(v.id);
    const enrolled = [...PRESENTIAL_TO_PROCESSING, 'ENROLLED', 'REPORT_READY'];
    const { capture: qe } = await expectFlow('enroll → ENROLLED', sub, e.id, enrolled, t0);
    expect(qe).toMatchObject({ status: 'ENROLLED', result: 'ENROLLED', kind: 'ENROLL', sendOutcome: 'CAPTURE_ENQUEUED' });
    expect(qe.report?.size).toBeGreaterThan(0);
    unsubscribe(sub);
  });

  // Before the next test: the simulator registers the person once an enroll ends ENROLLED.
  test('not registered with enrollIfNotFound: false stops at PERSON_NOT_FOUND', async () => {
    const sub = await subscribe({ cpf: CPF.notRegistered });
    await resetCounters();
    const t0 = Date.now();
    const c = await startPresential(S1, CPF.notRegistered, { enrollIfNotFound: false });
    expect(c.status).toBe('PERSON_NOT_FOUND');
    const { capture: q } = await expectFlow('verify → PERSON_NOT_FOUND (stop)', sub, c.id, ['STARTING', 'PERSON_NOT_FOUND'], t0);
    expect(q).toMatchObject({ tguid: null, report: null, kind: 'VERIFY' });
    expect(gw.gw.scheduler.watchedCount('capture')).toBe(0);
    expect((await simStation(S1)).capture.status).toBe('IDLE');
    unsubscribe(sub);
  });

  test('not registered: PERSON_NOT_FOUND, then enrolled in the same capture → ENROLLED', async () => {
    const sub = await subscribe({ cpf: CPF.notRegistered });
    await resetCounters();
    const t0 = Date.now();
    const c = await startPresential(S1, CPF.notRegistered);
    expect(c).toMatchObject({ status: 'CLIENT_CAPTURING', kind: 'ENROLL' });
    const expected = ['STARTING', 'PERSON_NOT_FOUND', ...PRESENTIAL_TO_PROCESSING.slice(1), 'ENROLLED', 'REPORT_READY'];
    const { capture: q } = await expectFlow('verify → PERSON_NOT_FOUND → enroll → ENROLLED', sub, c.id, expected, t0);
    expect(q).toMatchObject({ kind: 'ENROLL', result: 'ENROLLED', sendOutcome: 'CAPTURE_ENQUEUED' });
    // The same capture carried both kinds: VERIFY until PERSON_NOT_FOUND, ENROLL after.
    const kinds = sub.items.filter(of(c.id)).map((m) => m.captureStatusChanged.capture.kind);
    expect(kinds.slice(0, 2)).toEqual(['VERIFY', 'VERIFY']);
    expect(new Set(kinds.slice(2))).toEqual(new Set(['ENROLL']));
    unsubscribe(sub);
  });

  test('enroll rejected → ENROLL_REJECTED', async () => {
    const sub = await subscribe({ cpf: CPF.enrollRejected });
    await resetCounters();
    const t0 = Date.now();
    const c = (await gw.done(EnrollDocument, { stationId: S1, cpf: CPF.enrollRejected })).enroll;
    const { capture: q } = await expectFlow('enroll → ENROLL_REJECTED', sub, c.id, [...PRESENTIAL_TO_PROCESSING, 'ENROLL_REJECTED', 'REPORT_READY'], t0);
    expect(q).toMatchObject({ result: 'ENROLL_REJECTED', kind: 'ENROLL' });
    unsubscribe(sub);
  });

  test.each([
    ['deskCancel', 'CAPTURE_CANCELED', 'cancelled at the desk'],
    ['deskFailure', 'CAPTURE_FAILED', 'capture failed at the desk'],
  ] as const)('at the desk (%s) → %s, no send, no report', async (magic, end, detail) => {
    const sub = await subscribe({ stationId: S1 });
    await resetCounters();
    const t0 = Date.now();
    const c = await startPresential(S1, CPF[magic]);
    const { capture: q, calls } = await expectFlow(`desk → ${end}`, sub, c.id, ['STARTING', 'CLIENT_CAPTURING', end], t0);
    expect(q).toMatchObject({ status: end, detail, tguid: null, report: null });
    expect(calls.byRoute['POST /capture/send'] ?? 0).toBe(0);
    expect(calls.byRoute['POST /capture/operator'] ?? 0).toBe(0);
    expect(gw.gw.scheduler.watchedCount('capture')).toBe(0);
    unsubscribe(sub);
  });

  test('manual mode: stops at CLIENT_CAPTURE_DONE and OPERATOR_CAPTURE_DONE; a step out of order is WRONG_STATE', async () => {
    const sub = await subscribe({ stationId: S1 });
    await resetCounters();
    const t0 = Date.now();
    const c = await startPresential(S1, CPF.matches, { autoAdvance: false });
    expect(c).toMatchObject({ autoAdvance: false, status: 'CLIENT_CAPTURING' });

    await waitStep(sub, c.id, 'CLIENT_CAPTURE_DONE');
    await sleep(500);
    expect(stepsOf(sub, c.id)).toEqual(['STARTING', 'CLIENT_CAPTURING', 'CLIENT_CAPTURE_DONE']);
    expect((await simStation(S1)).capture.status).toBe('CLIENT_CAPTURE_DONE');
    const early = await gw.request(SendCaptureDocument, { captureId: c.id });
    expect(userErrorAt(early, 'sendCapture')).toEqual({ code: 'WRONG_STATE', field: ['captureId'], message: expect.stringContaining('CLIENT_CAPTURE_DONE') });

    const op = (await gw.done(StartOperatorCaptureDocument, { captureId: c.id })).startOperatorCapture;
    expect(op.status).toBe('OPERATOR_CAPTURING');
    await waitStep(sub, c.id, 'OPERATOR_CAPTURE_DONE');
    await sleep(500);
    expect(stepsOf(sub, c.id)).toEqual(VERIFY_MATCH.slice(0, 5));
    expect((await simStation(S1)).capture.status).toBe('OPERATOR_CAPTURE_DONE');
    const twice = await gw.request(StartOperatorCaptureDocument, { captureId: c.id });
    expect(userErrorAt(twice, 'startOperatorCapture')).toMatchObject({ code: 'WRONG_STATE', message: expect.stringContaining('OPERATOR_CAPTURE_DONE') });

    const sent = (await gw.done(SendCaptureDocument, { captureId: c.id })).sendCapture;
    expect(sent).toMatchObject({ status: 'PROCESSING', sendOutcome: 'VERIFIED' });
    expect(sent.tguid).toEqual(expect.any(String));
    const { calls } = await expectFlow('manual verify → SEARCH_MATCH', sub, c.id, VERIFY_MATCH, t0);
    expect(calls.byRoute['POST /capture/operator']).toBe(1);
    expect(calls.byRoute['POST /capture/send']).toBe(1);

    const after = await gw.request(SendCaptureDocument, { captureId: c.id });
    expect(userErrorAt(after, 'sendCapture')).toMatchObject({ code: 'WRONG_STATE', message: expect.stringContaining('SEARCH_MATCH') });
    const missing = await gw.request(SendCaptureDocument, { captureId: '00000000-0000-4000-8000-000000000000' });
    expect(userErrorAt(missing, 'sendCapture')).toMatchObject({ code: 'NOT_FOUND', field: ['captureId'] });
    const notAnId = await gw.request(SendCaptureDocument, { captureId: 'not-an-id' });
    expect(userErrorAt(notAnId, 'sendCapture')).toMatchObject({ code: 'BAD_USER_INPUT', field: ['captureId'] });
    unsubscribe(sub);
  });
});

// ---- stations -------------------------------------------------------------------------

describe('stations', () => {
  test('station busy: a second start gets STATION_BUSY with the running capture id; `stations` shows online, login and currentCapture', async () => {
    const idle = (await gw.ok(StationsDocument, {})).stations;
    expect(idle.map((s) => s.code)).toEqual([S1, S2, S3, OFFLINE]);
    expect(idle.map((s) => s.id)).toEqual([S1, S2, S3, OFFLINE].map(stationGid));
    for (const s of idle.slice(0, 3)) expect(s).toMatchObject({ online: true, loginStatus: 'OPERATOR_OK', operatorCpf: OPERATOR_FMT, currentCapture: null });
    expect(idle[3]).toMatchObject({ code: OFFLINE, name: 'Offline desk', online: false, loginStatus: null, operatorCpf: null, currentCapture: null });

    const sub = await subscribe({ stationId: S2 });
    await resetCounters();
    const t0 = Date.now();
    const c = await startPresential(S2, CPF.matches, { autoAdvance: false });
    await waitStep(sub, c.id, 'CLIENT_CAPTURE_DONE');
    const countBefore = (await gw.ok(CapturesDocument, { stationId: S2, first: 100 }, 'viewer')).captures.edges.length;
    const before = await spidCalls();

    const again = await gw.request(StartPresentialCaptureDocument, { stationId: S2, cpf: CPF.noMatch });
    expect(userErrorAt(again, 'startPresentialCapture')).toEqual({ code: 'STATION_BUSY', field: null, message: expect.stringContaining(c.id) });
    const enroll = await gw.request(EnrollDocument, { stationId: S2, cpf: CPF.noMatch });
    expect(userErrorAt(enroll, 'enroll')).toMatchObject({ code: 'STATION_BUSY', message: expect.stringContaining(c.id) });
    const remote = await gw.request(StartRemoteVerifyDocument, { stationId: S2, cpf: CPF.noMatch });
    expect(userErrorAt(remote, 'startRemoteVerify')).toMatchObject({ code: 'STATION_BUSY', message: expect.stringContaining(c.id) });
    // Refused by the gateway itself: no start reached the station, nothing was recorded.
    const after = await spidCalls();
    for (const route of ['GET /verify/{cpf}', 'POST /enroll', 'POST /capture/operator']) expect(after.byRoute[route] ?? 0).toBe(before.byRoute[route] ?? 0);
    expect((await gw.ok(CapturesDocument, { stationId: S2, first: 100 }, 'viewer')).captures.edges).toHaveLength(countBefore);

    const busy = (await gw.ok(StationsDocument, {})).stations;
    expect(busy.find((s) => s.code === S2)?.currentCapture).toMatchObject({ id: c.id, status: 'CLIENT_CAPTURE_DONE', cpf: '100.000.001-08' });
    expect(busy.filter((s) => s.code !== S2).map((s) => s.currentCapture)).toEqual([null, null, null]);
    const one = (await gw.ok(StationDocument, { id: S2 }, 'viewer')).station;
    expect(one).toMatchObject({ id: stationGid(S2), code: S2, name: 'Station 2', online: true, currentCapture: { id: c.id } });
    expect((await gw.ok(StationDocument, { id: 'nope' }, 'viewer')).station).toBeNull();

    await gw.done(StartOperatorCaptureDocument, { captureId: c.id });
    await waitStep(sub, c.id, 'OPERATOR_CAPTURE_DONE');
    await gw.done(SendCaptureDocument, { captureId: c.id });
    await expectFlow('busy station, then manual → SEARCH_MATCH', sub, c.id, VERIFY_MATCH, t0);
    // Sent: the station is free again.
    expect((await gw.ok(StationDocument, { id: S2 }, 'viewer')).station?.currentCapture).toBeNull();
    unsubscribe(sub);
  });

  test('no operator logged in: userError NO_OPERATOR, and the capture is recorded FAILED', async () => {
    const login = await gw.ok(LoginOperatorDocument, { stationId: S3, operatorCpf: CPF.operatorNotFound });
    expect(login.loginOperator).toMatchObject({ status: 'OPERATOR_NOT_FOUND', loggedIn: false });
    try {
      const st = (await gw.ok(StationDocument, { id: S3 }, 'viewer')).station;
      expect(st).toMatchObject({ online: true, loginStatus: 'OPERATOR_NOT_FOUND' });

      const sub = await subscribe({ stationId: S3 });
      await resetCounters();
      const t0 = Date.now();
      const r = await gw.request(StartPresentialCaptureDocument, { stationId: S3, cpf: CPF.matches });
      const e = userErrorAt(r, 'startPresentialCapture');
      expect(e).toMatchObject({ code: 'NO_OPERATOR', field: null });
      expect(e.message).toMatch(/operator/i);
      expect(JSON.stringify(r)).not.toContain('127.0.0.1');

      await sub.waitFor((m) => m.captureStatusChanged.status === 'FAILED', 5_000, 'FAILED');
      const id = sub.items[0]!.captureStatusChanged.capture.id;
      const { capture: q } = await expectFlow('no operator → FAILED', sub, id, ['STARTING', 'FAILED'], t0);
      expect(q).toMatchObject({ status: 'FAILED', detail: 'could not start: NO_OPERATOR', tguid: null });
      const failed = await gw.ok(CapturesDocument, { stationId: S3, status: ['FAILED'] }, 'viewer');
      expect(failed.captures.edges.map((x) => x.node.id)).toContain(id);
      unsubscribe(sub);
    } finally {
      const back = await gw.ok(LoginOperatorDocument, { stationId: S3, operatorCpf: OPERATOR });
      expect(back.loginOperator!.loggedIn).toBe(true);
    }
  });
});

// ---- remote ---------------------------------------------------------------------------

describe('remote capture', () => {
  const REMOTE_TO_WAITING = ['STARTING', 'OPERATOR_CAPTURING', 'OPERATOR_CAPTURE_DONE', 'SENDING', 'WAITING_CLIENT'];

  test('remote verify: operator first, link handed out, the citizen submits it through the link → SEARCH_MATCH', async () => {
    // Paused: every station step happens when the test says so, so that each intermediate status is observable.
    await spid.control('POST', `/stations/${S2}/pause`);
    try {
      const sub = await subscribe({ stationId: S2 });
      await resetCounters();
      const t0 = Date.now();
      const c = (await gw.done(StartRemoteVerifyDocument, { stationId: S2, cpf: CPF.matches, email: 'cidada@example.com' })).startRemoteVerify;
      expect(c).toMatchObject({ mode: 'REMOTE', kind: 'VERIFY', status: 'OPERATOR_CAPTURING', remoteUrl: null });
      await spid.control('POST', `/stations/${S2}/advance`); // the operator's capture finishes
      const waiting = await waitStep(sub, c.id, 'WAITING_CLIENT');
      const url = waiting.captureStatusChanged.capture.remoteUrl;
      const tguid = waiting.captureStatusChanged.capture.tguid;
      expect(url).toBe(`${spid.sim.remoteServiceUrl}/r/${tguid}`);
      const page = await fetch(url!);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('WAITING_CLIENT');
      // The citizen's phone submits the biometrics.
      const submitted = await fetch(url!, { method: 'POST' });
      expect(((await submitted.json()) as { status: string }).status).toBe('PROCESSING');
      await waitStep(sub, c.id, 'PROCESSING');
      await spid.control('POST', `/stations/${S2}/resume`); // the central server answers
      const { capture: q } = await expectFlow('remote verify → SEARCH_MATCH', sub, c.id, [...REMOTE_TO_WAITING, 'PROCESSING', 'SEARCH_MATCH', 'REPORT_READY'], t0);
      expect(q).toMatchObject({ status: 'SEARCH_MATCH', result: 'SEARCH_MATCH', remoteUrl: url, tguid, sendOutcome: null });
      await expectReportDownload(c.id, q.report?.downloadUrl);
      unsubscribe(sub);
    } finally {
      await spid.control('POST', `/stations/${S2}/resume`);
    }
  });

  test('remote enroll answered through the control API → ENROLLED', async () => {
    await spid.control('POST', `/stations/${S2}/pause`);
    try {
      const sub = await subscribe({ stationId: S2 });
      await resetCounters();
      const t0 = Date.now();
      const c = (await gw.done(StartRemoteEnrollDocument, { stationId: S2, cpf: CPF.noMatch })).startRemoteEnroll;
      expect(c).toMatchObject({ mode: 'REMOTE', kind: 'ENROLL' });
      await spid.control('POST', `/stations/${S2}/advance`);
      const waiting = await waitStep(sub, c.id, 'WAITING_CLIENT');
      const tguid = waiting.captureStatusChanged.capture.tguid!;
      await spid.control('POST', `/remote/${tguid}/answer`);
      await waitStep(sub, c.id, 'PROCESSING');
      await spid.control('POST', `/stations/${S2}/advance`, { tguid });
      const { capture: q } = await expectFlow('remote enroll → ENROLLED', sub, c.id, [...REMOTE_TO_WAITING, 'PROCESSING', 'ENROLLED', 'REPORT_READY'], t0);
      expect(q).toMatchObject({ result: 'ENROLLED', kind: 'ENROLL' });
      unsubscribe(sub);
    } finally {
      await spid.control('POST', `/stations/${S2}/resume`);
    }
  });

  test('remote link never used → EXPIRED', async () => {
    const sub = await subscribe({ cpf: CPF.linkNeverUsed });
    await resetCounters();
    const t0 = Date.now();
    const c = (await gw.done(StartRemoteVerifyDocument, { stationId: S2, cpf: CPF.linkNeverUsed })).startRemoteVerify;
    const { capture: q } = await expectFlow('remote link unused → EXPIRED', sub, c.id, [...REMOTE_TO_WAITING, 'EXPIRED', 'REPORT_READY'], t0);
    expect(q).toMatchObject({ status: 'EXPIRED', result: 'EXPIRED' });
    expect(q.remoteUrl).toEqual(expect.stringContaining('/r/'));
    const gone = await fetch(q.remoteUrl!);
    expect(gone.status).toBe(410);
    await gone.arrayBuffer();
    unsubscribe(sub);
  });
});

// ---- pending sends ----------------------------------------------------------------------

describe('pending sends', () => {
  test('20 sends fail and stay CAPTURE_PENDING; after /pending/fix, resendPendingCaptures brings every result: 0 of 20 lost', async () => {
    const N = 20;
    const stations = [S1, S2, S3];
    const sub = await subscribe({ cpf: CPF.sendFails });
    await resetCounters();
    const t0 = Date.now();
    const ids: string[] = [];
    const byStation = new Map<string, string[]>(stations.map((s) => [s, []]));
    // A station holds a capture until it is sent: one at a time per station, the stations side by side.
    await Promise.all(
      stations.map(async (stationId, k) => {
        for (let i = k; i < N; i += stations.length) {
          const c = await startPresential(stationId, CPF.sendFails);
          ids.push(c.id);
          byStation.get(stationId)!.push(c.id);
          await waitStep(sub, c.id, 'CAPTURE_PENDING', 10_000);
        }
      }),
    );
    const pendingMs = Date.now() - t0;
    expect(ids).toHaveLength(N);

    // A resend before the fix: every send fails again, nothing moves, nothing is lost.
    for (const stationId of stations) {
      const r = (await gw.ok(ResendPendingCapturesDocument, { stationId }, 'admin')).resendPendingCaptures!;
      expect(r.station).toEqual({ id: toGlobalId('Station', stationId) });
      expect(r.resent).toEqual([]);
      expect(r.failed).toHaveLength(byStation.get(stationId)!.length);
    }
    const pending = await gw.ok(CapturesDocument, { cpf: CPF.sendFails, status: ['CAPTURE_PENDING'], first: 100 }, 'viewer');
    expect(new Set(pending.captures.edges.map((e) => e.node.id))).toEqual(new Set(ids));

    // The station's server is reachable again.
    const tguids = new Map<string, string>();
    for (const id of ids) tguids.set(id, sub.items.find((m) => of(id)(m) && m.captureStatusChanged.status === 'CAPTURE_PENDING')!.captureStatusChanged.capture.tguid!);
    for (const tguid of tguids.values()) await spid.control('POST', '/pending/fix', { tguid });
    const t1 = Date.now();
    for (const stationId of stations) {
      const r = (await gw.ok(ResendPendingCapturesDocument, { stationId }, 'admin')).resendPendingCaptures!;
      expect(r.failed).toEqual([]);
      expect(new Set(r.resent!.map((c) => c.id))).toEqual(new Set(byStation.get(stationId)));
      for (const c of r.resent!) expect(c).toMatchObject({ status: 'PROCESSING', sendOutcome: 'RESENT' });
    }
    await Promise.all(ids.map((id) => waitStep(sub, id, 'REPORT_READY', 15_000)));
    const resendMs = Date.now() - t1;
    await sleep(300);

    const expected = [...PRESENTIAL_TO_PROCESSING.slice(0, 6), 'CAPTURE_PENDING', 'PROCESSING', 'SEARCH_MATCH', 'REPORT_READY'];
    let lost = 0;
    for (const id of ids) {
      expect({ id, steps: stepsOf(sub, id) }).toEqual({ id, steps: expected });
      const q = (await gw.ok(CaptureDocument, { id }, 'viewer')).capture!;
      if (q.result !== 'SEARCH_MATCH' || !q.report) lost++;
      expect(q).toMatchObject({ status: 'SEARCH_MATCH', sendOutcome: 'RESENT', tguid: tguids.get(id) });
    }
    expect(lost).toBe(0);
    expect(gw.gw.scheduler.watchedCount('capture')).toBe(0);
    const calls = await spidCalls();
    measures.push(
      `[measure] send fails ×${N} → CAPTURE_PENDING → resend → SEARCH_MATCH: ${pendingMs} ms until all pending, ${resendMs} ms from the resend to all reports; ` +
        `lost ${lost}/${N}; ${calls.total} SPID calls (${(calls.total / N).toFixed(1)} per flow; result reads ${calls.byRoute['GET /capture/result/{tguid}'] ?? 0}, resends ${calls.byRoute['POST /capture/resend'] ?? 0})`,
    );
    unsubscribe(sub);
  });
});

// ---- listing ------------------------------------------------------------------------------

describe('captures query', () => {
  test('filters (cpf, station, status, mode) and cursor pagination without overlap', async () => {
    const seen = new Set<string>();
    let after: string | null = null;
    for (let page = 0; page < 20; page++) {
      const res: CapturesQuery = await gw.ok(CapturesDocument, { cpf: CPF.sendFails, first: 6, after });
      for (const e of res.captures.edges) {
        expect(e.node.cpf).toBe('100.000.007-95');
        expect(seen.has(e.node.id)).toBe(false);
        seen.add(e.node.id);
      }
      if (!res.captures.pageInfo.hasNextPage) break;
      after = res.captures.pageInfo.endCursor ?? null;
    }
    expect(seen.size).toBe(20);
    const remote = await gw.ok(CapturesDocument, { mode: 'REMOTE', first: 100 }, 'viewer');
    expect(remote.captures.edges.length).toBe(3);
    for (const e of remote.captures.edges) expect(e.node.mode).toBe('REMOTE');
    const s3 = await gw.ok(CapturesDocument, { stationId: S3, status: ['SEARCH_MATCH'], first: 100 }, 'viewer');
    for (const e of s3.captures.edges) expect(e.node).toMatchObject({ stationId: stationGid(S3), status: 'SEARCH_MATCH' });
    // The station's global id filters the same as its code.
    const byGid = await gw.ok(CapturesDocument, { stationId: stationGid(S3), status: ['SEARCH_MATCH'], first: 100 }, 'viewer');
    expect(byGid.captures.edges.map((e) => e.node.id)).toEqual(s3.captures.edges.map((e) => e.node.id));
    const dates = s3.captures.edges.map((e) => e.node.createdAt);
    expect(dates).toEqual([...dates].sort().reverse());
    // Backwards from the oldest end: the same captures, no overlap.
    const back = new Set<string>();
    let before: string | null = null;
    for (let page = 0; page < 20; page++) {
      const res: CapturesQuery = await gw.ok(CapturesDocument, { cpf: CPF.sendFails, last: 6, before }, 'viewer');
      for (const e of res.captures.edges) back.add(e.node.id);
      if (!res.captures.pageInfo.hasPreviousPage) break;
      before = res.captures.pageInfo.startCursor ?? null;
    }
    expect(back).toEqual(seen);
    const tooMany = await gw.request(CapturesDocument, { first: 101 }, 'viewer');
    expect(firstError(tooMany).extensions?.['code']).toBe('BAD_USER_INPUT');
  });
});
