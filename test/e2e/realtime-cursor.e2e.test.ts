/**
 * Snapshot + stream alignment: `Query.eventCursor` and entity `version`s let a
 * dashboard read a snapshot, follow it with `afterSeq: eventCursor`, and keep
 * the newest state per entity even when a replayed event is older.
 */
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { PDV_MAGIC_CPFS as CPF } from '../../src/simulators/provaDeVida';
import { PdvSim, TestGateway, eventually } from '../helpers/gateway';

let sim: PdvSim;
let gw: TestGateway;
beforeAll(async () => {
  sim = await PdvSim.start({ answerAfterMs: 600_000 });
  gw = await TestGateway.start({ pdvUrl: sim.url });
});
afterAll(async () => {
  await gw?.close();
  await sim?.close();
});

async function gql<T>(query: string, variables: Record<string, unknown> = {}, role: 'viewer' | 'operator' = 'viewer'): Promise<T> {
  const res = await fetch(gw.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await gw.token(role)}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: unknown };
  if (!body.data || body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

const request = () =>
  gql<{ requestProofOfLife: { transaction: { id: string; upstreamId: string; version: number } } }>(
    `mutation($cpf: CPF!) { requestProofOfLife(input: { cpf: $cpf, reason: "recadastramento" }) { transaction { id upstreamId version } } }`,
    { cpf: CPF.authorizes },
    'operator',
  ).then((d) => d.requestProofOfLife.transaction);

test('version is the seq of the event that recorded the state; eventCursor is the log head; afterSeq: eventCursor follows the snapshot without gap', async () => {
  // The station poller's first reading (the test station nobody listens on: STATION_OFFLINE) is an event too: let it land first.
  await eventually(async () => (await gql<{ stations: { connectivity: string }[] }>(`{ stations { connectivity } }`)).stations.every((s) => s.connectivity !== 'UNKNOWN'), 15_000);
  const t1 = await request();
  const snap = await gql<{ eventCursor: number; transaction: { version: number; status: string } }>(
    `query($id: ID!) { eventCursor transaction(id: $id) { version status } }`,
    { id: t1.id },
  );
  expect(snap.transaction).toEqual({ version: t1.version, status: 'PENDING' });
  expect(snap.eventCursor).toBe(t1.version); // nothing else happened since

  const ws = createClient({ url: gw.gw.server.wsUrl, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${await gw.token('viewer')}` }, retryAttempts: 0 });
  const got: { seq: number; type: string; transaction: { id: string; version: number; status: string } }[] = [];
  const stop = ws.subscribe<{ transactionResponseChanged: (typeof got)[number] }>(
    { query: `subscription($a: SafeInt) { transactionResponseChanged(afterSeq: $a) { seq type transaction { id version status } } }`, variables: { a: snap.eventCursor } },
    { next: (m) => m.data && got.push(m.data.transactionResponseChanged), error: () => undefined, complete: () => undefined },
  );
  try {
    const t2 = await request();
    await sim.control('POST', `/transactions/${t1.upstreamId}/answer`, { authorized: true });
    await eventually(async () => got.some((e) => e.transaction.id === t1.id && e.type === 'AUTHORIZED'));
    // Exactly the events after the cursor: t1's REQUESTED (in the snapshot) is not repeated.
    expect(got.map((e) => [e.transaction.id, e.type])).toEqual([
      [t2.id, 'REQUESTING'],
      [t2.id, 'REQUESTED'],
      [t1.id, 'AUTHORIZED'],
    ]);
    for (const e of got) expect(e.transaction.version).toBe(e.seq);
    expect(got[1]!.seq).toBe(t2.version);

    const after = await gql<{ eventCursor: number; transaction: { version: number; status: string } }>(`query($id: ID!) { transaction(id: $id) { version status } eventCursor }`, { id: t1.id });
    expect(after.transaction).toEqual({ version: got[2]!.seq, status: 'AUTHORIZED' });
    expect(after.eventCursor).toBe(got[2]!.seq);
  } finally {
    stop();
    await ws.dispose();
  }
});

test('connectionParams.afterSeq that is not a non-negative integer is refused with 4400', async () => {
  const token = await gw.token('viewer');
  const ws = new WebSocket(gw.gw.server.wsUrl, 'graphql-transport-ws');
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}`, afterSeq: -1 } })));
  expect(await closed).toBe(4400);
});
