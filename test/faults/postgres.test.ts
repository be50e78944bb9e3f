/**
 * PostgreSQL faults against a real gateway process (scale-out: own database,
 * own redis-server, simulators on loopback): `pg_terminate_backend` of the
 * gateway's connections (what a failover or a restart does) while idle,
 * during requests and during flows, and an outage (server gone, or silent).
 * The process stays up, the next requests succeed, every flow completes, and
 * during an outage a request gets STORE_UNAVAILABLE within 2 s.
 */
import { PDV_MAGIC_CPFS as CPF } from '../../src/simulators/provaDeVida';
import { SPID_MAGIC_CPFS } from '../../src/simulators/spid';
import { eventually, sleep } from '../helpers/gateway';
import { requirePostgresSync } from '../helpers/services';
import { CAPTURE_STATUS, FaultStack, LOGIN, REQUEST_POL, START_CAPTURE, call, terminateBackends, unhandledLines, useFaultStack } from './support';

const PG = requirePostgresSync();
const d = PG ? describe : describe.skip;
const LIST = `query { transactions(first: 5) { edges { node { id status } } } }`;

d('PostgreSQL connection loss', () => {
  const stack = useFaultStack(() => PG!);
  let s: FaultStack;
  beforeEach(() => {
    s = stack();
  });

  afterEach(() => {
    expect(s.alive).toBe(true);
    expect(unhandledLines(s.gw.logs)).toEqual([]);
  });

  test('terminated while idle: the process stays up and the next request succeeds', async () => {
    expect((await call(s.gw.url, LIST)).code).toBeNull();
    const killed = await terminateBackends(PG!, s.dbName);
    expect(killed).toBeGreaterThan(0);
    const t0 = Date.now();
    await sleep(200);
    const next = await call(s.gw.url, LIST);
    expect(next.code).toBeNull();
    process.stdout.write(`[measure] PG terminate (idle, ${killed} connections) → next request OK after ${Date.now() - t0} ms (incl. 200 ms pause)\n`);
  });

  test('terminated during requests: in-flight ones fail only with STORE_UNAVAILABLE, the next ones succeed', async () => {
    const codes: (string | null)[] = [];
    let stop = false;
    const load = Promise.all(
      Array.from({ length: 4 }, async () => {
        while (!stop) codes.push((await call(s.gw.url, LIST)).code);
      }),
    );
    await sleep(300);
    for (let i = 0; i < 3; i++) {
      await terminateBackends(PG!, s.dbName);
      await sleep(150);
    }
    const t0 = Date.now();
    stop = true;
    await load;
    const after = await call(s.gw.url, LIST);
    process.stdout.write(`[measure] PG terminate ×3 under load: ${codes.length} requests, ${codes.filter((c) => c).length} failed; next request OK after ${Date.now() - t0} ms\n`);
    expect(after.code).toBeNull();
    expect(new Set(codes.filter((c) => c !== null))).toEqual(new Set(codes.some((c) => c) ? ['STORE_UNAVAILABLE'] : []));
    for (let i = 0; i < 5; i++) expect((await call(s.gw.url, LIST)).code).toBeNull();
  });

  test('terminated during flows: every proof of life and the capture complete', async () => {
    const ids = await s.openTransactions(5, CPF.authorizes);
    expect((await call(s.gw.url, LOGIN, { s: 'station-1', o: SPID_MAGIC_CPFS.operatorOk }, 'operator')).code).toBeNull();
    const cap = await call<{ startPresentialCapture: { id: string } }>(s.gw.url, START_CAPTURE, { s: 'station-1', c: SPID_MAGIC_CPFS.matches }, 'operator');
    expect(cap.code).toBeNull();
    // Every 250 ms for the whole capture (~2 s at these desk timings): some cut lands between a station call and its write.
    for (let i = 0; i < 10; i++) {
      await terminateBackends(PG!, s.dbName);
      if (i === 1) await s.answer(ids);
      await sleep(250);
    }
    const t0 = Date.now();
    await eventually(async () => (await s.statuses(ids)).every((st) => st === 'AUTHORIZED'), 20_000, 200);
    let status: string | undefined;
    const end = Date.now() + 30_000;
    while (status !== 'SEARCH_MATCH' && Date.now() < end) {
      status = (await call<{ capture: { status: string } }>(s.gw.url, CAPTURE_STATUS, { id: cap.data!.startPresentialCapture.id }, 'viewer')).data?.capture.status;
      await sleep(200);
    }
    process.stdout.write(`[measure] flows after 10 PG terminates: all complete ${Date.now() - t0} ms after the last one (capture ${status})\n`);
    expect(status).toBe('SEARCH_MATCH');
  }, 60_000);

  test.each([['refuse' as const], ['blackhole' as const]])('outage (%s): STORE_UNAVAILABLE within 2 s, nothing created upstream; recovery after', async (mode) => {
    const before = await s.pdv.control<unknown[]>('GET', '/transactions');
    s.proxy.setMode(mode);
    try {
      const read = await call(s.gw.url, LIST);
      expect(read.code).toBe('STORE_UNAVAILABLE');
      expect(read.ms).toBeLessThan(2000);
      const write = await call(s.gw.url, REQUEST_POL, { cpf: CPF.authorizes, r: 'during outage' }, 'operator');
      process.stdout.write(`[measure] PG outage (${mode}): read answered in ${read.ms} ms, mutation in ${write.ms} ms (${write.code})\n`);
      expect(write.code).toBe('STORE_UNAVAILABLE');
      expect(write.ms).toBeLessThan(2000);
    } finally {
      s.proxy.setMode('pass');
    }
    const t0 = Date.now();
    await eventually(async () => (await call(s.gw.url, LIST)).code === null, 10_000, 50);
    process.stdout.write(`[measure] PG outage (${mode}) over → next request OK after ${Date.now() - t0} ms\n`);
    // The mutation answered STORE_UNAVAILABLE before any upstream create.
    expect(await s.pdv.control<unknown[]>('GET', '/transactions')).toHaveLength(before.length);
    expect((await s.openTransactions(1, CPF.authorizes))).toHaveLength(1);
  }, 30_000);
});
