/**
 * Nothing done twice, nothing orphaned — in one gateway process, against the
 * simulators on loopback:
 * - a create whose answer is lost past the client's timeout leaves an
 *   UNCONFIRMED row, keeps its idempotency key, and a retry gets that row
 *   without a second create (proof of life and message);
 * - a manual Send held by a slow station is not resent by the poller;
 * - a capture whose start never reached the station fails after the station
 *   timeout and frees the station.
 */
import { userErrorAt } from '../helpers/payload';
import {
  CaptureStatusChangedDocument,
  CapturesDocument,
  LoginOperatorDocument,
  RequestProofOfLifeDocument,
  SendCaptureDocument,
  SendMessageDocument,
  StartOperatorCaptureDocument,
  StartPresentialCaptureDocument,
  TransactionsDocument,
  type CaptureStatusChangedSubscription,
} from '../__generated__/graphql';
import type { Client } from 'graphql-ws';
import { PDV_MAGIC_CPFS } from '../../src/simulators/provaDeVida';
import { SPID_MAGIC_CPFS } from '../../src/simulators/spid';
import { Collector, PdvSim, SpidSim, TestGateway, eventually, sleep } from '../helpers/gateway';

type Ev = { captureStatusChanged: CaptureStatusChangedSubscription['captureStatusChanged'] };

const PDV_TIMEOUT_MS = 800;
const SPID_TIMEOUT_MS = 2500;

let pdv: PdvSim;
let spid: SpidSim;
let gw: TestGateway;
let ws: Client;

beforeAll(async () => {
  pdv = await PdvSim.start({ answerAfterMs: 600_000 });
  spid = await SpidSim.start({ timings: { clientCaptureMs: 50, operatorCaptureMs: 50, verifyProcessingMs: 50, loginSettleMs: 10 } });
  gw = await TestGateway.start({
    pdvUrl: pdv.url,
    spidStations: spid.stationsEnv,
    // Polls every 150 ms: far more often than a held Send lasts.
    env: { PDV_TIMEOUT_MS: String(PDV_TIMEOUT_MS), SPID_TIMEOUT_MS: String(SPID_TIMEOUT_MS) },
  });
  ws = await gw.wsClient('operator');
});
afterAll(async () => {
  await ws?.dispose();
  await gw?.close();
  await spid?.close();
  await pdv?.close();
});

const routeCount = async (route: string) => (await pdv.counters()).byRoute[route] ?? 0;

describe('a create whose answer is lost (held past the client timeout)', () => {
  test('proof of life: UNCONFIRMED, the key is kept, the retry returns the same transaction, one create upstream', async () => {
    const route = 'POST /api/vbeta4/transacoes';
    const before = await routeCount(route);
    // The simulator creates the transaction at once and holds its answer well past our timeout.
    await pdv.control('POST', '/faults', { route, kind: 'latency', latencyMs: PDV_TIMEOUT_MS * 4, processed: true, count: 1 });
    const input = { cpf: PDV_MAGIC_CPFS.authorizes, reason: 'lost answer', idempotencyKey: 'lost-answer-0001' };
    const first = await gw.done(RequestProofOfLifeDocument, { input });
    expect(first.requestProofOfLife).toMatchObject({ status: 'UNCONFIRMED', upstreamId: null });

    const retry = await gw.done(RequestProofOfLifeDocument, { input });
    expect(retry.requestProofOfLife).toEqual(first.requestProofOfLife);
    await sleep(PDV_TIMEOUT_MS * 4);
    expect((await routeCount(route)) - before).toBe(1);

    // Not an orphan: the one transaction the upstream holds for this request has a row here (UNCONFIRMED).
    const upstream = (await pdv.control<{ motivo: string }[]>('GET', '/transactions')).filter((t) => t.motivo === 'lost answer');
    expect(upstream).toHaveLength(1);
    const rows = await gw.ok(TransactionsDocument, { cpf: PDV_MAGIC_CPFS.authorizes, status: ['UNCONFIRMED'] }, 'viewer');
    expect(rows.transactions.edges.map((e) => e.node.id)).toEqual([first.requestProofOfLife.id]);
  });

  test('message: UNCONFIRMED, the retry with the same key returns it, one send upstream', async () => {
    const route = 'POST /api/vbeta1/mensagens';
    const before = await routeCount(route);
    await pdv.control('POST', '/faults', { route, kind: 'latency', latencyMs: PDV_TIMEOUT_MS * 4, processed: true, count: 1 });
    const input = { cpf: PDV_MAGIC_CPFS.authorizes, title: 'Aviso', content: 'Uma vez só', idempotencyKey: 'lost-answer-0002' };
    const first = await gw.done(SendMessageDocument, { input });
    expect(first.sendMessage).toMatchObject({ status: 'UNCONFIRMED', upstreamId: null });
    const retry = await gw.done(SendMessageDocument, { input });
    expect(retry.sendMessage).toEqual(first.sendMessage);
    expect((await routeCount(route)) - before).toBe(1);
  });

  test('a refused connection provably did nothing: FAILED, the key is released, the retry creates it', async () => {
    const refused = await TestGateway.start({ pdvUrl: 'http://127.0.0.1:9', env: { PDV_TIMEOUT_MS: String(PDV_TIMEOUT_MS) } });
    try {
      const input = { cpf: PDV_MAGIC_CPFS.authorizes, reason: 'refused', idempotencyKey: 'refused-0001' };
      const r = await refused.request(RequestProofOfLifeDocument, { input });
      expect(r.errors?.[0]?.extensions?.['code']).toBe('UPSTREAM_UNAVAILABLE');
      const rows = await refused.ok(TransactionsDocument, { cpf: PDV_MAGIC_CPFS.authorizes }, 'viewer');
      expect(rows.transactions.edges.map((e) => e.node.status)).toEqual(['FAILED']);
      // Released: the retry runs again (and fails the same way) instead of answering IDEMPOTENCY_IN_PROGRESS.
      const again = await refused.request(RequestProofOfLifeDocument, { input });
      expect(again.errors?.[0]?.extensions?.['code']).toBe('UPSTREAM_UNAVAILABLE');
    } finally {
      await refused.close();
    }
  });
});

describe('capture steps in flight', () => {
  const sends = async (station: string) => (await spid.counters()).byStation[station]?.byRoute['POST /capture/send'] ?? 0;

  test('manual Send on a slow station (answer after 1.5 s, polls every 150 ms): exactly one send, then the result', async () => {
    await gw.ok(LoginOperatorDocument, { stationId: 'station-1', operatorCpf: SPID_MAGIC_CPFS.operatorOk });
    const sub = Collector.subscribe(ws, CaptureStatusChangedDocument, { stationId: 'station-1' });
    const { startPresentialCapture: c } = await gw.done(StartPresentialCaptureDocument, { stationId: 'station-1', cpf: SPID_MAGIC_CPFS.matches, autoAdvance: false });
    const reached = (status: string) => (e: Ev) => e.captureStatusChanged.capture.id === c.id && e.captureStatusChanged.status === status;
    await sub.waitFor(reached('CLIENT_CAPTURE_DONE'));
    await gw.done(StartOperatorCaptureDocument, { captureId: c.id });
    await sub.waitFor(reached('OPERATOR_CAPTURE_DONE'));

    const before = await sends('station-1');
    // The station stays at OPERATOR_CAPTURE_DONE while it holds the Send: what a poller must not read as "never sent".
    await spid.control('POST', '/faults', { station: 'station-1', route: 'POST /capture/send', kind: 'latency', latencyMs: 1500, count: 1 });
    const sent = await gw.done(SendCaptureDocument, { captureId: c.id });
    expect(sent.sendCapture.status).toBe('PROCESSING');
    await sub.waitFor((e: Ev) => e.captureStatusChanged.capture.id === c.id && e.captureStatusChanged.type === 'REPORT_READY', 20_000);
    await sleep(1000);
    expect((await sends('station-1')) - before).toBe(1);
    const steps = sub.items.filter((e) => e.captureStatusChanged.capture.id === c.id).map((e) => e.captureStatusChanged.status);
    expect(steps.filter((s) => s === 'SENDING')).toHaveLength(1);
    sub.stop();
  });

  test('a start that never reached the station stays STARTING (holding it) until the station timeout, then FAILED; the station takes a new capture', async () => {
    const station = 'station-2';
    await gw.ok(LoginOperatorDocument, { stationId: station, operatorCpf: SPID_MAGIC_CPFS.operatorOk });
    // The Verify is cut: the gateway cannot know whether the station started.
    await spid.control('POST', '/faults', { station, route: 'GET /verify/*', kind: 'reset', count: 1 });
    const verifies = async () => (await spid.counters()).byStation[station]?.byRoute['GET /verify/{cpf}'] ?? 0;
    const v0 = await verifies();
    const vars = { stationId: station, cpf: SPID_MAGIC_CPFS.matches, idempotencyKey: 'stuck-start-0001' };
    const t0 = Date.now();
    const first = await gw.request(StartPresentialCaptureDocument, vars);
    expect(first.errors?.[0]?.extensions?.['code']).toBe('UPSTREAM_UNAVAILABLE');
    // The key is kept (the station may have started): no second Verify while the outcome is open.
    const retried = await gw.request(StartPresentialCaptureDocument, vars);
    expect(userErrorAt(retried, 'startPresentialCapture').code).toBe('IDEMPOTENCY_IN_PROGRESS');
    const listed = await gw.ok(CapturesDocument, { stationId: station, first: 1 }, 'viewer');
    const stuck = listed.captures.edges[0]!.node;
    expect(stuck.status).toBe('STARTING');

    // Still within the timeout: the station is held, a second start is refused with the holder named
    // (the message is the flow's text, which names the capture by its raw key — also accepted as an id argument).
    const busy = await gw.request(StartPresentialCaptureDocument, { stationId: station, cpf: SPID_MAGIC_CPFS.matches });
    expect(userErrorAt(busy, 'startPresentialCapture')).toMatchObject({ code: 'STATION_BUSY', message: expect.stringContaining(stuck.id) });

    const failed = await eventually(async () => {
      const r = await gw.ok(CapturesDocument, { stationId: station, first: 1 }, 'viewer');
      const n = r.captures.edges[0]?.node;
      return n?.id === stuck.id && n.status === 'FAILED' ? n : null;
    }, 20_000);
    const elapsed = Date.now() - t0;
    process.stdout.write(`[measure] stuck STARTING → FAILED after ${elapsed} ms (station timeout ${SPID_TIMEOUT_MS} ms + 2000 ms margin)\n`);
    expect(elapsed).toBeGreaterThanOrEqual(SPID_TIMEOUT_MS);
    expect(failed.detail).toBe('the station never started the capture');
    // Settled: the retry with the same key gets that capture, still without a second Verify.
    const settled = await gw.done(StartPresentialCaptureDocument, vars);
    expect(settled.startPresentialCapture).toMatchObject({ id: stuck.id, status: 'FAILED' });
    expect((await verifies()) - v0).toBe(1);

    const next = await gw.done(StartPresentialCaptureDocument, { stationId: station, cpf: SPID_MAGIC_CPFS.matches, autoAdvance: false });
    expect(next.startPresentialCapture.status).toBe('CLIENT_CAPTURING');
  });
});
