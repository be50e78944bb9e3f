/**
 * Bounded per-socket queues: a consumer that stops reading while 5,000
 * distinct entities change never holds more than its bound on the server; it
 * is told the last seq it was given (SUBSCRIBER_TOO_SLOW, lastDeliveredSeq)
 * and closed with 4009 — while a reading subscriber on the same feed gets
 * every event.
 */
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { events } from '../../src/store/schema';
import { PDV_MAGIC_CPFS as CPF } from '../../src/simulators/provaDeVida';
import { PdvSim, TestGateway, eventually, sleep } from '../helpers/gateway';

const MAX_MESSAGES = 200;
const MAX_BYTES = 256 * 1024;
const CHANGES = 5000;

let sim: PdvSim;
let gw: TestGateway;
beforeAll(async () => {
  sim = await PdvSim.start({ answerAfterMs: 600_000 });
  gw = await TestGateway.start({ pdvUrl: sim.url, env: { WS_QUEUE_MAX_MESSAGES: String(MAX_MESSAGES), WS_QUEUE_MAX_BYTES: String(MAX_BYTES) } });
});
afterAll(async () => {
  await gw?.close();
  await sim?.close();
});

const FEED = 'subscription { transactionResponseChanged { seq transaction { id reason } } }';

test('a consumer that never reads stays within its bound, is told where to resume, and the others get everything', async () => {
  const token = await gw.token('viewer');
  // A real change first: its payload is the template of the 5,000 below.
  const res = await fetch(gw.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await gw.token('operator')}` },
    body: JSON.stringify({ query: `mutation { requestProofOfLife(input: { cpf: "${CPF.authorizes}", reason: "r" }) { transaction { id version } } }` }),
  });
  const first = ((await res.json()) as { data: { requestProofOfLife: { transaction: { version: number } } } }).data.requestProofOfLife.transaction.version;
  const [template] = await gw.gw.store.eventsMatching({ topic: 'transaction' }, first - 1, 1);

  // The slow one: a raw graphql-ws socket whose reading we stop once it subscribed.
  const slow = new WebSocket(gw.gw.server.wsUrl, 'graphql-transport-ws');
  const slowMessages: { id?: string; type: string; payload?: { data?: { transactionResponseChanged: { seq: number } }; errors?: { extensions: Record<string, unknown> }[] } }[] = [];
  const slowClosed = new Promise<number>((resolve) => slow.on('close', (code) => resolve(code)));
  slow.on('message', (m) => slowMessages.push(JSON.parse(String(m)) as (typeof slowMessages)[number]));
  await new Promise<void>((resolve) => slow.on('open', () => resolve()));
  slow.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
  await eventually(async () => slowMessages.some((m) => m.type === 'connection_ack'));
  slow.send(JSON.stringify({ id: 'feed', type: 'subscribe', payload: { query: FEED } }));

  // A reading subscriber on the same feed.
  const reader = createClient({ url: gw.gw.server.wsUrl, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${token}` }, retryAttempts: 0, lazy: false });
  const got: number[] = [];
  reader.subscribe<{ transactionResponseChanged: { seq: number } }>({ query: FEED }, { next: (m) => m.data && got.push(m.data.transactionResponseChanged.seq), error: () => undefined, complete: () => undefined });
  await eventually(async () => gw.gw.server.fanout.groupSizes()[0] === 2);
  (slow as unknown as { _socket: Socket })._socket.pause();

  // Watch every server-side socket's queued bytes while 5,000 distinct entities change.
  let maxQueued = 0;
  const sampler = setInterval(() => {
    for (const s of gw.gw.server.wsServer.clients) maxQueued = Math.max(maxQueued, s.bufferedAmount);
  }, 5);
  const insertedSeqs: number[] = [];
  const reason = 'x'.repeat(2000); // ~2 KiB per event: 10 MB in all, far beyond the kernel's socket buffers
  try {
    let last = null;
    for (let i = 0; i < CHANGES; i += 500) {
      const rows = Array.from({ length: 500 }, () => {
        const id = randomUUID();
        return { topic: 'transaction', entityId: id, cpf: template!.cpf, type: 'UPDATED', payload: { ...template!.payload, id, reason } };
      });
      const inserted = await gw.gw.store.db.insert(events).values(rows).returning({ seq: events.seq });
      insertedSeqs.push(...inserted.map((r) => r.seq));
      last = inserted.at(-1)!.seq;
      await gw.gw.bus.published({ ...template!, seq: last });
    }
    await eventually(async () => got.at(-1) === last, 60_000);
    // Subscribed after the template change: exactly the 5,000, in order (the station poller's own events
    // may take seqs in between; they are not transaction events).
    expect(got).toEqual(insertedSeqs);
    expect(insertedSeqs[0]).toBeGreaterThan(first);
  } finally {
    clearInterval(sampler);
  }
  // Bound: its bytes (+ one event frame and the closing notice), never the 10 MB.
  expect(maxQueued).toBeLessThanOrEqual(MAX_BYTES + 8 * 1024);

  // Now it reads: the events it was given, in order without a gap, then where to resume, then 4009.
  (slow as unknown as { _socket: Socket })._socket.resume();
  const code = await slowClosed;
  expect(code).toBe(4009);
  const nexts = slowMessages.filter((m) => m.type === 'next' && m.payload?.data);
  const seqs = nexts.map((m) => m.payload!.data!.transactionResponseChanged.seq);
  expect(seqs.length).toBeGreaterThan(0);
  expect(seqs.length).toBeLessThan(CHANGES);
  expect(seqs).toEqual(insertedSeqs.slice(0, seqs.length));
  const notice = slowMessages.filter((m) => m.payload?.errors);
  expect(notice).toHaveLength(1);
  expect(notice[0]!.payload!.errors![0]!.extensions).toEqual({ code: 'SUBSCRIBER_TOO_SLOW', lastDeliveredSeq: seqs.at(-1) });
  expect(slowMessages.at(-1)).toBe(notice[0]);
  await reader.dispose();
  await sleep(10);
}, 120_000);
