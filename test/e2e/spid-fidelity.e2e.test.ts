/**
 * SPID answers the contract does not list, end to end (gateway + SPID
 * simulator over real HTTP/WebSocket): a login that the vendor manual calls
 * settled, status words we do not know, and a report that is not a PDF. The
 * simulator's control API (`/oddities`, `/report-format`) produces them.
 */
import type { Client } from 'graphql-ws';
import {
  CaptureDocument,
  CaptureStatusChangedDocument,
  LoginOperatorDocument,
  StartPresentialCaptureDocument,
  StationDocument,
  type CaptureStatusChangedSubscription,
} from '../__generated__/graphql';
import { SPID_MAGIC_CPFS as CPF } from '../../src/simulators/spid';
import { Collector, PdvSim, SpidSim, TestGateway, eventually } from '../helpers/gateway';
import { rawKey } from '../helpers/ids';

type Msg = CaptureStatusChangedSubscription;

const S1 = 'station-1';
const S2 = 'station-2';
let spid: SpidSim;
let pdv: PdvSim;
let gw: TestGateway;
let ws: Client;

beforeAll(async () => {
  spid = await SpidSim.start({
    stations: 2,
    timings: { clientCaptureMs: 150, operatorCaptureMs: 150, verifyProcessingMs: 150, enrollProcessingMs: 300, loginSettleMs: 50 },
  });
  pdv = await PdvSim.start();
  gw = await TestGateway.start({ pdvUrl: pdv.url, spidStations: spid.stationsEnv, env: { STATION_POLL_INTERVAL_MS: '300' } });
  ws = await gw.wsClient('viewer');
});
afterAll(async () => {
  await ws?.dispose();
  await gw?.close();
  await pdv?.close();
  await spid?.close();
});

async function login(stationId: string, operatorCpf: string) {
  return (await gw.ok(LoginOperatorDocument, { stationId, operatorCpf })).loginOperator!;
}

const statusReads = async (stationId: string) => (await spid.counters()).byStation[stationId]?.byRoute['GET /capture/status'] ?? 0;

describe('SPID login as the vendor manual says', () => {
  test.each([
    [CPF.operatorPending, 'OPERATOR_PENDING'],
    [CPF.operatorInProgress, 'OPERATOR_IN_PROGRESS'],
  ] as const)('%s: %s is a settled answer, returned at once, not logged in', async (cpf, status) => {
    const t0 = Date.now();
    const r = await login(S2, cpf);
    const ms = Date.now() - t0;
    expect(r).toMatchObject({ station: { code: S2, name: expect.any(String), online: true, loginStatus: status }, status, statusCode: status, loggedIn: false });
    // loginSettleTimeoutMs is 10 s: waiting it out (the old reading) would take that long.
    expect(ms).toBeLessThan(2_000);
    process.stdout.write(`[measure] login ${status}: ${ms} ms\n`);
    const st = (await gw.ok(StationDocument, { id: S2 }, 'viewer')).station;
    expect(st).toMatchObject({ online: true, loginStatus: status, loginStatusCode: status });
  });
});

describe('tolerant readers', () => {
  beforeAll(async () => {
    expect((await login(S1, CPF.operatorOk)).loggedIn).toBe(true);
  });

  test('unknown SPID statuses: the station stays online and the capture moves on when a known status follows', async () => {
    const sub = Collector.subscribe(ws, CaptureStatusChangedDocument, { stationId: S1 });
    await eventually(async () => gw.gw.bus.subscriberCount >= 1, 5_000, 10);
    await spid.control('POST', `/stations/${S1}/pause`);
    const before = await statusReads(S1);
    // More unknown answers in a row than the circuit breaker's threshold (5).
    await spid.control('POST', '/oddities', { station: S1, route: 'GET /capture/status', status: 'CAPTURE_PAUSED_BY_DESK', count: 8 });
    const c = (await gw.done(StartPresentialCaptureDocument, { stationId: S1, cpf: CPF.matches })).startPresentialCapture;
    await eventually(async () => (await statusReads(S1)) - before >= 8, 15_000, 50);

    await spid.control('POST', '/oddities', { station: S1, route: 'GET /login/status', status: 'OPERATOR_SUSPENDED', count: 1 });
    // The station's poller takes the odd answer (every STATION_POLL_INTERVAL_MS) and records it as it came.
    const st = await eventually(async () => {
      const s = (await gw.ok(StationDocument, { id: S1 }, 'viewer')).station;
      return s?.loginStatusCode === 'OPERATOR_SUSPENDED' && s;
    }, 15_000, 50);
    expect(st).toMatchObject({ online: true, loginStatus: 'UNKNOWN', loginStatusCode: 'OPERATOR_SUSPENDED' });
    expect((await gw.ok(CaptureDocument, { id: c.id }, 'viewer')).capture?.status).toBe('CLIENT_CAPTURING');

    await spid.control('POST', `/stations/${S1}/resume`);
    await sub.waitFor((m: Msg) => m.captureStatusChanged.capture.id === c.id && m.captureStatusChanged.type === 'REPORT_READY', 15_000, 'REPORT_READY');
    const q = (await gw.ok(CaptureDocument, { id: c.id }, 'viewer')).capture!;
    expect(q.status).toBe('SEARCH_MATCH');
    const steps = q.history.map((h) => (h.type === 'STATUS_CHANGED' ? h.status : h.type));
    expect(steps.slice(-4)).toEqual(['SENDING', 'PROCESSING', 'SEARCH_MATCH', 'REPORT_READY']);
    expect(steps).not.toContain('FAILED');
    expect((await gw.ok(StationDocument, { id: S1 }, 'viewer')).station?.online).toBe(true);
    sub.stop();
  });

  test('a report that is not a PDF reaches REPORT_READY and is served with the content type the station gave', async () => {
    await spid.control('PUT', '/report-format', { contentType: 'image/png' });
    try {
      const sub = Collector.subscribe(ws, CaptureStatusChangedDocument, { stationId: S1 });
      await eventually(async () => gw.gw.bus.subscriberCount >= 1, 5_000, 10);
      const c = (await gw.done(StartPresentialCaptureDocument, { stationId: S1, cpf: CPF.matches })).startPresentialCapture;
      const ready = await sub.waitFor((m: Msg) => m.captureStatusChanged.capture.id === c.id && m.captureStatusChanged.type === 'REPORT_READY', 15_000, 'REPORT_READY');
      expect(ready.captureStatusChanged.status).toBe('SEARCH_MATCH');
      const url = new URL(gw.url).origin + `/reports/${rawKey(c.id)}`;
      // Reports: operator and admin only.
      const res = await fetch(url, { headers: { authorization: `Bearer ${await gw.token('operator')}` } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/png');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('content-disposition')).toMatch(/^attachment;/);
      const body = Buffer.from(await res.arrayBuffer());
      expect(body.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
      expect(ready.captureStatusChanged.capture.report?.size).toBe(body.length);
      sub.stop();
    } finally {
      await spid.control('PUT', '/report-format', { contentType: 'application/pdf' });
    }
  });
});
