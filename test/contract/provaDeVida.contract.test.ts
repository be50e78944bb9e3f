/**
 * Contract tests: our Prova de Vida client against the simulator over
 * loopback. One simulator for the file; every test resets it and builds its
 * own client (so circuit-breaker state never crosses tests).
 */
import { PDV_MAGIC_CPFS, startProvaDeVidaSimulator } from '../../src/simulators/provaDeVida';
import { createProvaDeVidaClient, type ProvaDeVidaClientOptions } from '../../src/upstreams/provaDeVida/client';
import type {
  CreateProofOfLifeRequest,
  ProofOfLifeKind,
  ProvaDeVidaApi,
  ProvaDeVidaApiVersion,
  UpstreamTransaction,
} from '../../src/upstreams/provaDeVida/types';
import {
  UpstreamAuthError,
  UpstreamConflictError,
  UpstreamNotFoundError,
  UpstreamUnavailableError,
  UpstreamValidationError,
} from '../../src/upstreams/errors';
import { caught } from '../helpers/assert';

type Sim = Awaited<ReturnType<typeof startProvaDeVidaSimulator>>;
interface Counters {
  total: number;
  byRoute: Record<string, number>;
  byTransaction: Record<string, { reads: number }>;
}

const ANSWER_AFTER_MS = 300;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';
const REQUESTER = { cnpj: '33.683.111/0001-07', name: 'Secretaria de Governo Digital', service: 'AppGovBr' };
const SENDER = { cnpj: '33.683.111/0001-07', name: 'Secretaria de Governo Digital' };

let sim: Sim;
const clients: ProvaDeVidaApi[] = [];

beforeAll(async () => {
  sim = await startProvaDeVidaSimulator({ answerAfterMs: ANSWER_AFTER_MS });
});
afterAll(async () => {
  await sim.close();
});
beforeEach(async () => {
  await control('POST', '/reset');
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

async function control<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(sim.controlUrl + path, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`control ${method} ${path} → ${res.status}`);
  return (await res.json()) as T;
}

const counters = () => control<Counters>('GET', '/counters');
const routeCount = async (route: string) => (await counters()).byRoute[route] ?? 0;

function client(apiVersion: ProvaDeVidaApiVersion, extra: Partial<ProvaDeVidaClientOptions> = {}): ProvaDeVidaApi {
  const c = createProvaDeVidaClient({
    baseUrl: sim.url,
    clientId: 'gateway-dev',
    clientSecret: 'gateway-dev-secret',
    apiVersion,
    retry: { maxAttempts: 3, initialDelayMs: 10, maxDelayMs: 50 },
    ...extra,
  });
  clients.push(c);
  return c;
}

const req = (cpf: string, extra: Partial<CreateProofOfLifeRequest> = {}): CreateProofOfLifeRequest => ({
  requester: REQUESTER,
  cpf,
  reason: 'prova de vida para benefício',
  kind: 'B',
  expiresInMinutes: 120,
  ...extra,
});


/** Polls like the gateway does (there are no webhooks upstream) until an answer or cancellation shows. */
async function waitForOutcome(c: ProvaDeVidaApi, id: string, timeoutMs = 5000): Promise<UpstreamTransaction> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const tx = await c.getTransaction(id);
    if (tx.response || tx.cancellation) return tx;
    if (Date.now() > deadline) throw new Error('transaction never answered');
    await new Promise((r) => setTimeout(r, 100));
  }
}

const MINUTE = 60_000;

// ---------------------------------------------------------------------------

describe('Prova de Vida contract — apiVersion vbeta4', () => {
  const v = 'vbeta4' as const;

  it('token: Basic credentials → one token, reused across calls', async () => {
    const c = client(v);
    await expect(c.getTransaction(UNKNOWN_ID)).rejects.toBeInstanceOf(UpstreamNotFoundError);
    await expect(c.getTransaction(UNKNOWN_ID)).rejects.toBeInstanceOf(UpstreamNotFoundError);
    expect(await routeCount('POST /auth/oauth/token')).toBe(1);
  });

  it('transaction without a seal window: POST vbeta4 without selogovbr_reuso_em (manual 2025-12), categoria kept; then authorised', async () => {
    const c = client(v);
    const created = await c.createTransaction(req(PDV_MAGIC_CPFS.authorizes!, { category: 'OU' }));
    expect(created.version).toBe('vbeta4');
    expect(created.id).toMatch(UUID);
    expect(await routeCount('POST /api/vbeta4/transacoes')).toBe(1);
    expect(await routeCount('POST /api/vbeta1/transacoes')).toBe(0);
    expect(created.transaction).toMatchObject({
      id: created.id,
      cpf: PDV_MAGIC_CPFS.authorizes,
      seal: null,
      requester: REQUESTER,
      reason: 'prova de vida para benefício',
      kind: 'B',
      category: 'OU',
      response: null,
      cancellation: null,
    });
    const tx = await c.getTransaction(created.id);
    expect(tx.category).toBe('OU');
    expect(tx.expiresAt.getTime() - tx.createdAt.getTime()).toBe(120 * MINUTE);

    const answered = await waitForOutcome(c, created.id);
    expect(answered.response).toEqual({ authorized: true, answeredAt: expect.any(Date), denialReason: null, denialReasonCode: null });
  });

  it('legacy option: without a seal window POST vbeta1 → bare UUID; read back has no cpf and no seal', async () => {
    const c = client(v, { legacyVbeta1Create: true });
    const created = await c.createTransaction(req(PDV_MAGIC_CPFS.authorizes!, { category: 'OU' }));
    expect(created).toEqual({ id: expect.stringMatching(UUID), version: 'vbeta1', transaction: null });
    expect(await routeCount('POST /api/vbeta1/transacoes')).toBe(1);
    const tx = await c.getTransaction(created.id);
    expect(tx).toMatchObject({ id: created.id, cpf: null, seal: null, kind: 'B', response: null, cancellation: null });
  });

  it('seal transaction without auto-authorisation: full object in the 201', async () => {
    const c = client(v);
    const created = await c.createTransaction(
      req(PDV_MAGIC_CPFS.authorizes!, { sealReuseWindowMinutes: 20160, category: 'OU', kind: 'C', expiresInMinutes: 30 }),
    );
    expect(created.version).toBe('vbeta4');
    const tx = created.transaction;
    if (!tx) throw new Error('expected the object');
    expect(tx.id).toBe(created.id);
    expect(tx).toMatchObject({
      cpf: PDV_MAGIC_CPFS.authorizes,
      requester: REQUESTER,
      kind: 'C',
      category: 'OU',
      response: null,
      cancellation: null,
    });
    expect(tx.expiresAt.getTime() - tx.createdAt.getTime()).toBe(30 * MINUTE);
    expect(tx.seal).toEqual({ reuseFrom: expect.any(Date), available: false, validatedAt: null, used: false });
    expect(tx.createdAt.getTime() - (tx.seal?.reuseFrom?.getTime() ?? 0)).toBe(20160 * MINUTE);
    expect(Math.abs(tx.createdAt.getTime() - Date.now())).toBeLessThan(10_000);

    const read = await c.getTransaction(created.id);
    expect(read.seal).toEqual(tx.seal);
    expect(read.category).toBe('OU');
  });

  it('seal transaction auto-authorised by a fresh seal: answered in the 201', async () => {
    const c = client(v);
    const created = await c.createTransaction(req(PDV_MAGIC_CPFS.freshSeal!, { sealReuseWindowMinutes: 60, category: 'PV' }));
    const tx = created.transaction;
    if (!tx) throw new Error('expected the object');
    expect(tx.response).toEqual({ authorized: true, answeredAt: tx.createdAt, denialReason: null, denialReasonCode: null });
    expect(tx.seal).toMatchObject({ available: true, used: true });
    expect(tx.seal?.validatedAt).toBeInstanceOf(Date);
    expect(tx.seal!.validatedAt!.getTime()).toBeGreaterThanOrEqual(tx.seal!.reuseFrom!.getTime());
    expect(tx.category).toBe('PV');
  });

  it.each([
    ['refuses', 1],
    ['facialCheckFails', 2],
    ['biographicCheckFails', 3],
    ['bothChecksFail', 4],
  ] as const)('denied (%s) → denialReason %i', async (magic, reason) => {
    const c = client(v);
    const created = await c.createTransaction(req(PDV_MAGIC_CPFS[magic]!, { sealReuseWindowMinutes: 10 }));
    const tx = await waitForOutcome(c, created.id);
    expect(tx.response).toEqual({ authorized: false, answeredAt: expect.any(Date), denialReason: reason, denialReasonCode: String(reason) });
    expect(tx.cancellation).toBeNull();
  });

  it('answer forced through the control API is read back (denialReason 3)', async () => {
    const c = client(v);
    const created = await c.createTransaction(req(PDV_MAGIC_CPFS.neverAnswers!, { sealReuseWindowMinutes: 10 }));
    await control('POST', `/transactions/${created.id}/answer`, { authorized: false, denialReason: 3 });
    const tx = await c.getTransaction(created.id);
    expect(tx.response?.denialReason).toBe(3);
  });

  it('an undocumented motivo_negacao (control API) is read as a denial with the raw code, not as a malformed answer', async () => {
    const c = client(v);
    const created = await c.createTransaction(req(PDV_MAGIC_CPFS.neverAnswers!));
    await control('POST', `/transactions/${created.id}/answer`, { authorized: false, undocumentedDenialReason: 9 });
    const tx = await c.getTransaction(created.id);
    expect(tx.response).toEqual({ authorized: false, answeredAt: expect.any(Date), denialReason: null, denialReasonCode: '9' });
    expect(await routeCount('GET /api/:version/transacoes/:id')).toBe(1);
  });

  it('no biometry → SEMBIOM cancellation already in the 201', async () => {
    const c = client(v);
    const created = await c.createTransaction(req(PDV_MAGIC_CPFS.noBiometry!, { sealReuseWindowMinutes: 10 }));
    expect(created.transaction?.cancellation).toEqual({ code: 'SEMBIOM', reason: expect.any(String), cancelledAt: expect.any(Date) });
    expect(created.transaction?.response).toBeNull();
  });

  it('cancel: CLIENTE cancellation read back; answered → ALREADY_ANSWERED; unknown → 404', async () => {
    const c = client(v);
    const pending = await c.createTransaction(req(PDV_MAGIC_CPFS.neverAnswers!, { sealReuseWindowMinutes: 10 }));
    await expect(c.cancelTransaction(pending.id)).resolves.toBeUndefined();
    const cancelled = await c.getTransaction(pending.id);
    expect(cancelled.cancellation).toEqual({ code: 'CLIENTE', reason: expect.any(String), cancelledAt: expect.any(Date) });
    expect(cancelled.response).toBeNull();

    const answered = await c.createTransaction(req(PDV_MAGIC_CPFS.freshSeal!, { sealReuseWindowMinutes: 10 }));
    const e = await caught(c.cancelTransaction(answered.id));
    expect(e).toBeInstanceOf(UpstreamConflictError);
    expect((e as UpstreamConflictError).reason).toBe('ALREADY_ANSWERED');

    await expect(c.cancelTransaction(UNKNOWN_ID)).rejects.toBeInstanceOf(UpstreamNotFoundError);
    expect(await routeCount('PUT /api/vbeta4/transacoes/:id/cancelar')).toBe(3);
  });

  it('expired (control) → no response, expiresAt in the past', async () => {
    const c = client(v);
    const created = await c.createTransaction(req(PDV_MAGIC_CPFS.neverAnswers!, { sealReuseWindowMinutes: 10 }));
    await control('POST', `/transactions/${created.id}/expire`);
    const tx = await c.getTransaction(created.id);
    expect(tx.response).toBeNull();
    expect(tx.expiresAt.getTime()).toBeLessThan(Date.now());
  });

  it('404 for an unknown transaction (not retried)', async () => {
    const c = client(v);
    await expect(c.getTransaction(UNKNOWN_ID)).rejects.toBeInstanceOf(UpstreamNotFoundError);
    expect(await routeCount('GET /api/:version/transacoes/:id')).toBe(1);
  });

  it('400 → UpstreamValidationError with every field in our names and our own messages', async () => {
    const c = client(v);
    const e = await caught(
      c.createTransaction({
        requester: { cnpj: '', name: 'SGD', service: ' ' },
        cpf: '12345678900',
        reason: '',
        kind: 'B',
        expiresInMinutes: 0,
        sealReuseWindowMinutes: -1,
      }),
    );
    expect(e).toBeInstanceOf(UpstreamValidationError);
    const fields = (e as UpstreamValidationError).fields;
    expect(Object.keys(fields).sort()).toEqual(
      ['cpf', 'expiresInMinutes', 'reason', 'requester.cnpj', 'requester.service', 'sealReuseWindowMinutes'].sort(),
    );
    expect(fields.cpf).toBe('invalid CPF');
    expect(JSON.stringify(fields)).not.toMatch(/inválido|branco|maior/);
    expect(e.message).not.toMatch(/Argumentos/);
  });

  it('400 on a create without seal window and on an invalid categoria map too', async () => {
    const c = client(v);
    const e1 = (await caught(c.createTransaction(req('11111111111')))) as UpstreamValidationError;
    expect(e1.fields).toEqual({ cpf: 'invalid CPF' });
    const e2 = (await caught(
      c.createTransaction(req(PDV_MAGIC_CPFS.authorizes!, { sealReuseWindowMinutes: 1, category: 'XX' as unknown as 'PV' })),
    )) as UpstreamValidationError;
    expect(e2).toBeInstanceOf(UpstreamValidationError);
    expect(Object.keys(e2.fields)).toEqual(['category']);
  });

  it('422 (invalid tipo) → UpstreamValidationError on kind, upstream text not echoed', async () => {
    const c = client(v);
    const e = await caught(c.createTransaction(req(PDV_MAGIC_CPFS.authorizes!, { kind: 'A' as ProofOfLifeKind })));
    expect(e).toBeInstanceOf(UpstreamValidationError);
    expect((e as UpstreamValidationError).fields).toEqual({ kind: 'invalid kind' });
    expect(e.message).not.toMatch(/tipo/);
  });

  it('401 after token revocation → transparent refresh and one retry', async () => {
    const c = client(v);
    const created = await c.createTransaction(req(PDV_MAGIC_CPFS.neverAnswers!, { sealReuseWindowMinutes: 10 }));
    await control('POST', '/tokens/revoke');
    await control('POST', '/counters/reset');
    const tx = await c.getTransaction(created.id);
    expect(tx.id).toBe(created.id);
    const n = await counters();
    expect(n.byRoute['POST /auth/oauth/token']).toBe(1);
    expect(n.byRoute['GET /api/:version/transacoes/:id']).toBe(2);
  });

  it('401 after revocation on a create is also refreshed and retried (the 401 means nothing was created)', async () => {
    const c = client(v);
    await c.getTransaction(UNKNOWN_ID).catch(() => undefined);
    await control('POST', '/tokens/revoke');
    const created = await c.createTransaction(req(PDV_MAGIC_CPFS.neverAnswers!, { sealReuseWindowMinutes: 10 }));
    expect(created.id).toMatch(UUID);
    expect(await routeCount('POST /api/vbeta4/transacoes')).toBe(2);
    const all = await control<unknown[]>('GET', '/transactions');
    expect(all).toHaveLength(1);
  });

  it('wrong credentials → UpstreamAuthError', async () => {
    const c = client(v, { clientSecret: 'wrong' });
    const e = await caught(c.getTransaction(UNKNOWN_ID));
    expect(e).toBeInstanceOf(UpstreamAuthError);
    expect(e.message).not.toContain('wrong');
    expect(await routeCount('GET /api/:version/transacoes/:id')).toBe(0);
  });

  it('503 on create (magic CPF) → UpstreamUnavailableError, not retried (counter = 1)', async () => {
    const c = client(v);
    await expect(c.createTransaction(req(PDV_MAGIC_CPFS.upstreamFails!, { sealReuseWindowMinutes: 10 }))).rejects.toBeInstanceOf(
      UpstreamUnavailableError,
    );
    await expect(c.createTransaction(req(PDV_MAGIC_CPFS.upstreamFails!))).rejects.toBeInstanceOf(UpstreamUnavailableError);
    const n = await counters();
    expect(n.byRoute['POST /api/vbeta4/transacoes']).toBe(2);
    expect(n.byRoute['POST /api/vbeta1/transacoes']).toBe(0);
  });

  it('injected 503 / reset / timeout on create → UpstreamUnavailableError, never re-POSTed', async () => {
    const c = client(v, { requestTimeoutMs: 300 });
    await control('POST', '/faults', { route: 'POST /api/vbeta4/transacoes', kind: 'status', status: 503 });
    await expect(c.createTransaction(req(PDV_MAGIC_CPFS.authorizes!, { sealReuseWindowMinutes: 10 }))).rejects.toBeInstanceOf(
      UpstreamUnavailableError,
    );
    await control('POST', '/faults', { route: 'POST /api/vbeta4/transacoes', kind: 'reset' });
    await expect(c.createTransaction(req(PDV_MAGIC_CPFS.authorizes!, { sealReuseWindowMinutes: 10 }))).rejects.toBeInstanceOf(
      UpstreamUnavailableError,
    );
    await control('POST', '/faults', { route: 'POST /api/vbeta4/transacoes', kind: 'latency', latencyMs: 800 });
    const e = await caught(c.createTransaction(req(PDV_MAGIC_CPFS.authorizes!, { sealReuseWindowMinutes: 10 })));
    expect(e).toBeInstanceOf(UpstreamUnavailableError);
    await new Promise((r) => setTimeout(r, 700)); // let the late request land upstream
    expect(await routeCount('POST /api/vbeta4/transacoes')).toBe(3);
  });

  it('GET retried through one injected 503', async () => {
    const c = client(v);
    const created = await c.createTransaction(req(PDV_MAGIC_CPFS.neverAnswers!, { sealReuseWindowMinutes: 10 }));
    await control('POST', '/faults', { route: 'GET /api/:version/transacoes/:id', kind: 'status', status: 503, count: 1 });
    const tx = await c.getTransaction(created.id);
    expect(tx.id).toBe(created.id);
    const n = await counters();
    expect(n.byRoute['GET /api/:version/transacoes/:id']).toBe(2);
  });

  it('GET retried through a reset and a malformed body', async () => {
    const c = client(v);
    const created = await c.createTransaction(req(PDV_MAGIC_CPFS.neverAnswers!, { sealReuseWindowMinutes: 10 }));
    await control('POST', '/faults', { route: 'GET /api/:version/transacoes/:id', kind: 'reset' });
    await control('POST', '/faults', { route: 'GET /api/:version/transacoes/:id', kind: 'malformed' });
    await expect(c.getTransaction(created.id)).resolves.toMatchObject({ id: created.id });
    expect(await routeCount('GET /api/:version/transacoes/:id')).toBe(3);
  });

  it('malformed body on every try → UpstreamUnavailableError after maxAttempts; on create → not retried', async () => {
    const c = client(v);
    const created = await c.createTransaction(req(PDV_MAGIC_CPFS.neverAnswers!, { sealReuseWindowMinutes: 10 }));
    await control('POST', '/faults', { route: '*', kind: 'malformed', count: -1 });
    const e = await caught(c.getTransaction(created.id));
    expect(e).toBeInstanceOf(UpstreamUnavailableError);
    expect(e.message).not.toContain('unexpected');
    await expect(c.createTransaction(req(PDV_MAGIC_CPFS.authorizes!, { sealReuseWindowMinutes: 10 }))).rejects.toBeInstanceOf(
      UpstreamUnavailableError,
    );
    await expect(c.sendMessage({ sender: SENDER, title: 't', content: 'c' })).rejects.toBeInstanceOf(UpstreamUnavailableError);
    await control('DELETE', '/faults');
    const n = await counters();
    expect(n.byRoute['GET /api/:version/transacoes/:id']).toBe(3);
    expect(n.byRoute['POST /api/vbeta4/transacoes']).toBe(2);
    expect(n.byRoute['POST /api/vbeta1/mensagens']).toBe(1);
  });

  it('persistent 5xx opens the circuit; then calls fail fast without reaching the upstream', async () => {
    const c = client(v, { retry: { maxAttempts: 1 }, circuitBreaker: { threshold: 2, halfOpenAfterMs: 60_000 } });
    await c.getTransaction(UNKNOWN_ID).catch(() => undefined); // token
    await control('POST', '/faults', { route: 'GET /api/:version/transacoes/:id', kind: 'status', status: 500, count: -1 });
    await expect(c.getTransaction(UNKNOWN_ID)).rejects.toBeInstanceOf(UpstreamUnavailableError);
    await expect(c.getTransaction(UNKNOWN_ID)).rejects.toBeInstanceOf(UpstreamUnavailableError);
    await control('POST', '/counters/reset');
    await expect(c.getTransaction(UNKNOWN_ID)).rejects.toBeInstanceOf(UpstreamUnavailableError);
    expect((await counters()).total).toBe(0);
  });

  it('messages: direct send/read/delete, broadcast, 404 after delete and for unknown ids', async () => {
    const c = client(v);
    const cpf = PDV_MAGIC_CPFS.authorizes!;
    const directId = await c.sendMessage({ sender: SENDER, title: 'Aviso', content: 'Olá', cpf });
    expect(directId).toMatch(UUID);
    const direct = await c.getMessage(directId);
    expect(direct).toEqual({
      id: directId,
      sender: SENDER,
      title: 'Aviso',
      content: 'Olá',
      kind: 'D',
      cpf,
      createdAt: expect.any(Date),
    });

    const broadcastId = await c.sendMessage({ sender: SENDER, title: 'Todos', content: 'Para todos' });
    await expect(c.getMessage(broadcastId)).resolves.toMatchObject({ kind: 'B', cpf: null });

    await expect(c.deleteMessage(directId)).resolves.toBeUndefined();
    await expect(c.getMessage(directId)).rejects.toBeInstanceOf(UpstreamNotFoundError);
    await expect(c.deleteMessage(directId)).rejects.toBeInstanceOf(UpstreamNotFoundError);
    await expect(c.getMessage(UNKNOWN_ID)).rejects.toBeInstanceOf(UpstreamNotFoundError);
    const n = await counters();
    expect(n.byRoute['POST /api/vbeta1/mensagens']).toBe(2);
    expect(n.byRoute['DELETE /api/vbeta1/mensagens/:id']).toBe(2);
  });

  it('messages: 400 fields mapped (cpf, title, sender.cnpj); 503 never retried; GET retried through 503', async () => {
    const c = client(v);
    const e = (await caught(
      c.sendMessage({ sender: { cnpj: '', name: 'SGD' }, title: '', content: 'c', cpf: '12345678900' }),
    )) as UpstreamValidationError;
    expect(e).toBeInstanceOf(UpstreamValidationError);
    expect(Object.keys(e.fields).sort()).toEqual(['cpf', 'sender.cnpj', 'title']);

    await expect(c.sendMessage({ sender: SENDER, title: 't', content: 'c', cpf: PDV_MAGIC_CPFS.upstreamFails! })).rejects.toBeInstanceOf(
      UpstreamUnavailableError,
    );
    expect(await routeCount('POST /api/vbeta1/mensagens')).toBe(2);

    const id = await c.sendMessage({ sender: SENDER, title: 't', content: 'c' });
    await control('POST', '/faults', { route: 'GET /api/vbeta1/mensagens/:id', kind: 'status', status: 502 });
    await expect(c.getMessage(id)).resolves.toMatchObject({ id });
    expect(await routeCount('GET /api/vbeta1/mensagens/:id')).toBe(2);
  });
});

// ---------------------------------------------------------------------------

describe('Prova de Vida contract — apiVersion vbeta2', () => {
  const v = 'vbeta2' as const;

  it('seal transaction: POST vbeta2 → object without categoria; read back', async () => {
    const c = client(v);
    const created = await c.createTransaction(req(PDV_MAGIC_CPFS.authorizes!, { sealReuseWindowMinutes: 20160, category: 'OU' }));
    expect(created.version).toBe('vbeta2');
    expect(created.transaction).toMatchObject({ cpf: PDV_MAGIC_CPFS.authorizes, category: null, response: null, cancellation: null });
    expect(created.transaction?.seal).toMatchObject({ available: false, used: false, validatedAt: null });
    const n = await counters();
    expect(n.byRoute['POST /api/vbeta2/transacoes']).toBe(1);
    expect(n.byRoute['POST /api/vbeta4/transacoes']).toBe(0);
    // categoria is vbeta4-only: the simulator's default shows it was not sent.
    const stored = await control<{ categoria: string }>('GET', `/transactions/${created.id}`);
    expect(stored.categoria).toBe('PV');

    const answered = await waitForOutcome(c, created.id);
    expect(answered.response).toEqual({ authorized: true, answeredAt: expect.any(Date), denialReason: null, denialReasonCode: null });
  });

  it('without a seal window: POST vbeta2 without selogovbr_reuso_em, full object back', async () => {
    const c = client(v);
    const created = await c.createTransaction(req(PDV_MAGIC_CPFS.neverAnswers!));
    expect(created.version).toBe('vbeta2');
    expect(created.transaction).toMatchObject({ id: created.id, cpf: PDV_MAGIC_CPFS.neverAnswers, seal: null, category: null, response: null });
    expect(await routeCount('POST /api/vbeta2/transacoes')).toBe(1);
  });

  it('legacy option: simple transaction via vbeta1, read back through vbeta2', async () => {
    const c = client(v, { legacyVbeta1Create: true });
    const created = await c.createTransaction(req(PDV_MAGIC_CPFS.neverAnswers!));
    expect(created).toEqual({ id: expect.stringMatching(UUID), version: 'vbeta1', transaction: null });
    const tx = await c.getTransaction(created.id);
    expect(tx).toMatchObject({ id: created.id, cpf: null, seal: null, category: null, response: null });
  });

  it('fresh seal auto-authorises on vbeta2 too', async () => {
    const c = client(v);
    const created = await c.createTransaction(req(PDV_MAGIC_CPFS.freshSeal!, { sealReuseWindowMinutes: 60 }));
    expect(created.transaction?.response?.authorized).toBe(true);
    expect(created.transaction?.seal?.used).toBe(true);
  });

  it('denied → no denialReason on vbeta2', async () => {
    const c = client(v);
    const created = await c.createTransaction(req(PDV_MAGIC_CPFS.bothChecksFail!, { sealReuseWindowMinutes: 10 }));
    const tx = await waitForOutcome(c, created.id);
    expect(tx.response).toEqual({ authorized: false, answeredAt: expect.any(Date), denialReason: null, denialReasonCode: null });
  });

  it('no biometry on vbeta2 → no SEMBIOM cancellation; a denial later', async () => {
    const c = client(v);
    const created = await c.createTransaction(req(PDV_MAGIC_CPFS.noBiometry!, { sealReuseWindowMinutes: 10 }));
    expect(created.transaction?.cancellation).toBeNull();
    const tx = await waitForOutcome(c, created.id);
    expect(tx.cancellation).toBeNull();
    expect(tx.response?.authorized).toBe(false);
  });

  it('cancel → UpstreamConflictError UNSUPPORTED without calling the upstream', async () => {
    const c = client(v);
    const e = await caught(c.cancelTransaction(UNKNOWN_ID));
    expect(e).toBeInstanceOf(UpstreamConflictError);
    expect((e as UpstreamConflictError).reason).toBe('UNSUPPORTED');
    expect((await counters()).total).toBe(0);
  });

  it('404, 400 and 422 map the same way', async () => {
    const c = client(v);
    await expect(c.getTransaction(UNKNOWN_ID)).rejects.toBeInstanceOf(UpstreamNotFoundError);
    const e400 = (await caught(c.createTransaction(req('12345678900', { sealReuseWindowMinutes: 10 })))) as UpstreamValidationError;
    expect(e400.fields).toEqual({ cpf: 'invalid CPF' });
    const e422 = (await caught(
      c.createTransaction(req(PDV_MAGIC_CPFS.authorizes!, { sealReuseWindowMinutes: 10, kind: 'Z' as ProofOfLifeKind })),
    )) as UpstreamValidationError;
    expect(e422.fields).toEqual({ kind: 'invalid kind' });
  });

  it('503 on create not retried; GET retried through one 503', async () => {
    const c = client(v);
    await expect(c.createTransaction(req(PDV_MAGIC_CPFS.upstreamFails!, { sealReuseWindowMinutes: 10 }))).rejects.toBeInstanceOf(
      UpstreamUnavailableError,
    );
    expect(await routeCount('POST /api/vbeta2/transacoes')).toBe(1);
    const created = await c.createTransaction(req(PDV_MAGIC_CPFS.neverAnswers!, { sealReuseWindowMinutes: 10 }));
    await control('POST', '/faults', { route: 'GET /api/:version/transacoes/:id', kind: 'status', status: 503 });
    await expect(c.getTransaction(created.id)).resolves.toMatchObject({ id: created.id });
    expect(await routeCount('GET /api/:version/transacoes/:id')).toBe(2);
  });
});
