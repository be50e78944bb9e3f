/**
 * The combined `events` feed: one resume position for a whole dashboard.
 * A proof of life and presential captures run against the simulators while
 * feeds listen live, replay with `afterSeq` (before, during and after the
 * flows), filter by kind, station and CPF, and resume after a dropped socket
 * with `connectionParams.afterSeq` only. The truth each feed is held to is
 * the per-kind subscriptions (`transactionResponseChanged`,
 * `captureStatusChanged`, `stationStatusChanged`) replayed from the same
 * position and merged by seq, checked against the event log itself.
 *
 * Station events come from logins, capture steps (busy/free) and the station
 * poller, which may record at any moment. So no count of them is fixed: every
 * feed is compared, up to a seq `upto`, with the truth read after the fact;
 * a feed that joined live is held exactly only from the position read once it
 * was listening (`settled`) — before that it may have caught an event or not.
 */
import { print } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import {
  EventsDocument,
  LoginOperatorDocument,
  RequestProofOfLifeDocument,
  StartPresentialCaptureDocument,
  type EventsSubscription,
  type EventsSubscriptionVariables,
} from '../__generated__/graphql';
import { parseGlobalId, toGlobalId } from '../../resolvers/global-id';
import { PDV_MAGIC_CPFS } from '../../src/simulators/provaDeVida';
import { SPID_MAGIC_CPFS } from '../../src/simulators/spid';
import { Collector, PdvSim, SpidSim, TestGateway, eventually, sleep } from '../helpers/gateway';

type Ev = EventsSubscription['events'];
type Msg = { events: Ev };

/** Known to both simulators: PDV authorizes it, SPID matches it. */
const PERSON = PDV_MAGIC_CPFS.authorizes;
const PERSON_FMT = '100.000.001-08';
/** Any other valid CPF matches at a SPID station. */
const OTHER = '52998224725';

let pdv: PdvSim;
let spid: SpidSim;
let gw: TestGateway;
let ws: Client;

beforeAll(async () => {
  // Slow enough answers that the flows interleave and outlive a dropped socket.
  pdv = await PdvSim.start({ answerAfterMs: 2500 });
  spid = await SpidSim.start({ timings: { clientCaptureMs: 400, operatorCaptureMs: 400, verifyProcessingMs: 400, loginSettleMs: 20 } });
  gw = await TestGateway.start({ pdvUrl: pdv.url, spidStations: spid.stationsEnv });
  for (const stationId of ['station-1', 'station-2']) await gw.ok(LoginOperatorDocument, { stationId, operatorCpf: SPID_MAGIC_CPFS.operatorOk });
  ws = await gw.wsClient('viewer');
}, 60_000);

afterAll(async () => {
  await ws?.dispose();
  await gw?.close();
  await spid?.close();
  await pdv?.close();
});

async function gql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const res = await fetch(gw.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await gw.token('viewer')}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: unknown };
  if (!body.data || body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

const cursor = () => gql<{ eventCursor: number }>('{ eventCursor }').then((d) => d.eventCursor);
const seqs = (c: Collector<Msg>) => c.items.map((m) => m.events.seq);
/** A station's configured id from its global id (station ids in payloads are global). */
const codeOf = (id: string) => parseGlobalId(id)?.key ?? id;
const entityOf = (e: Ev) => (e.__typename === 'TransactionEvent' ? e.transaction.id : e.__typename === 'CaptureEvent' ? e.capture.id : `station:${codeOf(e.station.id)}`);
const FEED_TOPICS = new Set(['transaction', 'capture', 'station']);

interface Truth {
  transactions: number[];
  captures: { seq: number; stationId: string; cpf: string }[];
  stations: { seq: number; stationId: string; type: string }[];
}
const allOf = (t: Truth) => sorted([...t.transactions, ...t.captures.map((c) => c.seq), ...t.stations.map((s) => s.seq)]);

/** Per-kind replays after `afterSeq` up to `upto`: what the combined feed must equal, once merged by seq. */
async function perKind(afterSeq: number, upto: number): Promise<Truth> {
  const collect = async <T>(query: string, pick: (d: Record<string, T>) => T, seqOf: (t: T) => number): Promise<T[]> => {
    const out: T[] = [];
    await new Promise<void>((resolve, reject) => {
      // Nothing of this kind up to `upto`: the replay sends nothing; give it time, then stop.
      const timer = setTimeout(() => {
        stop();
        resolve();
      }, 3000);
      const stop = ws.subscribe<Record<string, T>>(
        { query, variables: { a: afterSeq } },
        {
          next: (m) => {
            if (!m.data) return;
            const t = pick(m.data);
            if (seqOf(t) <= upto) out.push(t);
            if (seqOf(t) >= upto) {
              clearTimeout(timer);
              stop();
              resolve();
            }
          },
          error: reject,
          complete: resolve,
        },
      );
    });
    return out;
  };
  const txs = await collect<{ seq: number }>('subscription($a: SafeInt) { transactionResponseChanged(afterSeq: $a) { seq } }', (d) => d['transactionResponseChanged']!, (t) => t.seq);
  const caps = await collect<{ seq: number; capture: { stationId: string; cpf: string } }>(
    'subscription($a: SafeInt) { captureStatusChanged(afterSeq: $a) { seq capture { stationId cpf } } }',
    (d) => d['captureStatusChanged']!,
    (t) => t.seq,
  );
  const stations = await collect<{ seq: number; type: string; station: { id: string } }>(
    'subscription($a: SafeInt) { stationStatusChanged(afterSeq: $a) { seq type station { id } } }',
    (d) => d['stationStatusChanged']!,
    (t) => t.seq,
  );
  const truth: Truth = {
    transactions: txs.map((t) => t.seq),
    captures: caps.map((c) => ({ seq: c.seq, stationId: codeOf(c.capture.stationId), cpf: c.capture.cpf })),
    stations: stations.map((s) => ({ seq: s.seq, stationId: codeOf(s.station.id), type: s.type })),
  };
  // The per-kind feeds together are exactly the log's events of the feed's kinds (nothing lost between them).
  const log = (await gw.gw.store.eventsAfter(afterSeq, 100_000)).filter((e) => FEED_TOPICS.has(e.topic) && e.seq <= upto).map((e) => e.seq);
  expect(allOf(truth)).toEqual(log);
  return truth;
}

/** Waits until the feed has reached `upto` (events of every kind may still follow), then its seqs up to there. */
async function upTo(c: Collector<Msg>, upto: number, what = 'upto'): Promise<number[]> {
  await c.waitFor((m) => m.events.seq >= upto, 20_000, `${what}: seq ${upto}`);
  return want(c, upto);
}

/**
 * A feed subscribed without afterSeq listens from when the bus registered it:
 * exact after `settled` (the cursor read once it was registered), and before
 * that only events of `expected`, once and in order.
 */
async function expectLive(c: Collector<Msg>, expected: number[], settled: number, upto: number, what: string): Promise<void> {
  const got = expected.some((s) => s > settled) ? await upTo(c, expected.at(-1)!, what) : want(c, upto);
  expect({ what, after: got.filter((s) => s > settled) }).toEqual({ what, after: expected.filter((s) => s > settled) });
  expect({ what, before: got.filter((s) => s <= settled) }).toEqual({ what, before: expected.filter((s) => s <= settled && got.includes(s)) });
  expect(got).toEqual(sorted([...new Set(got)]));
}

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);

/** Starts a proof of life for PERSON and presential captures for PERSON at station-1 and OTHER at station-2; resolves when all are final. */
async function runFlows(): Promise<{ transactionId: string; captureIds: string[] }> {
  const [t, c1, c2] = await Promise.all([
    gw.done(RequestProofOfLifeDocument, { input: { cpf: PERSON, reason: 'recadastramento' } }),
    gw.done(StartPresentialCaptureDocument, { stationId: 'station-1', cpf: PERSON }),
    gw.done(StartPresentialCaptureDocument, { stationId: 'station-2', cpf: OTHER }),
  ]);
  return { transactionId: t.requestProofOfLife.id, captureIds: [c1.startPresentialCapture.id, c2.startPresentialCapture.id] };
}

/** Both flows final and both stations released: the window every check reads up to. */
function isFinished(got: readonly Ev[], ids: { transactionId: string; captureIds: string[] }): boolean {
  const last = new Map<string, Ev>();
  for (const e of got) last.set(entityOf(e), e);
  const t = last.get(ids.transactionId);
  const flows =
    t?.__typename === 'TransactionEvent' &&
    t.transaction.status === 'AUTHORIZED' &&
    ids.captureIds.every((id) => {
      const e = last.get(id);
      return e?.__typename === 'CaptureEvent' && e.captureEvent === 'REPORT_READY';
    });
  // The release is recorded with the capture step that ends the hold, at a higher seq than that step.
  const released = ['station-1', 'station-2'].every((id) => {
    const e = last.get(`station:${id}`);
    return e?.__typename === 'StationEvent' && !e.station.busy && got.some((x) => x.__typename === 'StationEvent' && codeOf(x.station.id) === id && x.stationEvent === 'STATION_FREE');
  });
  return flows && released;
}

async function finished(c: Collector<Msg>, ids: { transactionId: string; captureIds: string[] }): Promise<void> {
  await eventually(async () => isFinished(c.items.map((m) => m.events), ids), 60_000, 50);
}

function sub(vars: EventsSubscriptionVariables, client: Client = ws): Collector<Msg> {
  return Collector.subscribe(client, EventsDocument, vars);
}

test('one feed across transactions, captures and stations: live, replayed before, during and after the flows — all the same events, in seq order, once', async () => {
  const start = await cursor();
  const before = gw.gw.bus.subscriberCount;
  const live = sub({});
  const replayFirst = sub({ afterSeq: start });
  const stationOnly = sub({ kinds: ['STATION'] });
  await eventually(async () => gw.gw.bus.subscriberCount === before + 3, 5_000, 10);
  const settled = await cursor();

  const ids = await runFlows();
  // Joins while the flows run: replays what it missed, then goes live, without gap or duplicate.
  await live.waitFor((m) => m.events.__typename === 'CaptureEvent' && m.events.status === 'CLIENT_CAPTURING', 20_000);
  const replayDuring = sub({ afterSeq: start });
  await finished(live, ids);
  const upto = live.items.at(-1)!.events.seq;
  const truth = await perKind(start, upto);
  const expected = allOf(truth);
  // A proof of life (REQUESTING, PENDING, AUTHORIZED) and two full presential verifies, each holding then releasing its station.
  expect(truth.transactions).toHaveLength(3);
  expect(truth.captures.length).toBeGreaterThanOrEqual(16);
  for (const stationId of ['station-1', 'station-2']) {
    const types = truth.stations.filter((e) => e.stationId === stationId).map((e) => e.type);
    expect({ stationId, busyThenFree: types.filter((t) => t === 'STATION_BUSY' || t === 'STATION_FREE') }).toEqual({ stationId, busyThenFree: ['STATION_BUSY', 'STATION_FREE'] });
  }

  for (const [name, c] of [['replayFirst', replayFirst], ['replayDuring', replayDuring]] as const) {
    expect({ name, seqs: await upTo(c, upto, name), errors: c.errors }).toEqual({ name, seqs: expected, errors: [] });
  }
  expect(live.errors).toEqual([]);
  await expectLive(live, expected, settled, upto, 'live');
  // Replayed (not live) from the log, equal payloads.
  const after = sub({ afterSeq: start });
  await upTo(after, upto, 'after');
  const upToItems = (c: Collector<Msg>) => c.items.filter((m) => m.events.seq <= upto);
  expect(upToItems(after).filter((m) => m.events.seq > settled)).toEqual(upToItems(live).filter((m) => m.events.seq > settled));
  expect(upToItems(after).map((m) => m.events.seq)).toEqual(expected);
  expect(live.items.filter((m) => m.events.__typename === 'TransactionEvent').map((m) => (m.events.__typename === 'TransactionEvent' ? m.events.transaction.status : null))).toEqual([
    'REQUESTING',
    'PENDING',
    'AUTHORIZED',
  ]);
  // STATION alone: exactly the station events, typed as such; the viewer reads the operator's CPF masked.
  expect(stationOnly.errors).toEqual([]);
  await expectLive(stationOnly, truth.stations.map((e) => e.seq), settled, upto, 'stationOnly');
  expect(stationOnly.items.every((m) => m.events.__typename === 'StationEvent')).toBe(true);
  for (const m of after.items) {
    if (m.events.__typename !== 'StationEvent') continue;
    expect(m.events.station.operatorCpf === null || m.events.station.operatorCpf.startsWith('***.***.')).toBe(true);
  }
  expect(after.items.some((m) => m.events.__typename === 'StationEvent' && m.events.stationEvent === 'STATION_BUSY' && m.events.station.busy)).toBe(true);
  for (const c of [live, replayFirst, replayDuring, after, stationOnly]) c.stop();
}, 120_000);

test('kinds, stationId and cpf filters are exact (replayed and live alike)', async () => {
  const start = await cursor();
  const before = gw.gw.bus.subscriberCount;
  const liveCaptures = sub({ kinds: ['CAPTURE'] });
  const liveStation2 = sub({ stationId: toGlobalId('Station', 'station-2') });
  await eventually(async () => gw.gw.bus.subscriberCount === before + 2, 5_000, 10);
  const settled = await cursor();
  const ids = await runFlows();
  const all = sub({ afterSeq: start });
  await finished(all, ids);
  const upto = all.items.at(-1)!.events.seq;
  const truth = await perKind(start, upto);
  const captureSeqs = truth.captures.map((c) => c.seq);
  const stationSeqs = (id?: string) => truth.stations.filter((e) => !id || e.stationId === id).map((e) => e.seq);
  const atStation = (id: string) => sorted([...truth.captures.filter((c) => c.stationId === id).map((c) => c.seq), ...stationSeqs(id)]);
  // Both stations were held and released in this window, so no station case below is trivially empty.
  expect(stationSeqs('station-1').length).toBeGreaterThanOrEqual(2);
  expect(stationSeqs('station-2').length).toBeGreaterThanOrEqual(2);

  const cases: [string, EventsSubscriptionVariables, number[]][] = [
    ['TRANSACTION', { kinds: ['TRANSACTION'] }, truth.transactions],
    ['CAPTURE', { kinds: ['CAPTURE'] }, captureSeqs],
    ['STATION', { kinds: ['STATION'] }, stationSeqs()],
    ['all kinds listed', { kinds: ['CAPTURE', 'TRANSACTION', 'STATION'] }, allOf(truth)],
    ['TRANSACTION and STATION', { kinds: ['TRANSACTION', 'STATION'] }, sorted([...truth.transactions, ...stationSeqs()])],
    // Transactions have no station: a station filter leaves that station's captures and its own events.
    ['station-2 (raw id)', { stationId: 'station-2' }, atStation('station-2')],
    ['station-1 (global id)', { stationId: toGlobalId('Station', 'station-1') }, atStation('station-1')],
    ['station-1 and STATION', { stationId: 'station-1', kinds: ['STATION'] }, stationSeqs('station-1')],
    ['station-1 and TRANSACTION', { stationId: 'station-1', kinds: ['TRANSACTION'] }, []],
    // The person's proof of life and their capture (at station-1); not OTHER's capture (the viewer reads CPFs masked), no station event.
    ['cpf', { cpf: PERSON }, sorted([...truth.transactions, ...truth.captures.filter((c) => c.cpf === '***.***.001-08').map((c) => c.seq)])],
    ['cpf and STATION', { cpf: PERSON, kinds: ['STATION'] }, []],
    ['cpf and station-2', { cpf: PERSON, stationId: 'station-2' }, []],
  ];
  for (const [name, vars, want] of cases) {
    const c = sub({ ...vars, afterSeq: start });
    // Every case's replay ends well before `upto`'s wait: wait for its last expected seq, then a little more.
    if (want.length) await c.waitFor((m) => m.events.seq === want.at(-1), 10_000, name);
    await sleep(300);
    c.stop();
    expect({ name, seqs: seqs(c).filter((s) => s <= upto), errors: c.errors }).toEqual({ name, seqs: want, errors: [] });
  }
  await expectLive(liveCaptures, captureSeqs, settled, upto, 'liveCaptures');
  await expectLive(liveStation2, atStation('station-2'), settled, upto, 'liveStation2');
  expect(
    liveStation2.items.every((m) => (m.events.__typename === 'CaptureEvent' && codeOf(m.events.capture.stationId) === 'station-2') || (m.events.__typename === 'StationEvent' && codeOf(m.events.station.id) === 'station-2')),
  ).toBe(true);
  expect(liveStation2.items.some((m) => m.events.__typename === 'StationEvent')).toBe(true);
  expect(liveCaptures.errors).toEqual([]);
  expect(liveStation2.errors).toEqual([]);
  for (const c of [liveCaptures, liveStation2, all]) c.stop();

  // An empty kinds list asks for nothing: refused, naming the argument.
  const empty = sub({ kinds: [] });
  await eventually(async () => empty.errors.length > 0, 5_000);
  expect(JSON.stringify(empty.errors)).toContain('"fields":{"kinds":');
  expect(JSON.stringify(empty.errors)).toContain('BAD_USER_INPUT');
}, 120_000);

function want(c: Collector<Msg>, upto: number): number[] {
  return seqs(c).filter((s) => s <= upto);
}

test('viewer masking and shared execution: one execution group per document and role', async () => {
  const start = await cursor();
  const operatorWs = await gw.wsClient('operator');
  try {
    const a = sub({ afterSeq: start, cpf: PERSON });
    const b = sub({ afterSeq: start, cpf: PERSON });
    const op = sub({ afterSeq: start, cpf: PERSON }, operatorWs);
    // a and b (same document, variables but afterSeq, role) share one execution; the operator has its own.
    await eventually(async () => gw.gw.server.fanout.groupSizes().includes(2), 5_000, 10);
    const ids = await runFlows();
    await eventually(async () => [a, b, op].every((c) => c.items.some((m) => m.events.__typename === 'TransactionEvent' && m.events.transaction.id === ids.transactionId && m.events.transaction.status === 'AUTHORIZED')), 60_000);
    // A cpf filter carries no station event (an operator is not the citizen asked about).
    const cpfs = (c: Collector<Msg>) =>
      new Set(c.items.map((m) => (m.events.__typename === 'TransactionEvent' ? m.events.transaction.cpf : m.events.__typename === 'CaptureEvent' ? m.events.capture.cpf : 'a station event')));
    expect(cpfs(a)).toEqual(new Set(['***.***.001-08']));
    expect(cpfs(op)).toEqual(new Set([PERSON_FMT]));
    expect(a.items.length).toBeGreaterThanOrEqual(3);
    expect(seqs(a)).toEqual(seqs(b));
    for (const c of [a, b, op]) c.stop();
  } finally {
    await operatorWs.dispose();
  }
}, 120_000);

test('resume after a dropped socket with connectionParams.afterSeq only: every event once, in seq order', async () => {
  const start = await cursor();
  const token = await gw.token('viewer');
  // Only this client's sockets are dropped (the file's shared client does not retry).
  const others = new Set(gw.gw.server.wsServer.clients);
  const drop = () => {
    for (const s of gw.gw.server.wsServer.clients) if (!others.has(s)) s.terminate();
  };
  let highest = start;
  let connects = 0;
  const client = createClient({
    url: gw.gw.server.wsUrl,
    webSocketImpl: WebSocket,
    // What Apollo's and urql's links do: called on every (re)connect, hands over the highest seq seen.
    connectionParams: () => ({ authorization: `Bearer ${token}`, afterSeq: highest }),
    retryAttempts: 10,
    shouldRetry: () => true,
    retryWait: () => sleep(300),
    on: { connected: () => void connects++ },
  });
  const got: Ev[] = [];
  const stop = client.subscribe<Msg>(
    { query: print(EventsDocument), variables: {} },
    {
      next: (m) => {
        if (!m.data) return;
        got.push(m.data.events);
        highest = Math.max(highest, m.data.events.seq);
      },
      error: () => undefined,
      complete: () => undefined,
    },
  );
  try {
    await eventually(async () => connects === 1);
    const ids = await runFlows();
    await eventually(async () => got.length >= 3, 20_000);
    // Dropped twice while every kind keeps producing events.
    drop();
    await sleep(800);
    await eventually(async () => connects >= 2, 10_000);
    await eventually(async () => got.some((e) => e.__typename === 'CaptureEvent' && e.status === 'SEARCH_MATCH'), 30_000);
    drop();
    await eventually(async () => isFinished(got, ids), 60_000);
    expect(connects).toBeGreaterThanOrEqual(3);
    const upto = got.at(-1)!.seq;
    const truth = await perKind(start, upto);
    // Events after `upto` (a poll) may arrive meanwhile: held up to `upto`, which every kind reached.
    expect(got.map((e) => e.seq).filter((s) => s <= upto)).toEqual(allOf(truth));
    expect(new Set(got.map((e) => e.__typename))).toEqual(new Set(['TransactionEvent', 'CaptureEvent', 'StationEvent']));
  } finally {
    stop();
    await client.dispose();
  }
}, 120_000);
