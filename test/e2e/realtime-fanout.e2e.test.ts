/**
 * Shared execution: subscribers whose document, variables, role and station
 * scope are equal share one execution per event; everything that could change
 * the bytes keeps them apart, and filters stay exact.
 */
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { Role } from '../../src/auth/jwt';
import { PDV_MAGIC_CPFS as CPF } from '../../src/simulators/provaDeVida';
import { PdvSim, TestGateway, eventually } from '../helpers/gateway';

let sim: PdvSim;
let gw: TestGateway;
const clients: Client[] = [];
beforeAll(async () => {
  sim = await PdvSim.start({ answerAfterMs: 600_000 });
  gw = await TestGateway.start({ pdvUrl: sim.url });
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.dispose()));
  await eventually(async () => gw.gw.server.fanout.groupSizes().length === 0);
});
afterAll(async () => {
  await gw?.close();
  await sim?.close();
});

const FEED = `subscription($cpf: CPF, $after: SafeInt) { transactionResponseChanged(cpf: $cpf, afterSeq: $after) { seq type transaction { id cpf status version } } }`;
type Ev = { seq: number; type: string; transaction: { id: string; cpf: string; status: string; version: number } };

/** One socket per subscriber, as dashboards have; every `next` payload kept as received (raw JSON). */
async function subscriber(role: Role, variables: Record<string, unknown> = {}, opts: { sub?: string; stations?: string[] } = {}) {
  const token = await gw.token(role, opts.sub ?? `fan-${role}`, opts.stations);
  const client = createClient({ url: gw.gw.server.wsUrl, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${token}` }, retryAttempts: 0, lazy: false });
  clients.push(client);
  const raw: string[] = [];
  const events: Ev[] = [];
  client.subscribe<{ transactionResponseChanged: Ev }>(
    { query: FEED, variables },
    {
      next: (m) => {
        raw.push(JSON.stringify(m));
        // The intent row's REQUESTING event precedes each REQUESTED one; the counts below are about REQUESTED and later.
        if (m.data && m.data.transactionResponseChanged.type !== 'REQUESTING') events.push(m.data.transactionResponseChanged);
      },
      error: (e) => raw.push(`error ${JSON.stringify(e)}`),
      complete: () => undefined,
    },
  );
  return { raw, events };
}

async function request(cpf: string): Promise<{ id: string; version: number }> {
  const res = await fetch(gw.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await gw.token('operator')}` },
    body: JSON.stringify({ query: 'mutation($cpf: CPF!) { requestProofOfLife(input: { cpf: $cpf, reason: "r" }) { transaction { id version } } }', variables: { cpf } }),
  });
  return ((await res.json()) as { data: { requestProofOfLife: { transaction: { id: string; version: number } } } }).data.requestProofOfLife.transaction;
}

const groupsAre = (sizes: number[]) => eventually(async () => JSON.stringify(gw.gw.server.fanout.groupSizes()) === JSON.stringify(sizes));

test('a viewer and an operator on the same document never share: masked vs clear CPF; two viewers share one execution', async () => {
  const v1 = await subscriber('viewer', {}, { sub: 'v1' });
  const v2 = await subscriber('viewer', {}, { sub: 'v2' });
  const op = await subscriber('operator');
  await groupsAre([1, 2]);
  const t = await request(CPF.authorizes);
  await eventually(async () => v1.events.length === 1 && v2.events.length === 1 && op.events.length === 1);
  expect(v1.events[0]!.transaction.cpf).toBe('***.***.001-08');
  expect(op.events[0]!.transaction.cpf.replace(/\D/g, '')).toBe(CPF.authorizes);
  expect(v1.raw).toEqual(v2.raw);
  expect(v1.events[0]).toMatchObject({ seq: t.version, type: 'REQUESTED', transaction: { id: t.id, version: t.version } });
});

test('operators scoped to different stations never share; different variables never share, and filters stay exact', async () => {
  await subscriber('operator', {}, { sub: 'o1', stations: ['station-1'] });
  await subscriber('operator', {}, { sub: 'o2', stations: ['station-2'] });
  await subscriber('operator', {}, { sub: 'o3', stations: ['station-1'] });
  await groupsAre([1, 2]);

  const a = await subscriber('viewer', { cpf: CPF.authorizes });
  const b = await subscriber('viewer', { cpf: CPF.refuses });
  await groupsAre([1, 1, 1, 2]);
  const ta = await request(CPF.authorizes);
  const tb = await request(CPF.refuses);
  await eventually(async () => a.events.length === 1 && b.events.length === 1);
  await request(CPF.authorizes);
  await eventually(async () => a.events.length === 2);
  expect(a.events.map((e) => e.transaction.id)[0]).toBe(ta.id);
  expect(b.events.map((e) => e.transaction.id)).toEqual([tb.id]);
});

test('a subscriber that replayed with afterSeq, then went live, receives exactly what a live-only subscriber receives', async () => {
  const before = await request(CPF.authorizes);
  const live = await subscriber('viewer', {}, { sub: 'live' });
  await groupsAre([1]);
  const replayer = await subscriber('viewer', { after: before.version - 1 }, { sub: 'replayer' });
  // Same group: afterSeq only chooses where the replay starts.
  await groupsAre([2]);
  const later = [await request(CPF.authorizes), await request(CPF.refuses)];
  await eventually(async () => live.events.length === 2 && replayer.events.length === 3);
  expect(replayer.events[0]).toMatchObject({ seq: before.version, transaction: { id: before.id } });
  expect(replayer.raw.slice(1)).toEqual(live.raw);
  expect(live.events.map((e) => e.transaction.id)).toEqual(later.map((t) => t.id));
});
