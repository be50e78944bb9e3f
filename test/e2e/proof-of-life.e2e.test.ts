/**
 * End to end over real HTTP and WebSocket: a started gateway (PGlite store,
 * in-process bus and scheduler) against the Prova de Vida simulator on
 * loopback. One gateway and one simulator for the file (PGlite boots in ~5 s).
 */
import { userErrorAt, userErrorsAt } from '../helpers/payload';
import type { Client } from 'graphql-ws';
import {
  CancelProofOfLifeDocument,
  DeleteMessageDocument,
  MessageDocument,
  PersonDocument,
  RequestProofOfLifeDocument,
  SendMessageDocument,
  TransactionDocument,
  TransactionResponseChangedDocument,
  TransactionsDocument,
  type TransactionResponseChangedSubscription,
  type ProofOfLifeCategory,
  type TransactionsQuery,
} from '../__generated__/graphql';
import { PDV_MAGIC_CPFS as CPF } from '../../src/simulators/provaDeVida';
import { Collector, PdvSim, TestGateway, eventually, sleep } from '../helpers/gateway';
import { rawKey } from '../helpers/ids';

type Ev = TransactionResponseChangedSubscription['transactionResponseChanged'];

let sim: PdvSim;
let gw: TestGateway;
let ws: Client;

beforeAll(async () => {
  sim = await PdvSim.start({ answerAfterMs: 400 });
  gw = await TestGateway.start({ pdvUrl: sim.url });
  ws = await gw.wsClient('viewer');
});
afterAll(async () => {
  await ws?.dispose();
  await gw?.close();
  await sim?.close();
});

function watchCpf(cpf: string): Collector<{ transactionResponseChanged: Ev }> {
  return Collector.subscribe(ws, TransactionResponseChangedDocument, { cpf });
}
const ofType = (type: Ev['type']) => (e: { transactionResponseChanged: Ev }) => e.transactionResponseChanged.type === type;

async function request(
  cpf: string,
  extra: Partial<{ sealReuseWindowMinutes: number; expiresInMinutes: number; category: ProofOfLifeCategory }> = {},
) {
  const data = await gw.done(RequestProofOfLifeDocument, { input: { cpf, reason: 'Benefício previdenciário', ...extra } });
  return data.requestProofOfLife;
}

describe('proof of life', () => {
  test('authorised by the citizen: REQUESTED then AUTHORIZED reach the subscriber, and the query agrees', async () => {
    const sub = watchCpf(CPF.authorizes);
    await sleep(100);
    const t = await request(CPF.authorizes);
    expect(t.status).toBe('PENDING');
    expect(t.cpf).toBe('100.000.001-08');
    expect(t.apiVersion).toBe('VBETA4');
    const done = await sub.waitFor(ofType('AUTHORIZED'));
    expect(done.transactionResponseChanged.transaction).toMatchObject({ id: t.id, status: 'AUTHORIZED', autoAuthorized: false });
    expect(done.transactionResponseChanged.transaction.response?.authorized).toBe(true);
    const types = sub.items.filter((e) => e.transactionResponseChanged.transaction.id === t.id).map((e) => e.transactionResponseChanged.type);
    expect(types).toEqual(['REQUESTING', 'REQUESTED', 'AUTHORIZED']);
    const seqs = sub.items.map((e) => e.transactionResponseChanged.seq);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    const q = await gw.ok(TransactionDocument, { id: t.id }, 'operator');
    expect(q.transaction).toMatchObject({ status: 'AUTHORIZED', person: { cpf: '100.000.001-08' } });
    // A viewer sees the same transaction with the CPF masked, in queries and in subscription payloads.
    const v = await gw.ok(TransactionDocument, { id: t.id }, 'viewer');
    expect(v.transaction).toMatchObject({ cpf: '***.***.001-08', person: { cpf: '***.***.001-08' } });
    expect(done.transactionResponseChanged.transaction.cpf).toBe('***.***.001-08');
    sub.stop();
  });

  test('vbeta4 without a seal window (manual 2025-12): one POST /api/vbeta4/transacoes, the citizen answers, categoria kept', async () => {
    await sim.control('POST', '/counters/reset');
    const sub = watchCpf(CPF.authorizes);
    await sleep(100);
    const t = await request(CPF.authorizes, { category: 'OTHER' });
    expect(t).toMatchObject({ status: 'PENDING', apiVersion: 'VBETA4', category: 'OTHER', seal: null, sealReuseWindowMinutes: null });
    const upstream = await sim.control<Record<string, unknown>>('GET', `/transactions/${t.upstreamId}`);
    expect(upstream['categoria']).toBe('OU');
    expect(upstream).not.toHaveProperty('selogovbr');
    const routes = (await sim.counters()).byRoute;
    expect(routes['POST /api/vbeta4/transacoes']).toBe(1);
    expect(routes['POST /api/vbeta1/transacoes']).toBe(0);
    const ev = await sub.waitFor((e) => e.transactionResponseChanged.transaction.id === t.id && e.transactionResponseChanged.type === 'AUTHORIZED');
    expect(ev.transactionResponseChanged.transaction).toMatchObject({ status: 'AUTHORIZED', category: 'OTHER', apiVersion: 'VBETA4' });
    sub.stop();
  });

  test('a motivo_negacao the manual does not document: DENIED, denialReason UNKNOWN with the raw code beside it', async () => {
    const sub = watchCpf(CPF.neverAnswers);
    await sleep(100);
    const t = await request(CPF.neverAnswers);
    await sub.waitFor((e) => e.transactionResponseChanged.transaction.id === t.id && e.transactionResponseChanged.type === 'REQUESTED');
    await sim.control('POST', `/transactions/${t.upstreamId}/answer`, { authorized: false, undocumentedDenialReason: 9 });
    const ev = await sub.waitFor((e) => e.transactionResponseChanged.transaction.id === t.id && e.transactionResponseChanged.type === 'DENIED');
    expect(ev.transactionResponseChanged.transaction).toMatchObject({
      status: 'DENIED',
      denialReason: 'UNKNOWN',
      denialReasonCode: '9',
      response: { authorized: false, denialReason: 'UNKNOWN', denialReasonCode: '9' },
    });
    const q = await gw.ok(TransactionDocument, { id: t.id }, 'viewer');
    expect(q.transaction).toMatchObject({ status: 'DENIED', denialReason: 'UNKNOWN', denialReasonCode: '9' });
    sub.stop();
  });

  test.each([
    ['refuses', 'CITIZEN_REFUSED'],
    ['facialCheckFails', 'FACIAL_CHECK_FAILED'],
    ['biographicCheckFails', 'BIOGRAPHIC_CHECK_FAILED'],
    ['bothChecksFail', 'FACIAL_AND_BIOGRAPHIC_CHECK_FAILED'],
  ] as const)('denied (%s) carries the denial reason %s', async (magic, reason) => {
    const cpf = CPF[magic];
    const sub = watchCpf(cpf);
    await sleep(100);
    // The denial reason exists only on vbeta4 reads: a seal window makes this a vbeta4 transaction.
    const t = await request(cpf, { sealReuseWindowMinutes: 10 });
    expect(t.apiVersion).toBe('VBETA4');
    const ev = await sub.waitFor(ofType('DENIED'));
    expect(ev.transactionResponseChanged.transaction).toMatchObject({ id: t.id, status: 'DENIED', denialReason: reason });
    sub.stop();
  });

  test('expired: never answered, past its expiry the gateway records EXPIRED itself and stops polling', async () => {
    const sub = watchCpf(CPF.neverAnswers);
    await sleep(100);
    const t = await request(CPF.neverAnswers, { expiresInMinutes: 1 });
    await sub.waitFor(ofType('REQUESTED'));
    await sim.control('POST', `/transactions/${t.upstreamId}/expire`);
    const ev = await sub.waitFor(ofType('EXPIRED'));
    expect(ev.transactionResponseChanged.transaction.status).toBe('EXPIRED');
    expect(ev.transactionResponseChanged.transaction.response).toBeNull();
    const readsAtExpiry = (await sim.counters()).byTransaction[rawKey(t.id)]?.reads ?? 0;
    await sleep(600);
    expect((await sim.counters()).byTransaction[rawKey(t.id)]?.reads ?? 0).toBe(readsAtExpiry);
    expect(gw.gw.scheduler.watchedCount('transaction')).toBe(0);
    sub.stop();
  });

  test('auto-authorised by a fresh seal: the event arrives though no poll was needed', async () => {
    const sub = watchCpf(CPF.freshSeal);
    await sleep(100);
    const t = await request(CPF.freshSeal, { sealReuseWindowMinutes: 60 });
    expect(t).toMatchObject({ status: 'AUTHORIZED', autoAuthorized: true, seal: { available: true, used: true } });
    const ev = await sub.waitFor(ofType('REQUESTED'));
    expect(ev.transactionResponseChanged.transaction).toMatchObject({ id: t.id, status: 'AUTHORIZED', autoAuthorized: true });
    expect((await sim.counters()).byTransaction[rawKey(t.id)]?.reads ?? 0).toBe(0);
    sub.stop();
  });

  test('no biometry (SEMBIOM): cancelled in the 201 itself', async () => {
    const t = await request(CPF.noBiometry, { sealReuseWindowMinutes: 10 });
    expect(t.status).toBe('CANCELLED');
    expect(t.cancellation).toMatchObject({ code: 'NO_BIOMETRY', rawCode: 'SEMBIOM' });
  });

  test('cancelled by an admin: CANCELLED event, no answer after it', async () => {
    await sim.control('PUT', '/config', { answerAfterMs: 60_000 });
    try {
      const sub = watchCpf(CPF.authorizes);
      await sleep(100);
      const t = await request(CPF.authorizes);
      const forbidden = await gw.request(CancelProofOfLifeDocument, { id: rawKey(t.id) }, 'operator');
      expect(forbidden.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
      const c = await gw.done(CancelProofOfLifeDocument, { id: t.id }, 'admin');
      expect(c.cancelProofOfLife).toMatchObject({ status: 'CANCELLED', cancellation: { code: 'CLIENT' } });
      const ev = await sub.waitFor((e) => e.transactionResponseChanged.transaction.id === t.id && e.transactionResponseChanged.type === 'CANCELLED');
      expect(ev.transactionResponseChanged.transaction.status).toBe('CANCELLED');
      sub.stop();
    } finally {
      await sim.control('PUT', '/config', { answerAfterMs: 400 });
    }
  });

  test('an invalid CPF is rejected with BAD_USER_INPUT and never reaches the upstream', async () => {
    const before = await sim.apiCalls();
    for (const cpf of ['123.456.789-00', '12345678900', '123456789', 'abc.def.ghi-jk', '111.111.111-11']) {
      const r = await gw.request(RequestProofOfLifeDocument, { input: { cpf, reason: 'x' } });
      expect(r.data ?? null).toBeNull();
      expect(r.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
      expect(r.errors?.[0]?.message).toMatch(/CPF/);
    }
    const bad = await gw.request(RequestProofOfLifeDocument, { input: { cpf: CPF.authorizes, reason: '', expiresInMinutes: 0 } });
    // Argument checks are userErrors, one per field, each with its path into the arguments.
    expect(userErrorsAt(bad, 'requestProofOfLife').map((e) => [e.code, e.field])).toEqual(
      expect.arrayContaining([['BAD_USER_INPUT', ['input', 'reason']], ['BAD_USER_INPUT', ['input', 'expiresInMinutes']]]),
    );
    expect(JSON.stringify(bad)).not.toContain(CPF.authorizes);
    expect(await sim.apiCalls()).toBe(before);
  });

  test('an upstream 5xx on a create is UNCONFIRMED (it may have acted): recorded, not re-sent, no upstream details', async () => {
    const creates = async () => (await sim.counters()).byRoute['POST /api/vbeta4/transacoes'] ?? 0;
    const before = await creates();
    const r = await gw.request(RequestProofOfLifeDocument, { input: { cpf: CPF.upstreamFails, reason: 'x' } });
    expect(r.errors).toBeUndefined();
    expect(r.data?.requestProofOfLife?.transaction).toMatchObject({ status: 'UNCONFIRMED', upstreamId: null });
    const body = JSON.stringify(r);
    expect(body).not.toContain('127.0.0.1');
    expect(body).not.toContain('Serviço indisponível');
    const list = await gw.ok(TransactionsDocument, { cpf: CPF.upstreamFails }, 'viewer');
    expect(list.transactions.edges.map((e) => e.node.status)).toEqual(['UNCONFIRMED']);
    await sleep(600);
    expect((await creates()) - before).toBe(1);
  });

  test('unauthenticated and under-privileged callers are refused', async () => {
    const anon = await gw.request(TransactionsDocument, {}, null);
    expect(anon.errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');
    const viewer = await gw.request(RequestProofOfLifeDocument, { input: { cpf: CPF.authorizes, reason: 'x' } }, 'viewer');
    expect(viewer.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
  });

  test('transactions: filter by cpf and status, cursor pagination without overlap', async () => {
    const cpf = CPF.neverAnswers;
    for (let i = 0; i < 3; i++) await request(cpf);
    const seen = new Set<string>();
    let after: string | null = null;
    for (let page = 0; page < 10; page++) {
      const res: TransactionsQuery = await gw.ok(TransactionsDocument, { cpf, status: ['PENDING'], first: 2, after }, 'viewer');
      for (const e of res.transactions.edges) {
        expect(e.node.status).toBe('PENDING');
        expect(seen.has(e.node.id)).toBe(false);
        seen.add(e.node.id);
      }
      if (!res.transactions.pageInfo.hasNextPage) break;
      after = res.transactions.pageInfo.endCursor ?? null;
    }
    expect(seen.size).toBeGreaterThanOrEqual(3);
    const tooMany = await gw.request(TransactionsDocument, { first: 101 }, 'viewer');
    expect(tooMany.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
  });
});

describe('messages', () => {
  test('direct: send, read, delete; the person lists it', async () => {
    const sent = await gw.done(SendMessageDocument, { input: { cpf: CPF.authorizes, title: 'Aviso', content: 'Sua prova de vida vence em 10 dias' } });
    expect(sent.sendMessage).toMatchObject({ kind: 'DIRECT', status: 'SENT', cpf: '100.000.001-08', title: 'Aviso' });
    const id = sent.sendMessage.id;
    const upstream = await sim.control<{ deleted: boolean; titulo: string }>('GET', `/messages/${sent.sendMessage.upstreamId}`);
    expect(upstream).toMatchObject({ titulo: 'Aviso', deleted: false });
    const read = await gw.ok(MessageDocument, { id }, 'viewer');
    expect(read.message).toMatchObject({ id, status: 'SENT' });
    const person = await gw.ok(PersonDocument, { cpf: CPF.authorizes }, 'viewer');
    expect(person.person?.messages.nodes.map((m) => m.id)).toContain(id);
    const del = await gw.done(DeleteMessageDocument, { id });
    expect(del.deleteMessage).toMatchObject({ status: 'DELETED' });
    expect(del.deleteMessage.deletedAt).not.toBeNull();
    expect((await sim.control<{ deleted: boolean }>('GET', `/messages/${sent.sendMessage.upstreamId}`)).deleted).toBe(true);
    const again = await gw.request(DeleteMessageDocument, { id: '00000000-0000-4000-8000-000000000000' });
    expect(userErrorAt(again, 'deleteMessage')).toMatchObject({ code: 'NOT_FOUND', field: ['id'] });
  });

  test('broadcast: admin only, no CPF', async () => {
    const denied = await gw.request(SendMessageDocument, { input: { title: 'Todos', content: 'Manutenção' } }, 'operator');
    expect(denied.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
    const sent = await gw.done(SendMessageDocument, { input: { title: 'Todos', content: 'Manutenção' } }, 'admin');
    expect(sent.sendMessage).toMatchObject({ kind: 'BROADCAST', cpf: null, status: 'SENT' });
  });
});

describe('subscriptions', () => {
  test('100 subscribers on one transaction cause one upstream poll per interval', async () => {
    const t = await request(CPF.neverAnswers);
    const subs: Collector<{ transactionResponseChanged: Ev }>[] = [];
    const clients: Client[] = [];
    for (let i = 0; i < 10; i++) clients.push(await gw.wsClient('viewer'));
    for (let i = 0; i < 100; i++) subs.push(Collector.subscribe(clients[i % 10]!, TransactionResponseChangedDocument, { transactionId: t.id, afterSeq: 0 }));
    await Promise.all(subs.map((s) => s.waitFor(ofType('REQUESTED'))));
    await eventually(async () => gw.gw.bus.subscriberCount >= 100);
    const before = (await sim.counters()).byTransaction[t.upstreamId!]?.reads ?? 0;
    const windowMs = 2000;
    await sleep(windowMs);
    const reads = ((await sim.counters()).byTransaction[t.upstreamId!]?.reads ?? 0) - before;
    // Base interval 150 ms, backoff ×1.5 capped at 1 s: at most windowMs/150 + 1 polls for ONE poller.
    expect(reads).toBeGreaterThanOrEqual(1);
    expect(reads).toBeLessThanOrEqual(Math.ceil(windowMs / 150) + 1);
    expect(gw.gw.scheduler.watchedCount('transaction')).toBeGreaterThanOrEqual(1);
    process.stdout.write(`[measure] 100 subscribers, ${windowMs} ms window: ${reads} upstream reads of the transaction\n`);
    subs.forEach((s) => s.stop());
    await Promise.all(clients.map((c) => c.dispose()));
  });

  test('afterSeq replays exactly the missed events, then tails live, without duplicates', async () => {
    await sim.control('PUT', '/config', { answerAfterMs: 60_000 });
    try {
      const t = await request(CPF.authorizes);
      const first = Collector.subscribe(ws, TransactionResponseChangedDocument, { transactionId: t.id, afterSeq: 0 });
      const requested = await first.waitFor(ofType('REQUESTED'));
      first.stop();
      const seq = requested.transactionResponseChanged.seq;
      await sim.control('POST', `/transactions/${t.upstreamId}/answer`, { authorized: true });
      // Wait until the store has the answer, then resubscribe from the last seq we saw.
      await eventually(async () => (await gw.ok(TransactionDocument, { id: t.id }, 'viewer')).transaction?.status === 'AUTHORIZED');
      const resumed = Collector.subscribe(ws, TransactionResponseChangedDocument, { transactionId: t.id, afterSeq: seq });
      await resumed.waitFor(ofType('AUTHORIZED'));
      await sleep(500);
      expect(resumed.items.map((e) => e.transactionResponseChanged.type)).toEqual(['AUTHORIZED']);
      resumed.stop();
    } finally {
      await sim.control('PUT', '/config', { answerAfterMs: 400 });
    }
  });

  test('a socket without a token is closed with 4401, a bad token with 4403', async () => {
    const { default: WebSocket } = await import('ws');
    const close = (params: Record<string, unknown>) =>
      new Promise<number>((resolve) => {
        const s = new WebSocket(gw.gw.server.wsUrl, 'graphql-transport-ws');
        s.on('open', () => s.send(JSON.stringify({ type: 'connection_init', payload: params })));
        s.on('close', (code) => resolve(code));
      });
    expect(await close({})).toBe(4401);
    expect(await close({ authorization: 'Bearer not-a-jwt' })).toBe(4403);
  });
});
