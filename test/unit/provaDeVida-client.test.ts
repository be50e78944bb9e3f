/**
 * Unit tests of the Prova de Vida client against tiny loopback servers (no
 * simulator): wire helpers, token single-flight and caching, 401 handling,
 * retry/no-retry rules, error mapping and what never leaks into errors/logs.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { createProvaDeVidaClient, type ProvaDeVidaClientOptions } from '../../src/upstreams/provaDeVida/client';
import { parseCreatedId, parseUpstreamTime } from '../../src/upstreams/provaDeVida/wire';
import type { CreateProofOfLifeRequest, ProvaDeVidaApi } from '../../src/upstreams/provaDeVida/types';
import {
  UpstreamAuthError,
  UpstreamConflictError,
  UpstreamError,
  UpstreamNotFoundError,
  UpstreamProtocolError,
  UpstreamUnavailableError,
  UpstreamValidationError,
  mayHaveActed,
} from '../../src/upstreams/errors';
import { caught } from '../helpers/assert';

// ---------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------

const CLIENT_ID = 'unit-client-id';
const CLIENT_SECRET = 'unit-SECRET-value-42';
const TOKEN = 'tok-UNIT-access-token-777';
const TX_ID = '0a4f7059-78b3-1b16-8179-56713d547f8a';
const MSG_ID = '7f000101-729a-1bab-8172-9a9c74160001';
const CPF = '01534562567';
/** Put into every upstream body so tests can prove it never leaks. */
const BODY_MARKER = 'UPSTREAM-BODY-MARKER';

interface Hit {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

type Reply = (req: Hit, res: http.ServerResponse) => void | Promise<void>;

interface TestServer {
  url: string;
  port: number;
  hits: Hit[];
  count(method: string, pathStart: string): number;
  close(): Promise<void>;
}

const servers: TestServer[] = [];
const clients: ProvaDeVidaApi[] = [];

async function startServer(reply: Reply): Promise<TestServer> {
  const hits: Hit[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const hit: Hit = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      hits.push(hit);
      void Promise.resolve(reply(hit, res)).catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const s: TestServer = {
    url: `http://127.0.0.1:${port}`,
    port,
    hits,
    count: (method, pathStart) => hits.filter((h) => h.method === method && h.url.startsWith(pathStart)).length,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  servers.push(s);
  return s;
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function text(res: http.ServerResponse, status: number, body: string, type = 'text/plain'): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function tokenReply(res: http.ServerResponse, access = TOKEN, expiresIn: number | string = 900): void {
  json(res, 200, { access_token: access, token_type: 'bearer', expires_in: expiresIn, scope: '*', cnpj: '33683111000107', jti: 'j' });
}

const isToken = (h: Hit) => h.method === 'POST' && h.url.startsWith('/auth/oauth/token');

function transactionBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: TX_ID,
    solicitante: { cnpj: '33.683.111/0001-07', nome: 'Secretaria de Governo Digital', servico: 'AppGovBr' },
    cpf: CPF,
    motivo: 'solicitação de prova de vida',
    tipo: 'B',
    criado_em: '2021-05-10T14:14:38.083677-03:00',
    expiracao_em: '2021-05-10T16:14:38.083677-03:00',
    selogovbr: { reusar_apartir: '2019-06-16T03:35.083677-03:00', disponivel: true, data: '2019-02-15T15:34:51-03:00', usado: false },
    unknown_extra_field: { ignored: true },
    ...overrides,
  };
}

function client(server: TestServer, extra: Partial<ProvaDeVidaClientOptions> = {}): ProvaDeVidaApi {
  const c = createProvaDeVidaClient({
    baseUrl: server.url,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    retry: { maxAttempts: 3, initialDelayMs: 5, maxDelayMs: 20 },
    ...extra,
  });
  clients.push(c);
  return c;
}

const createReq = (extra: Partial<CreateProofOfLifeRequest> = {}): CreateProofOfLifeRequest => ({
  requester: { cnpj: '33.683.111/0001-07', name: 'Secretaria de Governo Digital', service: 'AppGovBr' },
  cpf: CPF,
  reason: 'prova de vida',
  kind: 'B',
  expiresInMinutes: 120,
  ...extra,
});


const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

// ---------------------------------------------------------------------------
// pure helpers
// ---------------------------------------------------------------------------

describe('parseCreatedId', () => {
  const id = '7f000101-729a-1bab-8172-9a9c74160001';
  it.each([
    ['bare', id],
    ['bare uppercase', id.toUpperCase()],
    ['JSON string', JSON.stringify(id)],
    ['brace form (straight quotes)', `{"${id}"}`],
    ['brace form (typographic quotes, as the seed prints it)', `{“${id}”}`],
    ['whitespace and newlines', `\n  {“${id}”}\r\n`],
    ['bare with trailing newline', `${id}\n`],
    ['brace form with inner spaces', `{ "${id}" }`],
  ])('accepts %s', (_label, body) => {
    expect(parseCreatedId(body)).toBe(id);
  });

  it.each([
    ['empty', ''],
    ['garbage', 'hello'],
    ['JSON object', `{"id":"${id}"}`],
    ['non-hex (seed typo fb5g…)', 'fb5g8247-95c1-2f23-9580-6813178c9bf8'],
    ['too short', '7f000101-729a-1bab-8172-9a9c7416000'],
    ['HTML error page', '<html>502 Bad Gateway</html>'],
    ['two ids', `${id} ${id}`],
  ])('rejects %s', (_label, body) => {
    expect(parseCreatedId(body)).toBeNull();
  });
});

describe('parseUpstreamTime', () => {
  it('reads the full form with microseconds and -03:00', () => {
    expect(parseUpstreamTime('2021-05-10T14:14:38.083677-03:00')?.toISOString()).toBe('2021-05-10T17:14:38.083Z');
  });
  it('reads the manual malformed form (no seconds) as HH:MM, dropping the fraction', () => {
    expect(parseUpstreamTime('2019-06-16T03:35.083677-03:00')?.toISOString()).toBe('2019-06-16T06:35:00.000Z');
  });
  it('reads Z offsets', () => {
    expect(parseUpstreamTime('2020-06-08T19:42:54Z')?.toISOString()).toBe('2020-06-08T19:42:54.000Z');
    expect(parseUpstreamTime('2020-06-08T19:42:54.5Z')?.toISOString()).toBe('2020-06-08T19:42:54.500Z');
  });
  it('reads no fraction, +HH:MM and compact offsets', () => {
    expect(parseUpstreamTime('2020-06-08T19:42:54-03:00')?.toISOString()).toBe('2020-06-08T22:42:54.000Z');
    expect(parseUpstreamTime('2020-06-08T19:42:54+01:30')?.toISOString()).toBe('2020-06-08T18:12:54.000Z');
    expect(parseUpstreamTime('2020-06-08T19:42:54-0300')?.toISOString()).toBe('2020-06-08T22:42:54.000Z');
  });
  it('assumes Brasília (-03:00) when the offset is missing', () => {
    expect(parseUpstreamTime('2020-06-08T19:42:54')?.toISOString()).toBe('2020-06-08T22:42:54.000Z');
  });
  it.each(['', 'not a date', '2021-13-01T00:00:00Z', '2021-02-30T00:00:00Z', '2021-05-10T24:00:00Z', '2021-05-10', '2021-05-10T14:14:38+25:00'])(
    'rejects %p',
    (s) => {
      expect(parseUpstreamTime(s)).toBeNull();
    },
  );
});

// ---------------------------------------------------------------------------
// token
// ---------------------------------------------------------------------------

describe('token', () => {
  it('sends Basic base64(id:secret) with no body, then Bearer on /api calls', async () => {
    const s = await startServer((h, res) => (isToken(h) ? tokenReply(res) : json(res, 200, transactionBody())));
    await client(s).getTransaction(TX_ID);
    const tok = s.hits.find(isToken);
    expect(tok?.url).toBe('/auth/oauth/token?grant_type=client_credentials');
    expect(tok?.headers.authorization).toBe(`Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`);
    expect(tok?.body).toBe('');
    const api = s.hits.find((h) => h.url.startsWith('/api'));
    expect(api?.url).toBe(`/api/vbeta2/transacoes/${TX_ID}`);
    expect(api?.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('single-flight: 50 concurrent calls with no token make exactly one token request', async () => {
    const s = await startServer(async (h, res) => {
      if (isToken(h)) {
        await sleep(50);
        return tokenReply(res);
      }
      json(res, 200, transactionBody());
    });
    const c = client(s, { connections: 20 });
    const results = await Promise.all(Array.from({ length: 50 }, () => c.getTransaction(TX_ID)));
    expect(results).toHaveLength(50);
    expect(s.count('POST', '/auth/oauth/token')).toBe(1);
    expect(s.count('GET', '/api/')).toBe(50);
  });

  it('caches the token until expires_in minus the margin (string expires_in), then refreshes', async () => {
    let n = 0;
    const s = await startServer((h, res) => (isToken(h) ? tokenReply(res, `tok-${++n}`, '900') : json(res, 200, transactionBody())));
    let clock = 1_000_000;
    const c = client(s, { now: () => clock, tokenRefreshMarginSeconds: 60 });
    await c.getTransaction(TX_ID);
    clock += 839_000;
    await c.getTransaction(TX_ID);
    expect(s.count('POST', '/auth/oauth/token')).toBe(1);
    clock += 2_000; // 841 s > 900 − 60
    await c.getTransaction(TX_ID);
    expect(s.count('POST', '/auth/oauth/token')).toBe(2);
    const bearers = s.hits.filter((h) => h.method === 'GET').map((h) => h.headers.authorization);
    expect(bearers).toEqual(['Bearer tok-1', 'Bearer tok-1', 'Bearer tok-2']);
  });

  it('accepts a numeric expires_in and honours the default 60 s margin', async () => {
    const s = await startServer((h, res) => (isToken(h) ? tokenReply(res, TOKEN, 120) : json(res, 200, transactionBody())));
    let clock = 0;
    const c = client(s, { now: () => clock });
    await c.getTransaction(TX_ID);
    clock = 59_000;
    await c.getTransaction(TX_ID);
    expect(s.count('POST', '/auth/oauth/token')).toBe(1);
    clock = 61_000;
    await c.getTransaction(TX_ID);
    expect(s.count('POST', '/auth/oauth/token')).toBe(2);
  });

  it('401 on /api → drops the token, refreshes once, retries once and succeeds', async () => {
    let n = 0;
    const s = await startServer((h, res) => {
      if (isToken(h)) return tokenReply(res, `tok-${++n}`);
      if (h.headers.authorization === 'Bearer tok-1') return text(res, 401, '');
      json(res, 200, transactionBody());
    });
    const tx = await client(s).getTransaction(TX_ID);
    expect(tx.id).toBe(TX_ID);
    expect(s.count('POST', '/auth/oauth/token')).toBe(2);
    expect(s.count('GET', '/api/')).toBe(2);
  });

  it('401 twice → UpstreamAuthError after exactly one refresh and one retry (also for POST)', async () => {
    const s = await startServer((h, res) => (isToken(h) ? tokenReply(res) : text(res, 401, '')));
    const c = client(s);
    const e = await caught(c.getTransaction(TX_ID));
    expect(e).toBeInstanceOf(UpstreamAuthError);
    expect(s.count('POST', '/auth/oauth/token')).toBe(2);
    expect(s.count('GET', '/api/')).toBe(2);

    const e2 = await caught(c.createTransaction(createReq()));
    expect(e2).toBeInstanceOf(UpstreamAuthError);
    expect(s.count('POST', '/api/vbeta2/transacoes')).toBe(2);
  });

  it.each([401, 400])('token endpoint %i → UpstreamAuthError, no /api call', async (status) => {
    const s = await startServer((h, res) =>
      isToken(h) ? json(res, status, { error: 'invalid_client', error_description: `Bad client credentials ${BODY_MARKER}` }) : json(res, 200, {}),
    );
    const e = await caught(client(s).getTransaction(TX_ID));
    expect(e).toBeInstanceOf(UpstreamAuthError);
    expect(e.message).not.toContain(BODY_MARKER);
    expect(s.count('GET', '/api/')).toBe(0);
  });

  it('a failed token fetch does not poison the cache: the next call fetches again', async () => {
    let n = 0;
    const s = await startServer((h, res) => {
      if (isToken(h)) return ++n === 1 ? text(res, 503, '') : tokenReply(res);
      json(res, 200, transactionBody());
    });
    const c = client(s, { retry: { maxAttempts: 1 } });
    await expect(c.getTransaction(TX_ID)).rejects.toBeInstanceOf(UpstreamUnavailableError);
    await expect(c.getTransaction(TX_ID)).resolves.toMatchObject({ id: TX_ID });
    expect(n).toBe(2);
  });
});

// ---------------------------------------------------------------------------
// retries
// ---------------------------------------------------------------------------

describe('did a failed create reach the upstream? (intent rows, idempotency keys)', () => {
  it('a 503 or a timeout on the create may have acted', async () => {
    const s = await startServer((h, res) => (isToken(h) ? tokenReply(res) : text(res, 503, BODY_MARKER)));
    const e = await caught(client(s).createTransaction(createReq()));
    expect(e).toBeInstanceOf(UpstreamUnavailableError);
    expect(mayHaveActed(e)).toBe(true);
    const slow = await startServer((h, res) => (isToken(h) ? tokenReply(res) : void setTimeout(() => text(res, 201, TX_ID), 500)));
    const t = await caught(client(slow, { requestTimeoutMs: 150 }).createTransaction(createReq()));
    expect(mayHaveActed(t)).toBe(true);
  });

  it('a refused connection, a failed token call or a 4xx did not', async () => {
    const s = await startServer(() => undefined);
    const port = s.port;
    await s.close();
    const refused = await caught(client({ ...s, url: `http://127.0.0.1:${port}` }).createTransaction(createReq()));
    expect(refused).toMatchObject({ notSent: true });
    expect(mayHaveActed(refused)).toBe(false);
    const noToken = await startServer((h, res) => text(res, 503, BODY_MARKER));
    const t = await caught(client(noToken).sendMessage({ sender: { cnpj: '1', name: 'SGD' }, title: 't', content: 'c', cpf: CPF }));
    expect(mayHaveActed(t)).toBe(false);
    expect(noToken.count('POST', '/api/')).toBe(0);
    const bad = await startServer((h, res) => (isToken(h) ? tokenReply(res) : json(res, 400, { status: 'BAD_REQUEST', errors: { cpf: 'x' } })));
    expect(mayHaveActed(await caught(client(bad).createTransaction(createReq())))).toBe(false);
  });
});

describe('retry policy', () => {
  it('GET transaction is retried on 503 and then succeeds', async () => {
    let gets = 0;
    const s = await startServer((h, res) => {
      if (isToken(h)) return tokenReply(res);
      if (++gets === 1) return text(res, 503, BODY_MARKER);
      json(res, 200, transactionBody());
    });
    const tx = await client(s).getTransaction(TX_ID);
    expect(tx.id).toBe(TX_ID);
    expect(s.count('GET', '/api/')).toBe(2);
  });

  it('GET gives up after maxAttempts (total tries) with UpstreamUnavailableError', async () => {
    const s = await startServer((h, res) => (isToken(h) ? tokenReply(res) : text(res, 500, BODY_MARKER)));
    const e = await caught(client(s).getTransaction(TX_ID));
    expect(e).toBeInstanceOf(UpstreamUnavailableError);
    expect(s.count('GET', '/api/')).toBe(3);
  });

  it('GET is retried through a malformed body and a connection reset', async () => {
    let gets = 0;
    const s = await startServer((h, res) => {
      if (isToken(h)) return tokenReply(res);
      gets++;
      if (gets === 1) return text(res, 200, `{"id": ${BODY_MARKER}`, 'application/json');
      if (gets === 2) return void res.socket?.destroy();
      json(res, 200, transactionBody());
    });
    await expect(client(s).getTransaction(TX_ID)).resolves.toMatchObject({ id: TX_ID });
    expect(gets).toBe(3);
  });

  it('GET message is retried on 502', async () => {
    let gets = 0;
    const s = await startServer((h, res) => {
      if (isToken(h)) return tokenReply(res);
      if (++gets === 1) return text(res, 502, '');
      json(res, 200, { id: MSG_ID, remetente: { cnpj: '1', nome: 'SGD' }, titulo: 't', conteudo: 'c', tipo: 'B', criado_em: '2021-05-10T14:14:38-03:00' });
    });
    await expect(client(s).getMessage(MSG_ID)).resolves.toMatchObject({ id: MSG_ID, kind: 'B', cpf: null });
    expect(gets).toBe(2);
  });

  it.each([
    ['seal transaction', (c: ProvaDeVidaApi) => c.createTransaction(createReq({ sealReuseWindowMinutes: 20160 })), '/api/vbeta2/transacoes', false],
    ['transaction without seal window', (c: ProvaDeVidaApi) => c.createTransaction(createReq()), '/api/vbeta2/transacoes', false],
    ['legacy vbeta1 transaction', (c: ProvaDeVidaApi) => c.createTransaction(createReq()), '/api/vbeta1/transacoes', true],
    ['message', (c: ProvaDeVidaApi) => c.sendMessage({ sender: { cnpj: '1', name: 'SGD' }, title: 't', content: 'c', cpf: CPF }), '/api/vbeta1/mensagens', false],
  ])('POST %s is never retried on 503', async (_l, call, path, legacyVbeta1Create) => {
    const s = await startServer((h, res) => (isToken(h) ? tokenReply(res) : text(res, 503, BODY_MARKER)));
    const e = await caught(call(client(s, { legacyVbeta1Create })));
    expect(e).toBeInstanceOf(UpstreamUnavailableError);
    await sleep(100);
    expect(s.count('POST', path)).toBe(1);
  });

  it('POST transaction is never retried on timeout (server sees exactly one POST)', async () => {
    const s = await startServer(async (h, res) => {
      if (isToken(h)) return tokenReply(res);
      await sleep(1_000);
      json(res, 201, transactionBody());
    });
    const started = Date.now();
    const e = await caught(client(s, { requestTimeoutMs: 200 }).createTransaction(createReq({ sealReuseWindowMinutes: 10 })));
    expect(e).toBeInstanceOf(UpstreamUnavailableError);
    expect(e.message).toMatch(/in time/);
    expect(Date.now() - started).toBeLessThan(900);
    await sleep(300);
    expect(s.count('POST', '/api/vbeta2/transacoes')).toBe(1);
  });

  it('POST transaction is never retried on a connection reset', async () => {
    const s = await startServer((h, res) => (isToken(h) ? tokenReply(res) : void res.socket?.destroy()));
    await expect(client(s).createTransaction(createReq())).rejects.toBeInstanceOf(UpstreamUnavailableError);
    await sleep(100);
    expect(s.count('POST', '/api/vbeta2/transacoes')).toBe(1);
  });

  it('opens the circuit after the threshold; an open circuit fails fast with UpstreamUnavailableError', async () => {
    const s = await startServer((h, res) => (isToken(h) ? tokenReply(res) : text(res, 503, '')));
    const c = client(s, { retry: { maxAttempts: 1 }, circuitBreaker: { threshold: 3, halfOpenAfterMs: 60_000 } });
    for (let i = 0; i < 3; i++) await expect(c.getTransaction(TX_ID)).rejects.toBeInstanceOf(UpstreamUnavailableError);
    const before = s.count('GET', '/api/');
    const e = await caught(c.createTransaction(createReq()));
    expect(e).toBeInstanceOf(UpstreamUnavailableError);
    expect(e.message).toMatch(/paused/);
    expect(s.count('GET', '/api/')).toBe(before);
    expect(s.count('POST', '/api/')).toBe(0);
  });
});

// ---------------------------------------------------------------------------
// requests, responses and error mapping
// ---------------------------------------------------------------------------

describe('requests and mapping', () => {
  /** The body every create example sends; `extra` adds the version-specific fields. */
  const baseBody = (extra: Record<string, string>) => ({
    solicitante: { cnpj: '33.683.111/0001-07', nome: 'Secretaria de Governo Digital', servico: 'AppGovBr' },
    cpf: CPF,
    motivo: 'prova de vida',
    tipo: 'B',
    expiracao_em: '120',
    ...extra,
  });

  it('create without a seal window on vbeta4 → POST /api/vbeta4/transacoes without selogovbr_reuso_em, with categoria (manual 2025-12)', async () => {
    const s = await startServer((h, res) => (isToken(h) ? tokenReply(res) : json(res, 201, transactionBody({ categoria: 'PV' }))));
    const created = await client(s, { apiVersion: 'vbeta4' }).createTransaction(createReq({ category: 'PV' }));
    expect(created.version).toBe('vbeta4');
    expect(created.transaction?.category).toBe('PV');
    expect(s.count('POST', '/api/vbeta1/')).toBe(0);
    const post = s.hits.find((h) => h.method === 'POST' && h.url === '/api/vbeta4/transacoes');
    expect(JSON.parse(post?.body ?? '{}')).toEqual(baseBody({ categoria: 'PV' }));
  });

  it('legacy option: create without a seal window → POST /api/vbeta1/transacoes with numbers as strings; bare UUID body', async () => {
    const s = await startServer((h, res) => (isToken(h) ? tokenReply(res) : text(res, 201, TX_ID.toUpperCase())));
    const created = await client(s, { apiVersion: 'vbeta4', legacyVbeta1Create: true }).createTransaction(
      createReq({ category: 'PV', failureMessage: 'falhou', successMessage: 'ok' }),
    );
    expect(created).toEqual({ id: TX_ID, version: 'vbeta1', transaction: null });
    const post = s.hits.find((h) => h.method === 'POST' && h.url === '/api/vbeta1/transacoes');
    expect(post?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(post?.body ?? '{}')).toEqual(baseBody({ mensagem_falha: 'falhou', mensagem_sucesso: 'ok' }));
  });

  it('seal create on vbeta4 sends selogovbr_reuso_em and categoria, and maps the 201 object', async () => {
    const s = await startServer((h, res) =>
      isToken(h)
        ? tokenReply(res)
        : json(
            res,
            201,
            transactionBody({
              categoria: 'PV',
              resposta: { autorizado: false, data: '2021-05-10T15:00:00-03:00', motivo_negacao: 2 },
              cancelamento: { codigo: 'SEMBIOM', motivo: 'sem biometria', cancelada_em: '2021-05-10T14:14:38-03:00' },
            }),
          ),
    );
    const created = await client(s, { apiVersion: 'vbeta4' }).createTransaction(createReq({ sealReuseWindowMinutes: 20160, category: 'OU' }));
    const post = s.hits.find((h) => h.method === 'POST' && h.url === '/api/vbeta4/transacoes');
    expect(JSON.parse(post?.body ?? '{}')).toMatchObject({ selogovbr_reuso_em: '20160', categoria: 'OU', expiracao_em: '120' });
    expect(created.version).toBe('vbeta4');
    expect(created.transaction).toEqual({
      id: TX_ID,
      cpf: CPF,
      requester: { cnpj: '33.683.111/0001-07', name: 'Secretaria de Governo Digital', service: 'AppGovBr' },
      reason: 'solicitação de prova de vida',
      kind: 'B',
      kindCode: 'B',
      category: 'PV',
      createdAt: new Date('2021-05-10T17:14:38.083Z'),
      expiresAt: new Date('2021-05-10T19:14:38.083Z'),
      seal: {
        reuseFrom: new Date('2019-06-16T06:35:00.000Z'),
        available: true,
        validatedAt: new Date('2019-02-15T18:34:51.000Z'),
        used: false,
      },
      response: { authorized: false, answeredAt: new Date('2021-05-10T18:00:00.000Z'), denialReason: 2, denialReasonCode: '2' },
      cancellation: { code: 'SEMBIOM', reason: 'sem biometria', cancelledAt: new Date('2021-05-10T17:14:38.000Z') },
    });
  });

  it('seal create on vbeta2 never sends categoria', async () => {
    const s = await startServer((h, res) => (isToken(h) ? tokenReply(res) : json(res, 201, transactionBody())));
    await client(s).createTransaction(createReq({ sealReuseWindowMinutes: 5, category: 'PV' }));
    const post = s.hits.find((h) => h.method === 'POST' && h.url === '/api/vbeta2/transacoes');
    const body = JSON.parse(post?.body ?? '{}') as Record<string, unknown>;
    expect(body.selogovbr_reuso_em).toBe('5');
    expect(body).not.toHaveProperty('categoria');
  });

  it('reads a vbeta1 transaction back (no cpf, no selogovbr) as the seed prints it', async () => {
    const s = await startServer((h, res) =>
      isToken(h)
        ? tokenReply(res)
        : json(res, 200, {
            id: TX_ID,
            solicitante: { cnpj: 'Secretaria de Governo Digital', nome: 'SERPRO', servico: 'AppGovBr' },
            motivo: 'string',
            tipo: 'B',
            criado_em: '2020-06-08T19:42:54-03:00',
            expiracao_em: '2020-06-08T23:42:54-03:00',
            resposta: { autorizado: true, data: '2020-06-08T22:31:45-03:00' },
          }),
    );
    const tx = await client(s).getTransaction(TX_ID);
    expect(tx).toMatchObject({ cpf: null, seal: null, category: null, cancellation: null });
    expect(tx.response).toEqual({ authorized: true, answeredAt: new Date('2020-06-09T01:31:45.000Z'), denialReason: null, denialReasonCode: null });
  });

  it('tolerant reader: unknown motivo_negacao, tipo and categoria are kept raw, reported once (masked), never "malformed"', async () => {
    const s = await startServer((h, res) =>
      isToken(h)
        ? tokenReply(res)
        : json(res, 200, transactionBody({ tipo: 'Z', categoria: 'XX', resposta: { autorizado: false, data: '2021-05-10T15:00:00-03:00', motivo_negacao: 7 } })),
    );
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    const c = client(s, { apiVersion: 'vbeta4', logger: pino({ level: 'warn' }, sink) });
    const tx = await c.getTransaction(TX_ID);
    await c.getTransaction(TX_ID);
    expect(s.count('GET', '/api/')).toBe(2); // no retry: the answer was readable
    expect(tx.response).toEqual({ authorized: false, answeredAt: new Date('2021-05-10T18:00:00.000Z'), denialReason: null, denialReasonCode: '7' });
    expect(tx).toMatchObject({ kind: null, kindCode: 'Z', category: null });
    const reported = lines.map((l) => JSON.parse(l) as { event?: string; field?: string; value?: string }).filter((l) => l.event === 'unknown_upstream_value');
    expect(reported.map((r) => `${r.field}=${r.value}`).sort()).toEqual(['categoria=XX', 'motivo_negacao=7', 'tipo=Z']);
    expect(lines.join('')).not.toContain(CPF);
  });

  it('a transaction id that is not a UUID → UpstreamProtocolError at once (no retry), on create and on read', async () => {
    const s = await startServer((h, res) => (isToken(h) ? tokenReply(res) : json(res, h.method === 'POST' ? 201 : 200, transactionBody({ id: 'fb5g8247-95c1-2f23-9580-6813178c9bf8' }))));
    const c = client(s, { apiVersion: 'vbeta4' });
    expect(await caught(c.createTransaction(createReq()))).toBeInstanceOf(UpstreamProtocolError);
    expect(await caught(c.getTransaction(TX_ID))).toBeInstanceOf(UpstreamProtocolError);
    expect(s.count('GET', '/api/')).toBe(1);
    expect(s.count('POST', '/api/')).toBe(1);
  });

  it('a message create whose body is not a UUID → UpstreamProtocolError', async () => {
    const s = await startServer((h, res) => (isToken(h) ? tokenReply(res) : text(res, 201, '{"7f000101-729a-1bab-8172-9a9c7416000z"}')));
    expect(await caught(client(s).sendMessage({ sender: { cnpj: '1', name: 'SGD' }, title: 't', content: 'c', cpf: CPF }))).toBeInstanceOf(UpstreamProtocolError);
  });

  it('messages: D with cpf, B without; 201 brace form with typographic quotes; delete 204/200', async () => {
    const s = await startServer((h, res) => {
      if (isToken(h)) return tokenReply(res);
      if (h.method === 'POST') return text(res, 201, `{“${MSG_ID}”}`);
      if (h.method === 'DELETE') return h.url.endsWith('1') ? (res.writeHead(204), void res.end()) : text(res, 200, '');
      json(res, 200, {});
    });
    const c = client(s);
    await expect(c.sendMessage({ sender: { cnpj: '1', name: 'SGD' }, title: 'T', content: 'C', cpf: CPF })).resolves.toBe(MSG_ID);
    await expect(c.sendMessage({ sender: { cnpj: '1', name: 'SGD' }, title: 'T', content: 'C' })).resolves.toBe(MSG_ID);
    const bodies = s.hits.filter((h) => h.method === 'POST' && h.url === '/api/vbeta1/mensagens').map((h) => JSON.parse(h.body) as unknown);
    expect(bodies).toEqual([
      { remetente: { cnpj: '1', nome: 'SGD' }, titulo: 'T', conteudo: 'C', tipo: 'D', cpf: CPF },
      { remetente: { cnpj: '1', nome: 'SGD' }, titulo: 'T', conteudo: 'C', tipo: 'B' },
    ]);
    await expect(c.deleteMessage(MSG_ID)).resolves.toBeUndefined();
    await expect(c.deleteMessage('7f000101-729a-1bab-8172-9a9c74160002')).resolves.toBeUndefined();
  });

  it('400 errors map to our field names with our own messages', async () => {
    const s = await startServer((h, res) =>
      isToken(h)
        ? tokenReply(res)
        : json(res, 400, {
            status: 'BAD_REQUEST',
            message: `Argumentos não válidos ${BODY_MARKER}`,
            errors: {
              cpf: `CPF inválido ${BODY_MARKER}`,
              motivo: 'x',
              tipo: 'x',
              expiracao_em: 'x',
              selogovbr_reuso_em: 'x',
              categoria: 'x',
              titulo: 'x',
              conteudo: 'x',
              'solicitante.cnpj': 'x',
              'solicitante.servico': 'x',
              mystery_field: 'x',
            },
          }),
    );
    const e = await caught(client(s).createTransaction(createReq()));
    expect(e).toBeInstanceOf(UpstreamValidationError);
    const fields = (e as UpstreamValidationError).fields;
    expect(Object.keys(fields).sort()).toEqual(
      [
        'cpf',
        'reason',
        'kind',
        'expiresInMinutes',
        'sealReuseWindowMinutes',
        'category',
        'title',
        'content',
        'requester.cnpj',
        'requester.service',
        'mystery_field',
      ].sort(),
    );
    expect(fields.cpf).toBe('invalid CPF');
    expect(JSON.stringify(fields)).not.toContain(BODY_MARKER);
    expect(e.message).not.toContain(BODY_MARKER);
  });

  it('422 about tipo → kind; other 422 → _', async () => {
    let n = 0;
    const s = await startServer((h, res) => {
      if (isToken(h)) return tokenReply(res);
      n++;
      json(res, 422, {
        timestamp: '2021-05-10T14:14:38.083677-03:00',
        status: 422,
        error: 'Unprocessable Entity',
        message: n === 1 ? 'A não é um tipo válido [B,C]' : `algo ${BODY_MARKER}`,
        path: '/vbeta1/transacoes',
      });
    });
    const c = client(s);
    const e1 = (await caught(c.createTransaction(createReq()))) as UpstreamValidationError;
    expect(e1).toBeInstanceOf(UpstreamValidationError);
    expect(Object.keys(e1.fields)).toEqual(['kind']);
    expect(e1.message).not.toContain('tipo válido');
    const e2 = (await caught(c.createTransaction(createReq()))) as UpstreamValidationError;
    expect(e2.fields).toEqual({ _: 'rejected by upstream' });
  });

  it('404 → UpstreamNotFoundError (not retried); ids that cannot be upstream ids are not sent', async () => {
    const s = await startServer((h, res) =>
      isToken(h) ? tokenReply(res) : json(res, 404, { status: 'NOT_FOUND', message: 'Transação não encontrada' }),
    );
    const c = client(s);
    await expect(c.getTransaction(TX_ID)).rejects.toBeInstanceOf(UpstreamNotFoundError);
    await expect(c.getMessage(MSG_ID)).rejects.toBeInstanceOf(UpstreamNotFoundError);
    await expect(c.deleteMessage(MSG_ID)).rejects.toBeInstanceOf(UpstreamNotFoundError);
    expect(s.count('GET', '/api/')).toBe(2);
    await expect(c.getTransaction('../../auth/oauth/token')).rejects.toBeInstanceOf(UpstreamNotFoundError);
    expect(s.hits.filter((h) => h.url.includes('..'))).toHaveLength(0);
  });

  it('cancel: vbeta2 → UNSUPPORTED without a call; vbeta4 PUT …/cancelar; 409/422 → ALREADY_ANSWERED', async () => {
    let n = 0;
    const s = await startServer((h, res) => {
      if (isToken(h)) return tokenReply(res);
      n++;
      if (n === 1) return text(res, 200, '');
      return json(res, n === 2 ? 409 : 422, { message: 'já respondida' });
    });
    const e0 = await caught(client(s).cancelTransaction(TX_ID));
    expect(e0).toBeInstanceOf(UpstreamConflictError);
    expect((e0 as UpstreamConflictError).reason).toBe('UNSUPPORTED');
    expect(s.hits).toHaveLength(0);

    const c4 = client(s, { apiVersion: 'vbeta4' });
    await expect(c4.cancelTransaction(TX_ID)).resolves.toBeUndefined();
    expect(s.hits.filter((h) => h.method === 'PUT').map((h) => h.url)).toEqual([`/api/vbeta4/transacoes/${TX_ID}/cancelar`]);
    for (let i = 0; i < 2; i++) {
      const e = await caught(c4.cancelTransaction(TX_ID));
      expect(e).toBeInstanceOf(UpstreamConflictError);
      expect((e as UpstreamConflictError).reason).toBe('ALREADY_ANSWERED');
    }
  });

  it('a 201 that does not parse → UpstreamUnavailableError, POST not retried', async () => {
    const s = await startServer((h, res) => (isToken(h) ? tokenReply(res) : text(res, 201, `not-a-uuid ${BODY_MARKER}`)));
    const e = await caught(client(s).sendMessage({ sender: { cnpj: '1', name: 'S' }, title: 't', content: 'c' }));
    expect(e).toBeInstanceOf(UpstreamUnavailableError);
    expect(e.message).not.toContain(BODY_MARKER);
    expect(s.count('POST', '/api/')).toBe(1);
  });

  it('close() closes the pool; later calls fail with UpstreamUnavailableError', async () => {
    const s = await startServer((h, res) => (isToken(h) ? tokenReply(res) : json(res, 200, transactionBody())));
    const c = createProvaDeVidaClient({ baseUrl: s.url, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
    await c.getTransaction(TX_ID);
    await c.close();
    await expect(c.getTransaction(TX_ID)).rejects.toBeInstanceOf(UpstreamUnavailableError);
    await c.close();
  });
});

// ---------------------------------------------------------------------------
// no leaks
// ---------------------------------------------------------------------------

describe('nothing leaks', () => {
  it('error messages never contain host, port, URL, body, token or secret; logs neither (nor the CPF)', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(chunk.toString('utf8'));
        cb();
      },
    });
    const logger = pino({ level: 'trace' }, sink);
    let mode = '';
    const s = await startServer(async (h, res) => {
      if (isToken(h)) return mode === 'token401' ? json(res, 401, { error: BODY_MARKER }) : tokenReply(res);
      switch (mode) {
        case '400':
          return json(res, 400, { status: 'BAD_REQUEST', message: BODY_MARKER, errors: { cpf: BODY_MARKER } });
        case '422':
          return json(res, 422, { message: BODY_MARKER });
        case '401':
          return text(res, 401, BODY_MARKER);
        case '404':
          return json(res, 404, { message: BODY_MARKER });
        case '500':
          return text(res, 500, `${BODY_MARKER} at ${s.url} token ${TOKEN}`);
        case 'malformed':
          return text(res, 200, `{"${BODY_MARKER}"`, 'application/json');
        case 'reset':
          return void res.socket?.destroy();
        case 'slow':
          await sleep(500);
          return json(res, 200, transactionBody());
        case '418':
          return text(res, 418, BODY_MARKER);
      }
    });
    const modes = ['400', '422', '401', '404', '500', 'malformed', 'reset', 'slow', '418', 'token401'];
    const errors: Error[] = [];
    for (const m of modes) {
      mode = m;
      const c = client(s, { logger, requestTimeoutMs: 150, circuitBreaker: { threshold: 1000 } });
      errors.push(await caught(c.getTransaction(TX_ID)));
      errors.push(await caught(c.createTransaction(createReq())));
    }
    // A refused connection names host:port in undici's own message.
    const dead = await startServer(() => undefined);
    const deadUrl = dead.url;
    await dead.close();
    errors.push(await caught(createProvaDeVidaClient({ baseUrl: deadUrl, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, logger }).getTransaction(TX_ID)));

    const forbidden = [BODY_MARKER, TOKEN, CLIENT_SECRET, String(s.port), '127.0.0.1', deadUrl, Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')];
    for (const e of errors) {
      expect(e).toBeInstanceOf(UpstreamError);
      const visible = [e.message, JSON.stringify(e), JSON.stringify((e as UpstreamError & { fields?: unknown }).fields ?? {}), String(e.stack)].join('\n');
      for (const f of forbidden) expect(visible).not.toContain(f);
    }
    expect(lines.length).toBeGreaterThan(0);
    const logText = lines.join('');
    for (const f of [BODY_MARKER, TOKEN, CLIENT_SECRET, CPF, Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')]) {
      expect(logText).not.toContain(f);
    }
  });
});
