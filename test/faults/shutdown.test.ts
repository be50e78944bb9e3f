/**
 * SIGTERM finishes: a real gateway process (`node --import tsx src/main.ts`)
 * stops accepting, closes WebSockets with 1001, lets the request and the poll
 * in flight finish, starts no poll once draining began, closes simulators and
 * store, and exits 0 within SHUTDOWN_TIMEOUT_MS (5 s by default); past the
 * bound it says what was pending and exits 1. The data dir starts clean after.
 */
import WebSocket from 'ws';
import { RequestProofOfLifeDocument, TransactionDocument } from '../__generated__/graphql';
import { PDV_MAGIC_CPFS as CPF } from '../../src/simulators/provaDeVida';
import { PdvSim, SpidSim, eventually, sleep } from '../helpers/gateway';
import { GatewayProcess } from '../helpers/process';
import { simulatorPortsEnv } from '../helpers/ports';
import { tempDirs } from '../helpers/tmp';
import { gql, tokenFor } from './faults-helpers';

const BOUND_MS = 5000;
const POLL_ROUTE = 'GET /api/:version/transacoes/:id';
// With a seal window the create is vbeta4, answered with the whole transaction: no follow-up read that
// could be mistaken for a poll.
const CREATE_ROUTE = 'POST /api/vbeta4/transacoes';
const newDir = tempDirs('gw-faults-shutdown-');
const started: GatewayProcess[] = [];
const start = async (env: Record<string, string>) => {
  const g = await GatewayProcess.start(env, 60_000, { direct: true });
  started.push(g);
  return g;
};
/** SIGTERM, then how long until the process was gone, and its exit code. */
async function sigterm(g: GatewayProcess): Promise<{ code: number | null; ms: number }> {
  const t0 = Date.now();
  g.child.kill('SIGTERM');
  const exit = await g.exited;
  return { code: exit.code, ms: exit.at - t0 };
}
const logLines = (g: GatewayProcess) =>
  g.logs
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { level: number; msg: string; time: number; pending?: Record<string, unknown> });

afterAll(async () => {
  await Promise.all(started.map((g) => g.kill()));
});

test('idle `npm start` (in-process simulators): SIGTERM → exit 0 within the bound; a WebSocket subscriber sees 1001; the data dir restarts clean', async () => {
  const env = { ...(await simulatorPortsEnv()), DATA_DIR: newDir() };
  const idle = await start(env);
  const idleStop = await sigterm(idle);
  process.stdout.write(`[measure] SIGTERM → exit, idle npm start: ${idleStop.ms} ms\n`);
  expect(idleStop.code).toBe(0);
  expect(idleStop.ms).toBeLessThan(BOUND_MS);

  const gw = await start(env);
  const ws = new WebSocket(gw.wsUrl, 'graphql-transport-ws');
  const messages: { type: string }[] = [];
  ws.on('message', (d) => messages.push(JSON.parse(String(d)) as { type: string }));
  const closed = new Promise<{ code: number; at: number }>((r) => ws.on('close', (code) => r({ code, at: Date.now() })));
  await new Promise((r) => ws.once('open', r));
  ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${await tokenFor('viewer')}` } }));
  await eventually(async () => messages.some((m) => m.type === 'connection_ack'));
  ws.send(JSON.stringify({ id: 's1', type: 'subscribe', payload: { query: 'subscription { transactionResponseChanged { seq type } }' } }));
  await sleep(300);
  const stop = await sigterm(gw);
  const close = await closed;
  process.stdout.write(`[measure] SIGTERM → exit with an open subscription: ${stop.ms} ms\n`);
  expect(close.code).toBe(1001);
  expect(stop.code).toBe(0);
  expect(stop.ms).toBeLessThan(BOUND_MS);
  expect(logLines(gw).filter((l) => l.level >= 50)).toEqual([]);

  // Same DATA_DIR (store and simulators' state): starts, serves, stops clean again.
  const again = await start(env);
  expect((await sigterm(again)).code).toBe(0);
}, 180_000);

describe('with work in flight (gateway against a simulator in this process)', () => {
  let pdv: PdvSim;
  // A reachable station: the background station poller (Login Status every STATION_POLL_INTERVAL_MS) must
  // stop with the drain too, and an unreachable one would only add expected "station request failed" warnings.
  let spid: SpidSim;
  beforeAll(async () => {
    pdv = await PdvSim.start({ answerAfterMs: 600_000 });
    spid = await SpidSim.start({ stations: 1 });
  });
  const polls = async () => (await pdv.counters()).byRoute[POLL_ROUTE] ?? 0;
  const stationCalls = async () => Object.values((await spid.counters()).byStation).reduce((n, s) => n + s.total, 0);
  afterAll(async () => {
    await pdv?.close();
    await spid?.close();
  });

  const envFor = (dataDir: string, extra: Record<string, string> = {}) => ({
    DATA_DIR: dataDir,
    PDV_BASE_URL: pdv.url,
    SPID_STATIONS: spid.stationsEnv,
    STATION_POLL_INTERVAL_MS: '100',
    POLL_INTERVAL_MS: '100',
    POLL_BACKOFF_FACTOR: '1',
    POLL_MAX_INTERVAL_MS: '100',
    ...extra,
  });

  test('the request and the poll in flight finish, no poll starts after draining, exit 0; the data is all there after', async () => {
    const dataDir = newDir();
    const gw = await start(envFor(dataDir));
    const open = [];
    for (let i = 0; i < 3; i++) open.push((await gql(gw.url, RequestProofOfLifeDocument, { input: { cpf: CPF.authorizes, reason: `open ${i}` } })).requestProofOfLife);
    // One poll held 3 s by the upstream, then one create held 1.5 s.
    await pdv.control('POST', '/faults', { route: POLL_ROUTE, kind: 'latency', latencyMs: 3000, count: 1 });
    await eventually(async () => ((await pdv.control<unknown[]>('GET', '/faults')).length === 0 ? true : null), 5000);
    await pdv.control('POST', '/faults', { route: CREATE_ROUTE, kind: 'latency', latencyMs: 1500, count: 1 });
    const createsBefore = (await pdv.counters()).byRoute[CREATE_ROUTE] ?? 0;
    const inFlight = gql(gw.url, RequestProofOfLifeDocument, { input: { cpf: CPF.authorizes, reason: 'in flight at SIGTERM', sealReuseWindowMinutes: 60 } });
    await eventually(async () => ((await pdv.counters()).byRoute[CREATE_ROUTE] ?? 0) > createsBefore, 5000);

    const stopping = sigterm(gw);
    // The simulator counts a request on arrival: polls counted once the gateway logged "draining" started before it.
    await eventually(async () => gw.logs.includes('"msg":"draining"'), 5000, 5);
    const pollsAtDrain = await polls();
    const stationCallsAtDrain = await stationCalls();
    const answered = (await inFlight).requestProofOfLife;
    const stop = await stopping;
    process.stdout.write(`[measure] SIGTERM → exit with a request (held 1.5 s) and a poll (held 3 s) in flight: ${stop.ms} ms\n`);
    expect(answered.status).toBe('PENDING');
    expect(stop.code).toBe(0);
    expect(stop.ms).toBeLessThan(BOUND_MS);
    // Polls reached the simulator every 100 ms per open transaction; none after draining began
    // (the held one finished: no "poll failed" warning, nothing written to a closed store).
    expect(await polls()).toBe(pollsAtDrain);
    // The station poller (every 100 ms here) polled before, and starts no Login Status once draining began.
    expect(stationCallsAtDrain).toBeGreaterThan(0);
    expect(await stationCalls()).toBe(stationCallsAtDrain);
    expect(logLines(gw).filter((l) => l.level >= 40)).toEqual([]);

    const again = await start(envFor(dataDir));
    for (const t of [...open, answered]) {
      expect((await gql(again.url, TransactionDocument, { id: t.id }, 'viewer')).transaction).toMatchObject({ id: t.id, status: 'PENDING' });
    }
    expect((await sigterm(again)).code).toBe(0);
  }, 180_000);

  test('past SHUTDOWN_TIMEOUT_MS the process says what was pending and exits 1', async () => {
    const gw = await start(envFor(newDir(), { SHUTDOWN_TIMEOUT_MS: '800' }));
    await pdv.control('POST', '/faults', { route: CREATE_ROUTE, kind: 'latency', latencyMs: 4000, count: 1 });
    const createsBefore = (await pdv.counters()).byRoute[CREATE_ROUTE] ?? 0;
    const inFlight = gql(gw.url, RequestProofOfLifeDocument, { input: { cpf: CPF.authorizes, reason: 'held past the bound', sealReuseWindowMinutes: 60 } }).catch((e: unknown) => e);
    await eventually(async () => ((await pdv.counters()).byRoute[CREATE_ROUTE] ?? 0) > createsBefore, 5000);
    const stop = await sigterm(gw);
    await inFlight;
    expect(stop.code).toBe(1);
    const exceeded = logLines(gw).find((l) => l.msg === 'shutdown bound exceeded; exiting with work still pending');
    expect(exceeded?.pending).toMatchObject({ step: 'http, websockets and polls', httpRequests: 1 });
  }, 120_000);
});
