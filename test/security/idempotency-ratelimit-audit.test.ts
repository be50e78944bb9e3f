/**
 * Idempotency keys, mutation rate limits and the audit log, over real HTTP
 * against a gateway and the simulators on loopback.
 */
import { RequestProofOfLifeDocument, SendMessageDocument, StartPresentialCaptureDocument, LoginOperatorDocument } from '../__generated__/graphql';
import { print } from 'graphql';
import { PDV_MAGIC_CPFS as CPF } from '../../src/simulators/provaDeVida';
import { SPID_MAGIC_CPFS } from '../../src/simulators/spid';
import { PdvSim, SpidSim, TestGateway } from '../helpers/gateway';

let pdv: PdvSim;
let spid: SpidSim;
let gw: TestGateway;

beforeAll(async () => {
  pdv = await PdvSim.start({ answerAfterMs: 600_000 });
  spid = await SpidSim.start({ timings: { clientCaptureMs: 60_000, loginSettleMs: 10 } });
  gw = await TestGateway.start({ pdvUrl: pdv.url, spidStations: spid.stationsEnv });
});
afterAll(async () => {
  await gw?.close();
  await pdv?.close();
  await spid?.close();
});

const creates = async () => {
  const c = await pdv.counters();
  return (c.byRoute['POST /api/vbeta1/transacoes'] ?? 0) + (c.byRoute['POST /api/vbeta4/transacoes'] ?? 0);
};

async function post(query: string, variables: unknown, headers: Record<string, string> = {}, role: 'operator' | 'admin' | 'viewer' = 'operator', sub?: string) {
  const res = await fetch(gw.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await gw.token(role, sub)}`, ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: Record<string, { transaction?: { id: string } | null; userErrors?: { code: string; field: string[] | null }[] } | null> | null; errors?: { extensions?: Record<string, unknown> }[] };
  const payload = body.data?.['requestProofOfLife'];
  // The mutation's entity, and its first userError (an expected refusal, answered in the payload).
  return { status: res.status, headers: res.headers, body, tx: payload?.transaction ?? undefined, userError: payload?.userErrors?.[0] };
}

describe('idempotency', () => {
  const q = print(RequestProofOfLifeDocument);

  test('the same key twice (input field) → one upstream transaction, the same result', async () => {
    const before = await creates();
    const input = { cpf: CPF.authorizes, reason: 'idempotent', idempotencyKey: 'retry-key-0001' };
    const a = await post(q, { input });
    const b = await post(q, { input });
    expect(a.tx?.id).toBeDefined();
    expect(b.tx?.id).toBe(a.tx?.id);
    expect((await creates()) - before).toBe(1);
  });

  test('the Idempotency-Key header works the same way, also for concurrent retries', async () => {
    const before = await creates();
    const input = { cpf: CPF.authorizes, reason: 'header key' };
    const results = await Promise.all([1, 2, 3].map(() => post(q, { input }, { 'idempotency-key': 'retry-key-0002' })));
    const ids = new Set(results.map((r) => r.tx?.id).filter(Boolean));
    expect(ids.size).toBe(1);
    const [id] = [...ids];
    // Each of the three answers is that one transaction, or "the first call is still running" — nothing else.
    const outcomes = results.map((r) => (r.tx?.id === id ? 'SAME_ID' : (r.userError?.code ?? r.body.errors?.[0]?.extensions?.['code'])));
    expect(outcomes.filter((o) => o !== 'SAME_ID' && o !== 'IDEMPOTENCY_IN_PROGRESS')).toEqual([]);
    expect((await creates()) - before).toBe(1);
    // Once the first call is done, a retry with the key returns that transaction.
    expect((await post(q, { input }, { 'idempotency-key': 'retry-key-0002' })).tx?.id).toBe(id);
  });

  test('the same key with a different input is refused and reaches no upstream', async () => {
    await post(q, { input: { cpf: CPF.authorizes, reason: 'first', idempotencyKey: 'retry-key-0003' } });
    const before = await creates();
    const r = await post(q, { input: { cpf: CPF.authorizes, reason: 'second', idempotencyKey: 'retry-key-0003' } });
    expect(r.userError?.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await creates()).toBe(before);
  });

  test('keys belong to the caller: another user with the same key gets their own transaction', async () => {
    const input = { cpf: CPF.authorizes, reason: 'scoped', idempotencyKey: 'retry-key-0004' };
    const a = await post(q, { input }, {}, 'operator', 'alice');
    const b = await post(q, { input }, {}, 'operator', 'bob');
    expect(a.tx?.id).not.toBe(b.tx?.id);
  });

  test('a malformed key is refused before anything happens', async () => {
    const before = await creates();
    const r = await post(q, { input: { cpf: CPF.authorizes, reason: 'x', idempotencyKey: 'short' } });
    expect(r.userError).toEqual({ code: 'INVALID_IDEMPOTENCY_KEY', field: ['input', 'idempotencyKey'], message: expect.any(String) });
    expect(await creates()).toBe(before);
  });

  test('an upstream refusal (4xx: it did nothing) releases the key: the retry runs', async () => {
    await pdv.control('POST', '/faults', { route: 'POST /api/vbeta4/transacoes', kind: 'status', status: 400, count: 1 });
    const input = { cpf: CPF.authorizes, reason: 'after refusal', idempotencyKey: 'retry-key-0005' };
    const first = await post(q, { input });
    expect(first.userError?.code).toBe('BAD_USER_INPUT');
    const second = await post(q, { input });
    expect(second.tx).toMatchObject({ status: 'PENDING' });
  });

  test('a 5xx on a create (it may have acted) keeps the key: the retry returns the same UNCONFIRMED transaction, no second create', async () => {
    await pdv.control('POST', '/faults', { route: 'POST /api/vbeta4/transacoes', kind: 'status', status: 503, count: 1 });
    const before = await creates();
    const input = { cpf: CPF.authorizes, reason: 'after 5xx', idempotencyKey: 'retry-key-0008' };
    const first = await post(q, { input });
    expect(first.tx).toMatchObject({ status: 'UNCONFIRMED' });
    const second = await post(q, { input });
    expect(second.tx).toEqual(first.tx);
    expect((await creates()) - before).toBe(1);
  });

  test('sendMessage and startPresentialCapture: one upstream side effect per key', async () => {
    const msgs = async () => (await pdv.counters()).byRoute['POST /api/vbeta1/mensagens'] ?? 0;
    const m0 = await msgs();
    const input = { cpf: CPF.authorizes, title: 'Aviso', content: 'Uma vez só', idempotencyKey: 'retry-key-0006' };
    const a = await gw.done(SendMessageDocument, { input });
    const b = await gw.done(SendMessageDocument, { input });
    expect(b.sendMessage.id).toBe(a.sendMessage.id);
    expect((await msgs()) - m0).toBe(1);

    await gw.ok(LoginOperatorDocument, { stationId: 'station-2', operatorCpf: SPID_MAGIC_CPFS.operatorOk });
    const verifies = async () => (await spid.counters()).byStation['station-2']?.byRoute['GET /verify/{cpf}'] ?? 0;
    const v0 = await verifies();
    const vars = { stationId: 'station-2', cpf: SPID_MAGIC_CPFS.matches, idempotencyKey: 'retry-key-0007' };
    const c1 = await gw.done(StartPresentialCaptureDocument, vars);
    const c2 = await gw.done(StartPresentialCaptureDocument, vars);
    expect(c2.startPresentialCapture.id).toBe(c1.startPresentialCapture.id);
    expect((await verifies()) - v0).toBe(1);
  });
});

describe('audit log', () => {
  const auditQuery = `query($actor: String, $action: String) { auditLog(actor: $actor, action: $action, first: 20) { nodes { actor role action target result at } } }`;

  test('every mutation is recorded (success and failure) and only admins can read it', async () => {
    await post(print(RequestProofOfLifeDocument), { input: { cpf: CPF.authorizes, reason: 'audited' } }, {}, 'operator', 'auditor-op');
    await post(print(RequestProofOfLifeDocument), { input: { cpf: CPF.upstreamFails, reason: 'audited failure' } }, {}, 'operator', 'auditor-op');
    const r = await post(auditQuery, { actor: 'auditor-op' }, {}, 'admin');
    expect(r.body.errors).toBeUndefined();
    const nodes = (r.body.data as unknown as { auditLog: { nodes: { actor: string; role: string; action: string; target: string; result: string }[] } }).auditLog.nodes;
    expect(nodes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ actor: 'auditor-op', role: 'OPERATOR', action: 'requestProofOfLife', result: 'OK', target: expect.stringMatching(/^Transaction:/) }),
        // Upstream 5xx on this CPF: the create may have happened, so the result is UNCONFIRMED, with the row it left.
        expect.objectContaining({ actor: 'auditor-op', action: 'requestProofOfLife', result: 'UNCONFIRMED', target: expect.stringMatching(/^Transaction:/) }),
      ]),
    );
    const denied = await post(auditQuery, {}, {}, 'operator');
    expect(denied.body.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
  });
});

describe('rate limits', () => {
  test('per user: past the budget → RATE_LIMITED, HTTP 429 with retry-after, and no upstream call', async () => {
    const limited = await TestGateway.start({ pdvUrl: pdv.url, env: { RATE_LIMIT_USER_PER_MINUTE: '3', RATE_LIMIT_IP_PER_MINUTE: '1000' } });
    try {
      const req = async (sub: string) => {
        const res = await fetch(limited.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${await limited.token('operator', sub)}` },
          body: JSON.stringify({ query: print(RequestProofOfLifeDocument), variables: { input: { cpf: CPF.authorizes, reason: 'flood' } } }),
        });
        return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as { errors?: { extensions?: Record<string, unknown> }[] } };
      };
      for (let i = 0; i < 3; i++) expect((await req('flooder')).body.errors).toBeUndefined();
      const before = await creates();
      const r = await req('flooder');
      expect(r.status).toBe(429);
      expect(Number(r.retryAfter)).toBeGreaterThan(0);
      expect(r.body.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number) });
      expect(await creates()).toBe(before);
      // Another user is not affected; reads are not limited.
      expect((await req('someone-else')).body.errors).toBeUndefined();
    } finally {
      await limited.close();
    }
  });

  test('per IP: many users from one address share one budget', async () => {
    const limited = await TestGateway.start({ pdvUrl: pdv.url, env: { RATE_LIMIT_USER_PER_MINUTE: '1000', RATE_LIMIT_IP_PER_MINUTE: '4' } });
    try {
      const codes: (string | undefined)[] = [];
      for (let i = 0; i < 6; i++) {
        const res = await fetch(limited.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${await limited.token('operator', `user-${i}`)}` },
          body: JSON.stringify({ query: print(SendMessageDocument), variables: { input: { cpf: CPF.authorizes, title: 't', content: 'c' } } }),
        });
        const body = (await res.json()) as { errors?: { extensions?: Record<string, unknown> }[] };
        codes.push(body.errors?.[0]?.extensions?.['code'] as string | undefined);
      }
      expect(codes.slice(0, 4)).toEqual([undefined, undefined, undefined, undefined]);
      expect(codes.slice(4)).toEqual(['RATE_LIMITED', 'RATE_LIMITED']);
    } finally {
      await limited.close();
    }
  });
});
