/**
 * Keepalive (server pings; a socket that stops answering is terminated within
 * 2 × WS_KEEPALIVE_MS) and one clock rule for tokens on sockets: usable while
 * now < exp — at connect and for the expiry close alike, so an expired token
 * cannot loop through connect/close.
 */
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { signToken } from '../../src/auth/jwt';
import { PdvSim, TestGateway, eventually, sleep } from '../helpers/gateway';

const KEEPALIVE_MS = 300;
let sim: PdvSim;
let gw: TestGateway;
beforeAll(async () => {
  sim = await PdvSim.start();
  gw = await TestGateway.start({ pdvUrl: sim.url, env: { WS_KEEPALIVE_MS: String(KEEPALIVE_MS) } });
});
afterAll(async () => {
  await gw?.close();
  await sim?.close();
});

/** A raw graphql-transport-ws socket, acknowledged; `autoPong: false` plays a peer that vanished. */
async function rawSocket(autoPong: boolean): Promise<{ ws: WebSocket; closedAt: Promise<number> }> {
  const token = await gw.token('viewer');
  const ws = new WebSocket(gw.gw.server.wsUrl, 'graphql-transport-ws', { autoPong });
  const closedAt = new Promise<number>((resolve) => ws.on('close', () => resolve(Date.now())));
  await new Promise<void>((resolve, reject) => {
    ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
    ws.on('message', (m) => (JSON.parse(String(m)) as { type: string }).type === 'connection_ack' && resolve());
    ws.on('error', reject);
  });
  return { ws, closedAt };
}

test('a socket that stops answering pings is terminated within 2 × WS_KEEPALIVE_MS; a live one stays', async () => {
  const dead = await rawSocket(false);
  const live = await rawSocket(true);
  const t0 = Date.now();
  const closedAt = await dead.closedAt;
  // Bound: two ticks, plus scheduling slack on a loaded box.
  expect(closedAt - t0).toBeLessThan(2 * KEEPALIVE_MS + 1000);
  await sleep(4 * KEEPALIVE_MS);
  expect(live.ws.readyState).toBe(WebSocket.OPEN);
  live.ws.close();
});

test('a token that expires while connected closes the socket once with 4403; retrying with it is refused at connect (no storm)', async () => {
  const token = await signToken(gw.config.jwt, { sub: 'expiring', role: 'viewer' }, 2);
  const RETRIES = 3;
  const client = createClient({
    url: gw.gw.server.wsUrl,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: RETRIES,
    retryWait: () => sleep(100),
  });
  let connecting = 0;
  let acknowledged = 0;
  const closes: number[] = [];
  client.on('connecting', () => connecting++);
  client.on('connected', () => acknowledged++);
  client.on('closed', (e) => closes.push((e as { code: number }).code));
  const ended = new Promise<unknown>((resolve) => {
    client.subscribe({ query: 'subscription { transactionResponseChanged { seq } }' }, { next: () => undefined, error: resolve, complete: () => resolve('complete') });
  });
  try {
    const err = (await ended) as { code?: number };
    expect(err.code).toBe(4403);
    expect(acknowledged).toBe(1);
    // The first socket, closed at expiry, then exactly `RETRIES` attempts, each refused at connect.
    expect(connecting).toBe(1 + RETRIES);
    expect(closes).toEqual(Array(1 + RETRIES).fill(4403));
  } finally {
    await client.dispose();
  }
}, 30_000);

test('a token just past exp (inside the 30 s HTTP skew) is refused at connect with 4403, never acknowledged', async () => {
  const token = await signToken(gw.config.jwt, { sub: 'late', role: 'viewer' }, -5);
  const ws = new WebSocket(gw.gw.server.wsUrl, 'graphql-transport-ws');
  const messages: string[] = [];
  ws.on('message', (m) => messages.push(String(m)));
  const code = new Promise<number>((resolve) => ws.on('close', (c) => resolve(c)));
  ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
  expect(await code).toBe(4403);
  expect(messages).toEqual([]);
  await eventually(async () => ws.readyState === WebSocket.CLOSED);
});
