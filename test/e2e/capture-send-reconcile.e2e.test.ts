/**
 * The gateway's own call to a station times out during Send. The flow must
 * reconcile through Capture Status and never make the station send twice:
 * - the request never reached the station (connection reset) → the station
 *   still shows OPERATOR_CAPTURE_DONE → the gateway sends once more → result;
 * - the station took the send but its answer was lost → the station is IDLE
 *   → SEND_UNCONFIRMED, and no second send is made.
 */
import {
  CaptureDocument,
  CapturesDocument,
  CaptureStatusChangedDocument,
  LoginOperatorDocument,
  SendCaptureDocument,
  StartOperatorCaptureDocument,
  StartPresentialCaptureDocument,
  type CaptureStatusChangedSubscription,
} from '../__generated__/graphql';
import type { Client } from 'graphql-ws';
import { SPID_MAGIC_CPFS as CPF } from '../../src/simulators/spid';
import { Collector, PdvSim, SpidSim, TestGateway, eventually } from '../helpers/gateway';
import { rawKey } from '../helpers/ids';

type Ev = { captureStatusChanged: CaptureStatusChangedSubscription['captureStatusChanged'] };

let pdv: PdvSim;
let spid: SpidSim;
let gw: TestGateway;
let ws: Client;

beforeAll(async () => {
  pdv = await PdvSim.start();
  spid = await SpidSim.start({ timings: { clientCaptureMs: 50, operatorCaptureMs: 50, verifyProcessingMs: 50, loginSettleMs: 10 } });
  // Polls every 1.5 s: the test acts on the station between the send and the next poll.
  gw = await TestGateway.start({
    pdvUrl: pdv.url,
    spidStations: spid.stationsEnv,
    env: { SPID_TIMEOUT_MS: '300', POLL_INTERVAL_MS: '1500', POLL_BACKOFF_FACTOR: '1', POLL_MAX_INTERVAL_MS: '1500' },
  });
  ws = await gw.wsClient('operator');
  await gw.ok(LoginOperatorDocument, { stationId: 'station-1', operatorCpf: CPF.operatorOk });
});
afterAll(async () => {
  await ws?.dispose();
  await gw?.close();
  await spid?.close();
  await pdv?.close();
});

async function toOperatorDone(): Promise<{ id: string; sub: Collector<Ev> }> {
  const sub = Collector.subscribe(ws, CaptureStatusChangedDocument, { stationId: 'station-1' });
  const { startPresentialCapture: c } = await gw.done(StartPresentialCaptureDocument, { stationId: 'station-1', cpf: CPF.matches, autoAdvance: false });
  await sub.waitFor((e: Ev) => e.captureStatusChanged.capture.id === c.id && e.captureStatusChanged.status === 'CLIENT_CAPTURE_DONE');
  await gw.done(StartOperatorCaptureDocument, { captureId: c.id });
  await sub.waitFor((e: Ev) => e.captureStatusChanged.capture.id === c.id && e.captureStatusChanged.status === 'OPERATOR_CAPTURE_DONE');
  return { id: c.id, sub };
}

const sends = async () => (await spid.counters()).byStation['station-1']?.byRoute['POST /capture/send'] ?? 0;
const steps = (sub: Collector<Ev>, id: string) =>
  sub.items.filter((e) => e.captureStatusChanged.capture.id === id).map((e) => (e.captureStatusChanged.type === 'REPORT_READY' ? 'REPORT_READY' : e.captureStatusChanged.status));

test('send never reached the station (reset): reconciled through Capture Status, sent once more, result arrives', async () => {
  const { id, sub } = await toOperatorDone();
  const before = await sends();
  await spid.control('POST', '/faults', { station: 'station-1', route: 'POST /capture/send', kind: 'reset', count: 1 });
  const r = await gw.done(SendCaptureDocument, { captureId: id });
  expect(r.sendCapture.status).toBe('SENDING');
  await sub.waitFor((e: Ev) => e.captureStatusChanged.capture.id === id && e.captureStatusChanged.type === 'REPORT_READY', 20_000);
  expect(steps(sub, id).slice(-6)).toEqual(['SENDING', 'OPERATOR_CAPTURE_DONE', 'SENDING', 'PROCESSING', 'SEARCH_MATCH', 'REPORT_READY']);
  // Two requests, of which the station processed one: the reset one never reached it.
  expect((await sends()) - before).toBe(2);
  sub.stop();
});

test('the station took the send but the answer was lost: the station is idle, so SEND_UNCONFIRMED, and no second send', async () => {
  const { id, sub } = await toOperatorDone();
  const before = await sends();
  // The gateway's request is cut (reset) and, standing in for the same request arriving after all,
  // the send reaches the station directly — the gateway never learns the TGUID.
  await spid.control('POST', '/faults', { station: 'station-1', route: 'POST /capture/send', kind: 'reset', count: 1 });
  const r = await gw.done(SendCaptureDocument, { captureId: id });
  expect(r.sendCapture.status).toBe('SENDING');
  const direct = await fetch(`${spid.sim.stations[0]!.baseUrl}/capture/send`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  expect(direct.status).toBe(200);
  await sub.waitFor((e: Ev) => e.captureStatusChanged.capture.id === id && e.captureStatusChanged.status === 'SEND_UNCONFIRMED', 20_000);
  expect(steps(sub, id).slice(-2)).toEqual(['SENDING', 'SEND_UNCONFIRMED']);
  await eventually(async () => (await gw.ok(CaptureDocument, { id })).capture?.status === 'SEND_UNCONFIRMED');
  await new Promise((res) => setTimeout(res, 2000));
  // The reset request and the one that landed; the gateway did not try again.
  expect((await sends()) - before).toBe(2);
  expect(gw.gw.scheduler.watchedCount('capture')).toBe(0);
  sub.stop();
});

test('Capture.station resolves the station, with its live login state', async () => {
  const { captures } = await gw.ok(CapturesDocument, { stationId: 'station-1', first: 1 });
  const id = captures.edges[0]!.node.id;
  const res = await fetch(gw.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await gw.token('viewer')}` },
    body: JSON.stringify({ query: `query($id: ID!) { capture(id: $id) { station { code name online loginStatus operatorCpf } } }`, variables: { id } }),
  });
  const body = (await res.json()) as { data: { capture: { station: Record<string, unknown> } } };
  expect(body.data.capture.station).toEqual({ code: 'station-1', name: 'Station 1', online: true, loginStatus: 'OPERATOR_OK', operatorCpf: '***.***.003-70' });
});
