/**
 * The gateway stops in the middle of a capture and starts again on the same
 * DATA_DIR, against the same (standalone-like) SPID simulator: the open
 * capture is watched again and finishes, and a subscriber that reconnects
 * with `afterSeq` = the last seq it saw gets every step it missed exactly
 * once, in order.
 *
 * Two stops, one gateway after the other on one data dir:
 * 1. while the station holds the capture (station paused at CLIENT_CAPTURING;
 *    the desk finishes the client capture while the gateway is down), so the
 *    restarted gateway must drive operator capture, send, result and report;
 * 2. while an enroll is PROCESSING (slow central server), so it must pick up
 *    result polling.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from 'graphql-ws';
import {
  CaptureDocument,
  CaptureStatusChangedDocument,
  EnrollDocument,
  LoginOperatorDocument,
  type CaptureStatusChangedSubscription,
} from '../__generated__/graphql';
import { SPID_MAGIC_CPFS as CPF } from '../../src/simulators/spid';
import { Collector, PdvSim, SpidSim, TestGateway, eventually, sleep } from '../helpers/gateway';

type Ev = CaptureStatusChangedSubscription['captureStatusChanged'];
type Msg = { captureStatusChanged: Ev };

const STATION = 'station-1';
const ENROLL_FLOW = [
  'STARTING',
  'CLIENT_CAPTURING',
  'CLIENT_CAPTURE_DONE',
  'OPERATOR_CAPTURING',
  'OPERATOR_CAPTURE_DONE',
  'SENDING',
  'PROCESSING',
  'ENROLLED',
  'REPORT_READY',
];

let spid: SpidSim;
let pdv: PdvSim;
const dataDir = mkdtempSync(join(tmpdir(), 'gw-capture-restart-'));
/** The gateway that is up between tests (the next test stops it). */
let current: TestGateway | null = null;

beforeAll(async () => {
  spid = await SpidSim.start({
    stations: 1,
    timings: { clientCaptureMs: 150, operatorCaptureMs: 150, verifyProcessingMs: 150, enrollProcessingMs: 300, loginSettleMs: 50 },
  });
  pdv = await PdvSim.start();
});
afterAll(async () => {
  await current?.close({ keepData: true });
  await pdv?.close();
  await spid?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const label = (e: Pick<Ev, 'type' | 'status'>) => (e.type === 'STATUS_CHANGED' ? e.status : e.type);
const steps = (sub: Collector<Msg>) => sub.items.map((m) => label(m.captureStatusChanged));
const seqs = (sub: Collector<Msg>) => sub.items.map((m) => m.captureStatusChanged.seq);

async function start(): Promise<TestGateway> {
  const t0 = Date.now();
  const gw = await TestGateway.start({ pdvUrl: pdv.url, spidStations: spid.stationsEnv, dataDir });
  process.stdout.write(`[measure] gateway boot on ${dataDir}: ${Date.now() - t0} ms, resumed ${JSON.stringify(gw.gw.resumed)}\n`);
  return gw;
}

async function subscribe(gw: TestGateway, ws: Client, vars: { captureId?: string; stationId?: string; afterSeq?: number }): Promise<Collector<Msg>> {
  const before = gw.gw.bus.subscriberCount;
  const sub = Collector.subscribe(ws, CaptureStatusChangedDocument, vars);
  await eventually(async () => gw.gw.bus.subscriberCount > before, 5_000, 10);
  return sub;
}

async function simCapture(): Promise<string> {
  const list = await spid.control<{ id: string; capture: { status: string } }[]>('GET', '/stations');
  return list.find((s) => s.id === STATION)!.capture.status;
}

/**
 * Reconnects to `gw` with afterSeq = `lastSeq`, waits for the end, and checks
 * that exactly the missed steps arrive, once each, in order, and that with
 * what the first subscriber saw they make the whole flow.
 */
async function expectResumed(gw: TestGateway, captureId: string, seen: string[], lastSeq: number, t0: number, name: string): Promise<void> {
  const missed = ENROLL_FLOW.slice(seen.length);
  expect([...seen, ...missed]).toEqual(ENROLL_FLOW);
  const ws = await gw.wsClient('viewer');
  try {
    const sub = await subscribe(gw, ws, { captureId, afterSeq: lastSeq });
    await sub.waitFor((m) => m.captureStatusChanged.type === 'REPORT_READY', 15_000, 'REPORT_READY');
    const ms = Date.now() - t0;
    await sleep(800); // further polls, late replays: nothing may arrive twice
    expect(steps(sub)).toEqual(missed);
    const s = seqs(sub);
    expect(s[0]).toBeGreaterThan(lastSeq);
    expect(s).toEqual([...s].sort((a, b) => a - b));
    expect(new Set(s).size).toBe(s.length);
    expect(sub.errors).toEqual([]);
    sub.stop();

    const q = (await gw.ok(CaptureDocument, { id: captureId }, 'viewer')).capture!;
    expect(q).toMatchObject({ status: 'ENROLLED', result: 'ENROLLED', kind: 'ENROLL', sendOutcome: 'CAPTURE_ENQUEUED' });
    expect(q.report?.size).toBeGreaterThan(0);
    expect(q.history.map(label)).toEqual(ENROLL_FLOW);
    expect(gw.gw.scheduler.watchedCount('capture')).toBe(0);
    const c = await spid.counters();
    process.stdout.write(`[measure] ${name}: ${ms} ms from the stop to REPORT_READY on the new gateway; SPID calls since the start ${c.total}\n`);
  } finally {
    await ws.dispose();
  }
}

test('stopped while the station holds the capture: the restarted gateway drives it to ENROLLED; afterSeq replays the missed steps once', async () => {
  const gw1 = await start();
  current = gw1;
  expect(gw1.gw.resumed.captures).toBe(0);
  const login = await gw1.ok(LoginOperatorDocument, { stationId: STATION, operatorCpf: CPF.operatorOk });
  expect(login.loginOperator!.loggedIn).toBe(true);

  // The desk is slow today: the client capture finishes only when the test resumes the station.
  await spid.control('POST', `/stations/${STATION}/pause`);
  await spid.control('POST', '/counters/reset');
  const ws1 = await gw1.wsClient('viewer');
  const sub1 = await subscribe(gw1, ws1, { stationId: STATION });
  const { enroll: c } = await gw1.done(EnrollDocument, { stationId: STATION, cpf: CPF.matches });
  expect(c.status).toBe('CLIENT_CAPTURING');
  await sub1.waitFor((m) => m.captureStatusChanged.status === 'CLIENT_CAPTURING', 5_000, 'CLIENT_CAPTURING');
  await sleep(300);
  const seen = steps(sub1);
  expect(seen).toEqual(['STARTING', 'CLIENT_CAPTURING']);
  const lastSeq = Math.max(...seqs(sub1));
  sub1.stop();
  await ws1.dispose();

  const t0 = Date.now();
  await gw1.close({ keepData: true });
  current = null;

  // While the gateway is down the client capture finishes at the desk.
  await spid.control('POST', `/stations/${STATION}/resume`);
  await eventually(async () => (await simCapture()) === 'CLIENT_CAPTURE_DONE', 5_000);

  const gw2 = await start();
  current = gw2;
  expect(gw2.gw.resumed).toEqual({ transactions: 0, captures: 1 });
  await expectResumed(gw2, c.id, seen, lastSeq, t0, 'restart while CLIENT_CAPTURING (station paused)');
  const counters = await spid.counters();
  expect(counters.byStation[STATION]?.byRoute['POST /capture/send']).toBe(1);
  expect(counters.byStation[STATION]?.byRoute['POST /capture/operator']).toBe(1);
});

test('stopped while an enroll is PROCESSING: the restarted gateway polls the result again; afterSeq replays ENROLLED and REPORT_READY once', async () => {
  const gw2 = current!;
  await spid.control('PUT', '/config', { timings: { enrollProcessingMs: 4000 } });
  try {
    await spid.control('POST', '/counters/reset');
    const ws = await gw2.wsClient('viewer');
    const sub = await subscribe(gw2, ws, { stationId: STATION });
    const { enroll: c } = await gw2.done(EnrollDocument, { stationId: STATION, cpf: CPF.noMatch });
    await sub.waitFor((m) => m.captureStatusChanged.capture.id === c.id && m.captureStatusChanged.status === 'PROCESSING', 10_000, 'PROCESSING');
    await sleep(300);
    const seen = steps(sub);
    expect(seen).toEqual(ENROLL_FLOW.slice(0, 7));
    const lastSeq = Math.max(...seqs(sub));
    sub.stop();
    await ws.dispose();

    const t0 = Date.now();
    await gw2.close({ keepData: true });
    current = null;

    const gw3 = await start();
    current = gw3;
    expect(gw3.gw.resumed).toEqual({ transactions: 0, captures: 1 });
    await expectResumed(gw3, c.id, seen, lastSeq, t0, 'restart while PROCESSING (slow enroll)');
    // Nothing was sent twice across the restart.
    const counters = await spid.counters();
    expect(counters.byStation[STATION]?.byRoute['POST /capture/send']).toBe(1);
  } finally {
    await spid.control('PUT', '/config', { timings: { enrollProcessingMs: 300 } });
  }
});
