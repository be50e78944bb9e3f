/**
 * Station state as data, end to end over real HTTP and WebSocket against the
 * SPID simulator: the per-station poller records online/offline and operator
 * login/logout as `station` events, captures record busy/free in their own
 * transaction, `stations` is served from the store (no station call per
 * request), and `stationStatusChanged` replays by afterSeq without gap or
 * duplicate.
 */
import { sql } from 'drizzle-orm';
import type { Client } from 'graphql-ws';
import {
  CaptureFinalityDocument,
  CaptureHoldingDocument,
  LoginOperatorDocument,
  StartPresentialCaptureDocument,
  StationStateDocument,
  StationStatesDocument,
  StationStatusChangedDocument,
  type CaptureHoldingSubscription,
  type StationStatusChangedSubscription,
} from '../__generated__/graphql';
import { SPID_MAGIC_CPFS as CPF } from '../../src/simulators/spid';
import { Collector, PdvSim, SpidSim, TestGateway, eventually } from '../helpers/gateway';

type StationMsg = StationStatusChangedSubscription;
type CaptureMsg = CaptureHoldingSubscription;

const S1 = 'station-1';
const S2 = 'station-2';
const OPERATOR_FMT = '200.000.003-70';
const OPERATOR_MASKED = '***.***.003-70';
const TIMINGS = { clientCaptureMs: 150, operatorCaptureMs: 150, verifyProcessingMs: 150, enrollProcessingMs: 300, loginSettleMs: 50 };

let spid: SpidSim;
let pdv: PdvSim;
let gw: TestGateway;
let viewerWs: Client;
/** Every station event since the gateway started, as a viewer sees it (afterSeq 0). */
let all: Collector<StationMsg>;

beforeAll(async () => {
  spid = await SpidSim.start({ stations: 2, timings: TIMINGS });
  pdv = await PdvSim.start();
  gw = await TestGateway.start({ pdvUrl: pdv.url, spidStations: spid.stationsEnv, env: { STATION_POLL_INTERVAL_MS: '200' } });
  viewerWs = await gw.wsClient('viewer');
  all = Collector.subscribe(viewerWs, StationStatusChangedDocument, { afterSeq: 0 });
}, 120_000);

afterAll(async () => {
  all?.stop();
  await viewerWs?.dispose();
  await gw?.close();
  await pdv?.close();
  await spid?.close();
});

const ev = (m: StationMsg) => m.stationStatusChanged;
const typesOf = (sub: Collector<StationMsg>, stationId: string) => sub.items.map(ev).filter((e) => e.station.code === stationId).map((e) => e.type);
const waitType = (sub: Collector<StationMsg>, stationId: string, type: string, afterSeq = 0, timeoutMs = 10_000) =>
  sub.waitFor((m) => ev(m).station.code === stationId && ev(m).type === type && ev(m).seq > afterSeq, timeoutMs, `${type} of ${stationId} after ${afterSeq}`);
const lastSeq = (sub: Collector<StationMsg>) => sub.items.at(-1)?.stationStatusChanged.seq ?? 0;

describe('station events', () => {
  test('the first polls record each station online (nobody logged in yet); the state is served from the store', async () => {
    for (const id of [S1, S2]) {
      const online = await waitType(all, id, 'STATION_ONLINE');
      expect(ev(online).station).toMatchObject({ id, connectivity: 'ONLINE', online: true, busy: false });
    }
    const { stations } = await gw.ok(StationStatesDocument, {}, 'viewer');
    expect(stations.map((s) => s.id)).toEqual([S1, S2]);
    for (const s of stations) {
      expect(s).toMatchObject({ connectivity: 'ONLINE', online: true, loginStatus: 'NOT_LOGGED_IN', loggedIn: false, operatorCpf: null, busy: false, currentCapture: null });
      expect(s.version).toBeGreaterThan(0);
      expect(Date.parse(s.lastCheckedAt!)).toBeGreaterThanOrEqual(Date.parse(s.lastChangedAt!));
    }
    // lastCheckedAt moves with every poll, changed or not; lastChangedAt and version do not.
    const before = stations[0]!;
    await eventually(async () => {
      const s = (await gw.ok(StationStateDocument, { id: S1 }, 'viewer')).station!;
      return Date.parse(s.lastCheckedAt!) > Date.parse(before.lastCheckedAt!) && s;
    }, 5_000);
    const after = (await gw.ok(StationStateDocument, { id: S1 }, 'viewer')).station!;
    expect({ lastChangedAt: after.lastChangedAt, version: after.version }).toEqual({ lastChangedAt: before.lastChangedAt, version: before.version });
  });

  test('operator login is recorded by the mutation at once; logout at the desk is seen by the poll; viewers see the CPF masked', async () => {
    const from = lastSeq(all);
    const operatorWs = await gw.wsClient('operator');
    const sub = Collector.subscribe(operatorWs, StationStatusChangedDocument, { stationId: S1 });
    await eventually(async () => gw.gw.bus.subscriberCount === 2, 5_000, 10);
    try {
      const r = await gw.ok(LoginOperatorDocument, { stationId: S1, operatorCpf: CPF.operatorOk });
      expect(r.loginOperator).toMatchObject({ status: 'OPERATOR_OK', loggedIn: true });
      // Recorded before the mutation answered: the very next read shows it, no poll interval later.
      const now = (await gw.ok(StationStateDocument, { id: S1 }, 'operator')).station!;
      expect(now).toMatchObject({ loginStatus: 'OPERATOR_OK', loggedIn: true, operatorCpf: OPERATOR_FMT });
      const inEv = ev(await waitType(sub, S1, 'OPERATOR_LOGGED_IN', from));
      expect(inEv.station).toMatchObject({ code: S1, loggedIn: true, operatorCpf: OPERATOR_FMT, loginStatus: 'OPERATOR_OK' });
      expect(inEv.station.version).toBe(inEv.seq);
      expect(ev(await waitType(all, S1, 'OPERATOR_LOGGED_IN', from)).station.operatorCpf).toBe(OPERATOR_MASKED);
      expect((await gw.ok(StationStateDocument, { id: S1 }, 'viewer')).station!.operatorCpf).toBe(OPERATOR_MASKED);

      await spid.control('POST', `/stations/${S1}/logout`);
      const outEv = ev(await waitType(sub, S1, 'OPERATOR_LOGGED_OUT', inEv.seq));
      expect(outEv.station).toMatchObject({ loggedIn: false, loginStatus: 'NOT_LOGGED_IN', operatorCpf: null, connectivity: 'ONLINE' });
      // Only the S1 events, and exactly one login and one logout (polls that saw nothing new record nothing).
      expect(sub.items.every((m) => ev(m).station.code === S1)).toBe(true);
      await new Promise((r) => setTimeout(r, 600));
      expect(typesOf(sub, S1)).toEqual(['OPERATOR_LOGGED_IN', 'OPERATOR_LOGGED_OUT']);
    } finally {
      sub.stop();
      await operatorWs.dispose();
    }
  });

  test('a station that stops answering is recorded offline, and online again when it is back', async () => {
    const from = lastSeq(all);
    await spid.control('POST', `/stations/${S2}/offline`);
    try {
      const off = ev(await waitType(all, S2, 'STATION_OFFLINE', from, 20_000));
      expect(off.station).toMatchObject({ id: S2, connectivity: 'OFFLINE', online: false });
      expect((await gw.ok(StationStateDocument, { id: S2 }, 'viewer')).station).toMatchObject({ connectivity: 'OFFLINE', online: false });
    } finally {
      await spid.control('POST', `/stations/${S2}/online`);
    }
    const on = ev(await waitType(all, S2, 'STATION_ONLINE', from, 20_000));
    expect(on.station).toMatchObject({ connectivity: 'ONLINE', online: true });
    // One OFFLINE and one ONLINE, however many polls failed or succeeded meanwhile.
    const since = all.items.map(ev).filter((e) => e.seq > from && e.station.code === S2).map((e) => e.type);
    expect(since).toEqual(['STATION_OFFLINE', 'STATION_ONLINE']);
  });

  test('busy while a capture holds the reader, free once it is sent — each in the capture step’s own transaction', async () => {
    await gw.ok(LoginOperatorDocument, { stationId: S1, operatorCpf: CPF.operatorOk });
    const from = lastSeq(all);
    const operatorWs = await gw.wsClient('operator');
    // afterSeq 0: replay then live, so nothing is missed however late the subscription registers.
    const caps = Collector.subscribe(operatorWs, CaptureHoldingDocument, { stationId: S1, afterSeq: 0 });
    try {
      const c = (await gw.done(StartPresentialCaptureDocument, { stationId: S1, cpf: CPF.matches })).startPresentialCapture;
      const done = await caps.waitFor((m) => m.captureStatusChanged.capture.id === c.id && m.captureStatusChanged.type === 'REPORT_READY', 20_000, 'REPORT_READY');
      const busy = ev(await waitType(all, S1, 'STATION_BUSY', from));
      const free = ev(await waitType(all, S1, 'STATION_FREE', busy.seq));
      expect(busy.station).toMatchObject({ busy: true, currentCapture: { id: c.id } });
      expect(free.station).toMatchObject({ busy: false, currentCapture: null });

      const steps = caps.items.map((m) => m.captureStatusChanged).filter((e) => e.capture.id === c.id);
      const starting = steps.find((e) => e.status === 'STARTING')!;
      const released = steps.find((e) => e.status === 'PROCESSING')!;
      // Same transaction: the station event directly follows the capture step that took / released the reader.
      expect(busy.seq).toBe(starting.seq + 1);
      expect(free.seq).toBe(released.seq + 1);
      // holdsStation / isFinal along the way, as the subscription delivered them.
      expect(steps.map((e) => [e.type === 'STATUS_CHANGED' ? e.status : e.type, e.capture.holdsStation, e.capture.isFinal])).toEqual([
        ['STARTING', true, false],
        ['CLIENT_CAPTURING', true, false],
        ['CLIENT_CAPTURE_DONE', true, false],
        ['OPERATOR_CAPTURING', true, false],
        ['OPERATOR_CAPTURE_DONE', true, false],
        ['SENDING', true, false],
        ['PROCESSING', false, false],
        ['SEARCH_MATCH', false, true],
        ['REPORT_READY', false, true],
      ]);
      expect(done.captureStatusChanged.capture).toMatchObject({ isFinal: true, holdsStation: false });
      const q = (await gw.ok(CaptureFinalityDocument, { id: c.id }, 'viewer')).capture!;
      expect(q).toMatchObject({ status: 'SEARCH_MATCH', isFinal: true, holdsStation: false, station: { code: S1, busy: false, currentCapture: null } });
    } finally {
      caps.stop();
      await operatorWs.dispose();
    }
  });

  test('PERSON_NOT_FOUND is final only with enrollIfNotFound off; on the way to an enroll it holds the station', async () => {
    const operatorWs = await gw.wsClient('operator');
    // afterSeq 0: replay then live, so nothing is missed however late the subscription registers.
    const caps = Collector.subscribe(operatorWs, CaptureHoldingDocument, { stationId: S1, afterSeq: 0 });
    try {
      const stop = (await gw.done(StartPresentialCaptureDocument, { stationId: S1, cpf: CPF.notRegistered, enrollIfNotFound: false })).startPresentialCapture;
      const nf = await caps.waitFor((m) => m.captureStatusChanged.capture.id === stop.id && m.captureStatusChanged.status === 'PERSON_NOT_FOUND', 10_000);
      expect(nf.captureStatusChanged.capture).toMatchObject({ isFinal: true, holdsStation: false });

      const go = (await gw.done(StartPresentialCaptureDocument, { stationId: S1, cpf: CPF.notRegistered, enrollIfNotFound: true })).startPresentialCapture;
      const nf2 = await caps.waitFor((m) => m.captureStatusChanged.capture.id === go.id && m.captureStatusChanged.status === 'PERSON_NOT_FOUND', 10_000);
      expect(nf2.captureStatusChanged.capture).toMatchObject({ isFinal: false, holdsStation: true });
      await caps.waitFor((m) => m.captureStatusChanged.capture.id === go.id && m.captureStatusChanged.status === 'ENROLLED', 20_000);
    } finally {
      caps.stop();
      await operatorWs.dispose();
    }
  });

  test('afterSeq: a replay from any point is exactly the rest of the log, no gap, no duplicate, then live', async () => {
    const seqs = all.items.map((m) => ev(m).seq);
    expect(seqs.length).toBeGreaterThanOrEqual(8);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    expect(new Set(seqs).size).toBe(seqs.length);
    const mid = seqs[Math.floor(seqs.length / 2)]!;
    const replay = Collector.subscribe(viewerWs, StationStatusChangedDocument, { afterSeq: mid });
    try {
      const expected = seqs.filter((s) => s > mid);
      await eventually(async () => replay.items.length >= expected.length, 10_000);
      expect(replay.items.map((m) => ev(m).seq).slice(0, expected.length)).toEqual(expected);
      // Then live: a new change reaches both, once.
      const from = lastSeq(all);
      await spid.control('POST', `/stations/${S2}/logout`);
      await gw.ok(LoginOperatorDocument, { stationId: S2, operatorCpf: CPF.operatorOk });
      const live = ev(await waitType(replay, S2, 'OPERATOR_LOGGED_IN', from));
      await waitType(all, S2, 'OPERATOR_LOGGED_IN', from);
      const replaySeqs = replay.items.map((m) => ev(m).seq);
      expect(new Set(replaySeqs).size).toBe(replaySeqs.length);
      expect(replaySeqs).toEqual(all.items.map((m) => ev(m).seq).filter((s) => s > mid && s <= Math.max(live.seq, ...replaySeqs)));
      expect(all.errors).toEqual([]);
    } finally {
      replay.stop();
    }
  });
});

describe('privacy', () => {
  test('retention: operator CPFs in station event snapshots past RETENTION_DAYS become pseudonyms; the live row keeps who is at the desk', async () => {
    await gw.gw.store.db.execute(sql`update events set created_at = now() - interval '400 days' where topic = 'station'`);
    const r = await gw.gw.privacy.runRetention();
    expect(r.events).toBeGreaterThanOrEqual(2);
    const adminWs = await gw.wsClient('admin');
    const replay = Collector.subscribe(adminWs, StationStatusChangedDocument, { afterSeq: 0 });
    try {
      await eventually(async () => replay.items.length >= all.items.length, 10_000);
      const named = replay.items.map(ev).filter((e) => e.station.operatorCpf !== null);
      expect(named.length).toBeGreaterThanOrEqual(2);
      for (const e of named) expect(e.station.operatorCpf).toMatch(/^pseud:[a-z2-7]{26}$/);
      expect(JSON.stringify(replay.items)).not.toContain(OPERATOR_FMT);
      // S2's operator is still logged in: the current state is operational data, not history.
      expect((await gw.ok(StationStateDocument, { id: S2 }, 'admin')).station!.operatorCpf).toBe(OPERATOR_FMT);
      // A second run finds nothing left.
      expect((await gw.gw.privacy.runRetention()).events).toBe(0);
    } finally {
      replay.stop();
      await adminWs.dispose();
    }
  });
});

describe('no station call per request', () => {
  let quietSpid: SpidSim;
  let quiet: TestGateway;
  beforeAll(async () => {
    quietSpid = await SpidSim.start({ stations: 3, timings: TIMINGS });
    // One poll at boot, then none for an hour: every Login Status call after it would be a request's.
    quiet = await TestGateway.start({ pdvUrl: pdv.url, spidStations: quietSpid.stationsEnv, env: { STATION_POLL_INTERVAL_MS: '3600000' } });
  }, 120_000);
  afterAll(async () => {
    await quiet?.close();
    await quietSpid?.close();
  });

  test('`stations` and `station(id)` make no upstream call (simulator counters)', async () => {
    await eventually(async () => (await quiet.ok(StationStatesDocument, {}, 'viewer')).stations.every((s) => s.connectivity === 'ONLINE'), 15_000);
    const polled = await quietSpid.counters();
    for (const id of ['station-1', 'station-2', 'station-3']) expect(polled.byStation[id]?.byRoute['GET /login/status']).toBe(1);
    await quietSpid.control('POST', '/counters/reset');
    const t0 = Date.now();
    for (let i = 0; i < 3; i++) await quiet.ok(StationStatesDocument, {}, 'viewer');
    await quiet.ok(StationStateDocument, { id: 'station-2' }, 'viewer');
    const ms = Date.now() - t0;
    expect((await quietSpid.counters()).total).toBe(0);
    process.stdout.write(`[measure] 3× stations + 1× station(id) over 3 stations: ${ms} ms, 0 upstream calls\n`);
  });
});
