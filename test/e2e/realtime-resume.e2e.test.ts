/**
 * Resume with clients as they ship (Apollo Client 4, urql 5, graphql-ws 6,
 * automatic reconnect on): the app keeps only the highest seq it saw and
 * hands it over in `connectionParams` (a function, called on every
 * reconnect). Whether the server drops the socket or the gateway restarts,
 * the client sees every event exactly once, in seq order.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { print } from 'graphql';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { RequestProofOfLifeDocument } from '../__generated__/graphql';
import { signToken } from '../../src/auth/jwt';
import { loadConfig } from '../../src/config';
import { PDV_MAGIC_CPFS as CPF } from '../../src/simulators/provaDeVida';
import { PERSISTED_DOCUMENTS_ENV, PdvSim, TestGateway, eventually } from '../helpers/gateway';
import { GatewayProcess } from '../helpers/process';
import { apolloFeed, urqlFeed, type ResumingClient } from '../helpers/resume-clients';

const LIBS = { 'Apollo Client 4': apolloFeed, 'urql 5': urqlFeed } as const;

let sim: PdvSim;
beforeAll(async () => {
  sim = await PdvSim.start({ answerAfterMs: 1000 });
});
afterAll(async () => {
  await sim?.close();
});

async function requestPol(httpUrl: string, operatorToken: string): Promise<string> {
  const res = await fetch(httpUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${operatorToken}` },
    body: JSON.stringify({ query: print(RequestProofOfLifeDocument), variables: { input: { cpf: CPF.authorizes, reason: 'recadastramento' } } }),
  });
  const body = (await res.json()) as { data?: { requestProofOfLife: { transaction: { id: string } | null } }; errors?: unknown };
  const t = body.data?.requestProofOfLife.transaction;
  if (!t) throw new Error(`requestProofOfLife failed: ${JSON.stringify(body)}`);
  return t.id;
}

/** Resolves once the client has seen `id` reach AUTHORIZED. */
const answered = (c: ResumingClient, id: string) =>
  eventually(async () => c.events.some((e) => e.transactionId === id && e.status === 'AUTHORIZED'), 60_000, 50);

/** Every transaction event in the log after `afterSeq` up to `uptoSeq`, read with a plain per-subscription `afterSeq`. */
async function logSeqs(wsUrl: string, token: string, afterSeq: number, uptoSeq: number): Promise<number[]> {
  const client = createClient({ url: wsUrl, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${token}` }, retryAttempts: 0 });
  const seqs: number[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const stop = client.subscribe<{ transactionResponseChanged: { seq: number } }>(
        { query: 'subscription($a: SafeInt) { transactionResponseChanged(afterSeq: $a) { seq } }', variables: { a: afterSeq } },
        {
          next: (m) => {
            const s = m.data?.transactionResponseChanged.seq;
            if (s === undefined) return;
            seqs.push(s);
            if (s >= uptoSeq) {
              stop();
              resolve();
            }
          },
          error: reject,
          complete: () => resolve(),
        },
      );
    });
  } finally {
    await client.dispose();
  }
  return seqs;
}

function expectExactlyOnceInOrder(c: ResumingClient, expected: number[]): void {
  expect(c.errors).toEqual([]);
  expect(c.events.map((e) => e.seq)).toEqual(expected);
}

describe.each(Object.entries(LIBS))('%s, automatic reconnect', (_name, feed) => {
  test('the server drops the socket while events are produced: every event exactly once, in seq order', async () => {
    const gw = await TestGateway.start({ pdvUrl: sim.url, env: { POLL_INTERVAL_MS: '100' } });
    const viewer = await gw.token('viewer');
    const operator = await gw.token('operator');
    const client = feed(gw.gw.server.wsUrl, viewer);
    try {
      await eventually(async () => client.connects() === 1);
      const t1 = await requestPol(gw.url, operator);
      await answered(client, t1);
      const firstSeq = client.events[0]!.seq;

      for (const s of gw.gw.server.wsServer.clients) s.terminate();
      // graphql-ws waits ≥ 1.3 s before its first retry: these happen while the client is away.
      const t2 = await requestPol(gw.url, operator);
      const t3 = await requestPol(gw.url, operator);
      await answered(client, t2);
      await answered(client, t3);
      expect(client.connects()).toBeGreaterThanOrEqual(2);
      const t4 = await requestPol(gw.url, operator);
      await answered(client, t4);

      const last = client.events.at(-1)!.seq;
      const expected = (await gw.gw.store.eventsMatching({ topic: 'transaction' }, firstSeq - 1, 1000)).map((e) => e.seq).filter((s) => s <= last);
      expect(expected).toHaveLength(12); // REQUESTING (intent row) + REQUESTED + AUTHORIZED of four transactions
      expectExactlyOnceInOrder(client, expected);
    } finally {
      await client.stop();
      await gw.close();
    }
  }, 120_000);

  test('the gateway restarts (same port, same data dir) while events are produced: every event exactly once, in seq order', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gw-resume-'));
    const env = {
      SPID_STATIONS: JSON.stringify([{ id: 'unused', name: 'unused', baseUrl: 'http://127.0.0.1:9/gbs-spid-services/api' }]),
      DATA_DIR: dataDir, PDV_BASE_URL: sim.url, PDV_API_VERSION: 'vbeta4', POLL_INTERVAL_MS: '100', POLL_MAX_INTERVAL_MS: '500', LOG_LEVEL: 'info',
      // The recipes send every document by hash (examples/clients' manifest).
      PERSISTED_DOCUMENTS: PERSISTED_DOCUMENTS_ENV,
    };
    const jwt = loadConfig({ NODE_ENV: 'test', ...env }).jwt;
    const viewer = await signToken(jwt, { sub: 'dash', role: 'viewer' });
    const operator = await signToken(jwt, { sub: 'desk', role: 'operator' });
    let gp = await GatewayProcess.start(env, 60_000, { direct: true });
    const port = String(gp.port);
    const client = feed(gp.wsUrl, viewer);
    try {
      await eventually(async () => client.connects() === 1);
      const t1 = await requestPol(gp.url, operator);
      await eventually(async () => client.events.some((e) => e.transactionId === t1), 20_000);
      const firstSeq = client.events[0]!.seq;

      // A crash: t1's answer (due in ~1 s) is recorded by the next process, on resume.
      await gp.kill();
      gp = await GatewayProcess.start({ ...env, PORT: port }, 60_000, { direct: true });
      const t2 = await requestPol(gp.url, operator);
      await answered(client, t1);
      await answered(client, t2);
      expect(client.connects()).toBeGreaterThanOrEqual(2);
      const t3 = await requestPol(gp.url, operator);
      await answered(client, t3);

      const last = client.events.at(-1)!.seq;
      const expected = await logSeqs(gp.wsUrl, viewer, firstSeq - 1, last);
      expect(expected).toHaveLength(9); // three events (REQUESTING, REQUESTED, AUTHORIZED) of three transactions
      expectExactlyOnceInOrder(client, expected);
    } finally {
      await client.stop();
      await gp.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180_000);
});
