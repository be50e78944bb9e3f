/**
 * Query budget by cost, per-IP limits behind a load balancer (TRUST_PROXY +
 * X-Forwarded-For), and the introspection depth bound — over real HTTP and
 * WebSocket against gateways on loopback.
 */
import { getIntrospectionQuery, print } from 'graphql';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { SendMessageDocument } from '../__generated__/graphql';
import { PDV_MAGIC_CPFS as CPF } from '../../src/simulators/provaDeVida';
import { PdvSim, TestGateway } from '../helpers/gateway';

let pdv: PdvSim;
beforeAll(async () => {
  pdv = await PdvSim.start({ answerAfterMs: 600_000 });
});
afterAll(async () => {
  await pdv?.close();
});

type Body = { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] };

async function post(gw: TestGateway, query: string, variables: unknown, token: string | null, headers: Record<string, string> = {}) {
  const res = await fetch(gw.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as Body };
}
const code = (b: Body) => b.errors?.[0]?.extensions?.['code'];

async function withGateway(env: Record<string, string>, fn: (gw: TestGateway) => Promise<void>): Promise<void> {
  const gw = await TestGateway.start({ pdvUrl: pdv.url, env });
  try {
    await fn(gw);
  } finally {
    await gw.close();
  }
}

test('query budget: `stations { code online }` costs 1 + 1 + 1 per call; past the budget RATE_LIMITED (429, retry-after), per user', async () => {
  await withGateway({ RATE_LIMIT_QUERY_COST_PER_MINUTE: '8' }, async (gw) => {
    // Station.id is a global id; `code` is the configured id (same cost: 1 per field).
    const q = '{ stations { code online } }';
    const alice = await gw.token('viewer', 'budget-alice');
    const first = await post(gw, q, {}, alice);
    expect(first.body.errors).toBeUndefined();
    expect(first.body.data).toEqual({ stations: [{ code: 'unused', online: false }] });
    expect((await post(gw, q, {}, alice)).body.errors).toBeUndefined(); // 6 of 8 spent
    const third = await post(gw, q, {}, alice);
    expect(third.status).toBe(429);
    expect(Number(third.retryAfter)).toBeGreaterThan(0);
    expect(third.body.errors?.[0]?.extensions).toEqual({ code: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number) });
    expect(third.body.data ?? null).toBeNull();
    // Refused calls count too (no free retries in a loop): even a cheap query waits for the next window.
    expect(code((await post(gw, '{ stations { id } }', {}, alice)).body)).toBe('RATE_LIMITED');
    // Another user has their own budget.
    expect((await post(gw, q, {}, await gw.token('viewer', 'budget-bob'))).body.errors).toBeUndefined();

    // The same budget applies to queries over WebSocket.
    const ws = createClient({ url: gw.gw.server.wsUrl, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${alice}` }, retryAttempts: 0 });
    try {
      const r = await new Promise<unknown>((resolve) => {
        ws.subscribe({ query: q }, { next: resolve, error: resolve, complete: () => undefined });
      });
      expect(r).toEqual([expect.objectContaining({ extensions: { code: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number) } })]);
    } finally {
      await ws.dispose();
    }
  });
});

describe('per-IP mutation limit and X-Forwarded-For', () => {
  const send = (gw: TestGateway, sub: string, xff: string) =>
    gw.token('operator', sub).then((t) => post(gw, print(SendMessageDocument), { input: { cpf: CPF.authorizes, title: 't', content: 'c' } }, t, { 'x-forwarded-for': xff }));

  test('TRUST_PROXY=1: each forwarded client has its own budget, and the audit records the client address', async () => {
    await withGateway({ RATE_LIMIT_USER_PER_MINUTE: '1000', RATE_LIMIT_IP_PER_MINUTE: '2', TRUST_PROXY: '1' }, async (gw) => {
      const codes = [];
      for (let i = 0; i < 3; i++) codes.push(code((await send(gw, `xff-a${i}`, '203.0.113.7')).body));
      expect(codes).toEqual([undefined, undefined, 'RATE_LIMITED']);
      // Another client behind the same load balancer is not affected; a spoofed far-left hop is ignored.
      expect(code((await send(gw, 'xff-b', '198.51.100.1, 203.0.113.8')).body)).toBeUndefined();
      const rows = (await gw.gw.store.listAudit({ actor: 'xff-b' }, 5, null)).items;
      expect(rows.map((r) => r.ip)).toEqual(['203.0.113.8']);
    });
  });

  test('TRUST_PROXY unset: X-Forwarded-For is ignored, so a client cannot pick a fresh address per request', async () => {
    await withGateway({ RATE_LIMIT_USER_PER_MINUTE: '1000', RATE_LIMIT_IP_PER_MINUTE: '2' }, async (gw) => {
      const codes = [];
      for (let i = 0; i < 3; i++) codes.push(code((await send(gw, `noxff-${i}`, `203.0.113.${i + 1}`)).body));
      expect(codes).toEqual([undefined, undefined, 'RATE_LIMITED']);
      const rows = (await gw.gw.store.listAudit({ actor: 'noxff-0' }, 5, null)).items;
      expect(rows.map((r) => r.ip)).toEqual([expect.stringMatching(/^(::ffff:)?127\.0\.0\.1$/)]);
    });
  });
});

describe('introspection depth (development: introspection on)', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await TestGateway.start({ pdvUrl: pdv.url, env: { NODE_ENV: 'development' } });
  });
  afterAll(async () => {
    await gw?.close();
  });
  const deep = `{ __schema { types { ${'ofType { '.repeat(40)}name${' }'.repeat(40)} } } }`;

  test('a 40-level ofType chain is refused (HTTP): GRAPHQL_VALIDATION_FAILED', async () => {
    const r = await post(gw, deep, {}, await gw.token('viewer'));
    expect(r.status).toBe(400);
    expect(code(r.body)).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(r.body.errors?.[0]?.message).toBe('Introspection depth 43 exceeds the limit of 15');
    expect(r.body.data ?? null).toBeNull();
  });

  test('the same over WebSocket', async () => {
    const ws = createClient({ url: gw.gw.server.wsUrl, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${await gw.token('viewer')}` }, retryAttempts: 0 });
    try {
      const r = await new Promise<unknown>((resolve) => ws.subscribe({ query: deep }, { next: resolve, error: resolve, complete: () => undefined }));
      expect(r).toEqual([expect.objectContaining({ message: 'Introspection depth 43 exceeds the limit of 15', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } })]);
    } finally {
      await ws.dispose();
    }
  });

  test("graphql-js's standard introspection query (GraphiQL, codegen) is still answered", async () => {
    const r = await post(gw, getIntrospectionQuery(), {}, await gw.token('viewer'));
    expect(r.body.errors).toBeUndefined();
    expect((r.body.data as { __schema: { queryType: { name: string } } }).__schema.queryType.name).toBe('Query');
  });
});
