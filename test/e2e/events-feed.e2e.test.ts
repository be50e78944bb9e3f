/**
 * The combined `events` feed: one resume position for a whole dashboard.
 * A proof of life and presential captures run against the simulators while
 * feeds listen live, replay with `afterSeq` (before, during and after the
 * flows), filter by kind, station and CPF, and resume after a dropped socket
 * with `connectionParams.afterSeq` only. The truth each feed is held to is
 * the per-kind subscriptions (`transactionResponseChanged`,
 * `captureStatusChanged`) replayed from the same position and merged by seq.
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
import { toGlobalId } from '../../resolvers/global-id';
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
const entityOf = (e: Ev) => (e.__typename === 'TransactionEvent' ? e.transaction.id : e.capture.id);

/** Per-kind replays after `afterSeq` up to `upto`: what the combined feed must equal, once merged by seq. */
async function perKind(afterSeq: number, upto: number): Promise<{ transactions: number[]; captures: { seq: number; stationId: string; cpf: string }[] }> {
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
  return { transactions: txs.map((t) => t.seq), captures: caps.map((c) => ({ seq: c.seq, stationId: c.capture.stationId, cpf: c.capture.cpf })) };
}

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);

/** Starts a proof of life for PERSON and presential captures for PERSON at station-1 and OTHER at station-2; resolves when all are final. */
async function runFlows(): Promise<{ transactionId: string; captureIds: string[] }> {
  const [t, c1, c2] = await Promise.all([
    gw.ok(RequestProofOfLifeDocument, { input: { cpf: PERSON, reason: 'recadastramento' } }),
    gw.ok(StartPresentialCaptureDocument, { stationId: 'station-1', cpf: PERSON }),
    gw.ok(StartPresentialCaptureDocument, { stationId: 'station-2', cpf: OTHER }),
  ]);
  return { transactionId: t.requestProofOfLife.id, captureIds: [c1.startPresentialCapture.id, c2.startPresentialCapture.id] };
}

async function finished(c: Collector<Msg>, ids: { transactionId: string; captureIds: string[] }): Promise<void> {
  await eventually(
    async () => {
      const last = new Map<string, Ev>();
      for (const m of c.items) last.set(entityOf(m.events), m.events);
      const t = last.get(ids.transactionId);
      return t?.__typename === 'TransactionEvent' && t.transaction.status === 'AUTHORIZED' && ids.captureIds.every((id) => {
        const e = last.get(id);
        return e?.__typename === 'CaptureEvent' && e.captureEvent === 'REPORT_READY';
      });
    },
    60_000,
    50,
  );
}

function sub(vars: EventsSubscriptionVariables, client: Client = ws): Collector<Msg> {
  return Collector.subscribe(client, EventsDocument, vars);
}

test('one feed across transactions and captures: live, replayed before, during and after the flows — all the same events, in seq order, once', async () => {
  const start = await cursor();
  const before = gw.gw.bus.subscriberCount;
  const live = sub({});
  const replayFirst = sub({ afterSeq: start });
  const stationOnly = sub({ kinds: ['STATION'] });
  await eventually(async () => gw.gw.bus.subscriberCount === before + 3, 5_000, 10);

  const ids = await runFlows();
  // Joins while the flows run: replays what it missed, then goes live, without gap or duplicate.
  await live.waitFor((m) => m.events.__typename === 'CaptureEvent' && m.events.status === 'CLIENT_CAPTURING', 20_000);
  const replayDuring = sub({ afterSeq: start });
  await finished(live, ids);
  await finished(replayDuring, ids);
  await finished(replayFirst, ids);
  const upto = live.items.at(-1)!.events.seq;
  const truth = await perKind(start, upto);
  const expected = sorted([...truth.transactions, ...truth.captures.map((c) => c.seq)]);
  // A proof of life (REQUESTING, REQUESTED, AUTHORIZED) and two full presential verifies.
  expect(truth.transactions).toHaveLength(3);
  expect(truth.captures.length).toBeGreaterThanOrEqual(16);

  for (const c of [live, replayFirst, replayDuring]) {
    expect(c.errors).toEqual([]);
    expect(seqs(c)).toEqual(expected);
  }
  // Replayed (not live) from the log, equal payloads.
  const after = sub({ afterSeq: start });
  await finished(after, ids);
  expect(after.items).toEqual(live.items);
  expect(live.items.filter((m) => m.events.__typename === 'TransactionEvent').map((m) => (m.events.__typename === 'TransactionEvent' ? m.events.transaction.status : null))).toEqual([
    'REQUESTING',
    'PENDING',
    'AUTHORIZED',
  ]);
  // STATION is accepted and, until station events are recorded, matches nothing.
  expect(stationOnly.items).toEqual([]);
  expect(stationOnly.errors).toEqual([]);
  for (const c of [live, replayFirst, replayDuring, after, stationOnly]) c.stop();
}, 120_000);

test('kinds, stationId and cpf filters are exact (replayed and live alike)', async () => {
  const start = await cursor();
  const before = gw.gw.bus.subscriberCount;
  const liveCaptures = sub({ kinds: ['CAPTURE'] });
  const liveStation2 = sub({ stationId: toGlobalId('Station', 'station-2') });
  await eventually(async () => gw.gw.bus.subscriberCount === before + 2, 5_000, 10);
  const ids = await runFlows();
  const all = sub({ afterSeq: start });
  await finished(all, ids);
  const upto = all.items.at(-1)!.events.seq;
  const truth = await perKind(start, upto);
  const captureSeqs = truth.captures.map((c) => c.seq);

  const cases: [string, EventsSubscriptionVariables, number[]][] = [
    ['TRANSACTION', { kinds: ['TRANSACTION'] }, truth.transactions],
    ['CAPTURE', { kinds: ['CAPTURE'] }, captureSeqs],
    ['both kinds listed', { kinds: ['CAPTURE', 'TRANSACTION', 'STATION'] }, sorted([...truth.transactions, ...captureSeqs])],
    // Transactions have no station: a station filter leaves only that station's captures.
    ['station-2 (raw id)', { stationId: 'station-2' }, truth.captures.filter((c) => c.stationId === 'station-2').map((c) => c.seq)],
    ['station-1 and TRANSACTION', { stationId: 'station-1', kinds: ['TRANSACTION'] }, []],
    // The person's proof of life and their capture (at station-1); not OTHER's capture (the viewer reads CPFs masked).
    ['cpf', { cpf: PERSON }, sorted([...truth.transactions, ...truth.captures.filter((c) => c.cpf === '***.***.001-08').map((c) => c.seq)])],
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
  expect(want(liveCaptures, upto)).toEqual(captureSeqs);
  expect(want(liveStation2, upto)).toEqual(truth.captures.filter((c) => c.stationId === 'station-2').map((c) => c.seq));
  expect(liveStation2.items.every((m) => m.events.__typename === 'CaptureEvent' && m.events.capture.stationId === 'station-2')).toBe(true);
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
    const cpfs = (c: Collector<Msg>) => new Set(c.items.map((m) => (m.events.__typename === 'TransactionEvent' ? m.events.transaction.cpf : m.events.capture.cpf)));
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
    // Dropped twice while both kinds keep producing events.
    drop();
    await sleep(800);
    await eventually(async () => connects >= 2, 10_000);
    await eventually(async () => got.some((e) => e.__typename === 'CaptureEvent' && e.status === 'SEARCH_MATCH'), 30_000);
    drop();
    await eventually(async () => {
      const last = new Map(got.map((e) => [entityOf(e), e]));
      const t = last.get(ids.transactionId);
      return t?.__typename === 'TransactionEvent' && t.transaction.status === 'AUTHORIZED' && ids.captureIds.every((id) => {
        const e = last.get(id);
        return e?.__typename === 'CaptureEvent' && e.captureEvent === 'REPORT_READY';
      });
    }, 60_000);
    expect(connects).toBeGreaterThanOrEqual(3);
    const upto = got.at(-1)!.seq;
    const truth = await perKind(start, upto);
    expect(got.map((e) => e.seq)).toEqual(sorted([...truth.transactions, ...truth.captures.map((c) => c.seq)]));
  } finally {
    stop();
    await client.dispose();
  }
}, 120_000);
