/**
 * Contract tests from the manual's own examples
 * (`test/contract/fixtures/provaDeVida/`, copied verbatim with their commit
 * and lines). Three checks:
 * - every response example is served by a replay server to the real client,
 *   which must read it (a fixture the client rejects fails the build; the
 *   only refusal allowed is the one the index declares: an id that is not a
 *   UUID);
 * - every request example has the same keys and JSON types as the request
 *   the client sends for that operation;
 * - the simulator's answers have the keys and types of the same examples.
 * Plus: a non-UUID id from the upstream is refused before anything is stored
 * or anyone is told (gateway against the replay server).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { RequestProofOfLifeDocument, TransactionResponseChangedDocument, TransactionsDocument } from '../__generated__/graphql';
import { PDV_MAGIC_CPFS, startProvaDeVidaSimulator, type ProvaDeVidaSimulator } from '../../src/simulators/provaDeVida';
import { createProvaDeVidaClient, type ProvaDeVidaClientOptions } from '../../src/upstreams/provaDeVida/client';
import type { CreateProofOfLifeRequest, ProvaDeVidaApi, ProvaDeVidaApiVersion, UpstreamTransaction } from '../../src/upstreams/provaDeVida/types';
import { UpstreamProtocolError, UpstreamValidationError } from '../../src/upstreams/errors';
import { caught } from '../helpers/assert';
import { Collector, TestGateway, sleep } from '../helpers/gateway';
import { ReplayServer } from '../helpers/replay';

// ---- fixtures ---------------------------------------------------------------------

const DIR = join(__dirname, 'fixtures', 'provaDeVida');
interface Fixture {
  source: { repository: string; path: string; commit: string; date: string; lines: string };
  kind: 'request' | 'response';
  operation: 'token' | 'create' | 'read' | 'message' | 'error';
  apiVersion?: 'vbeta1' | 'vbeta2' | 'vbeta4';
  status?: number;
  contentType?: string;
  notes?: string;
  body: string;
}
interface Entry {
  file: string;
  kind: Fixture['kind'];
  operation: Fixture['operation'];
  apiVersion?: Fixture['apiVersion'];
  status?: number;
  expect: 'read' | 'refused-non-uuid-id' | 'same-shape';
}
const index = JSON.parse(readFileSync(join(DIR, 'index.json'), 'utf8')) as { fixtures: Entry[] };
const load = (file: string) => JSON.parse(readFileSync(join(DIR, file), 'utf8')) as Fixture;
const all = index.fixtures.map((e) => ({ ...e, fx: load(e.file) }));
const pick = (pred: (e: Entry) => boolean) => all.filter(pred);
const one = (file: string) => all.find((e) => e.file === file)!.fx;

/** The manual's JSON, read by the test (not by the client): the 2025 request example starts with a stray `{ 20712`. */
function exampleJson(fx: Fixture): Record<string, unknown> {
  return JSON.parse(fx.body.replace(/^(\s*\{)\s*\d+\s*$/m, '$1')) as Record<string, unknown>;
}

// ---- shapes -------------------------------------------------------------------------

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const kindOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
type Shape = string | { [k: string]: Shape };
const shapeOf = (v: unknown): Shape => (isObj(v) ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shapeOf(x)])) : kindOf(v));

/**
 * Differences between an answer and the manual's examples of it: a key no
 * example has, a key every example has that is missing, or a JSON type no
 * example uses. Empty = conforms.
 */
function nonConformance(actual: unknown, examples: unknown[], path = '$'): string[] {
  const objs = examples.filter(isObj);
  if (!isObj(actual)) {
    const kinds = new Set(examples.map(kindOf));
    return kinds.has(kindOf(actual)) ? [] : [`${path}: ${kindOf(actual)}, the manual has ${[...kinds].join('|')}`];
  }
  if (objs.length === 0) return [`${path}: object, the manual has ${examples.map(kindOf).join('|')}`];
  const problems: string[] = [];
  for (const [k, v] of Object.entries(actual)) {
    const values = objs.filter((o) => k in o).map((o) => o[k]);
    if (values.length === 0) problems.push(`${path}.${k}: not in any example`);
    else problems.push(...nonConformance(v, values, `${path}.${k}`));
  }
  for (const k of new Set(objs.flatMap((o) => Object.keys(o)))) {
    if (objs.every((o) => k in o) && !(k in actual)) problems.push(`${path}.${k}: missing (every example has it)`);
  }
  return problems;
}

// ---- the client against the replay server ---------------------------------------------

const CLIENT_ID = 'fixture-client';
const TOKEN_2025 = one('2025-token.response.json');
let replay: ReplayServer;
const clients: ProvaDeVidaApi[] = [];

function client(apiVersion: ProvaDeVidaApiVersion, extra: Partial<ProvaDeVidaClientOptions> = {}): ProvaDeVidaApi {
  const c = createProvaDeVidaClient({ baseUrl: replay.url, clientId: CLIENT_ID, clientSecret: 's', apiVersion, retry: { maxAttempts: 1 }, ...extra });
  clients.push(c);
  return c;
}

const reply = (fx: Fixture) => ({ status: fx.status ?? 200, contentType: fx.contentType, body: fx.body });
/** A full create request, every optional field given (so that every field the manual shows can be compared). */
const fullRequest = (extra: Partial<CreateProofOfLifeRequest> = {}): CreateProofOfLifeRequest => ({
  requester: { cnpj: '00.489.828/0074-00', name: 'SECRETARIA DE GOVERNO DIGITAL', service: 'Sistema de Prova de Vida' },
  cpf: '01534562567',
  reason: 'Prova de vida para obter benefício previdenciário',
  kind: 'B',
  expiresInMinutes: 120,
  sealReuseWindowMinutes: 120,
  category: 'PV',
  failureMessage: 'falhou',
  successMessage: 'ok',
  ...extra,
});

/** What the client made of a transaction object, checked against the raw example field by field. */
function expectSameTransaction(tx: UpstreamTransaction, raw: Obj): void {
  const resposta = raw['resposta'] as Obj | undefined;
  const cancelamento = raw['cancelamento'] as Obj | undefined;
  const selo = raw['selogovbr'] as Obj | undefined;
  expect(tx.id).toBe(String(raw['id']).toLowerCase());
  expect(tx.cpf).toBe((raw['cpf'] as string | undefined) ?? null);
  expect(tx.kindCode).toBe(raw['tipo']);
  expect(tx.category).toBe((raw['categoria'] as string | undefined) ?? null);
  expect(tx.reason).toBe(raw['motivo']);
  expect(tx.createdAt.getTime()).not.toBeNaN();
  expect(tx.response?.authorized ?? null).toBe(resposta ? resposta['autorizado'] : null);
  expect(tx.response?.denialReasonCode ?? null).toBe(resposta?.['motivo_negacao'] === undefined ? null : String(resposta['motivo_negacao']));
  expect(tx.cancellation?.code ?? null).toBe(cancelamento ? cancelamento['codigo'] : null);
  expect(tx.cancellation?.reason ?? null).toBe(cancelamento ? cancelamento['motivo'] : null);
  expect(tx.seal?.used ?? null).toBe(selo ? selo['usado'] : null);
  expect(tx.seal?.available ?? null).toBe(selo ? selo['disponivel'] : null);
}

beforeAll(async () => {
  replay = await ReplayServer.start();
});
afterAll(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await replay.close();
});
beforeEach(() => {
  replay.reset();
  replay.on('POST', /^\/auth\/oauth\/token\?grant_type=client_credentials$/, reply(TOKEN_2025));
});

describe('the fixtures themselves', () => {
  test('every file is indexed, names its source commit and lines, and the index agrees with it', () => {
    const files = readdirSync(DIR).filter((f) => f.endsWith('.json') && f !== 'index.json');
    expect(files.sort()).toEqual(index.fixtures.map((e) => e.file).sort());
    for (const { file, fx, kind, operation, apiVersion, status } of all) {
      expect({ file, repository: fx.source.repository, path: fx.source.path }).toEqual({
        file,
        repository: 'servicosgovbr/manual-integracao-prova-de-vida',
        path: 'iniciarintegracao.rst',
      });
      expect(fx.source.commit).toMatch(/^[0-9a-f]{40}$/);
      expect(fx.source.lines).toMatch(/^\d+-\d+$/);
      expect({ kind: fx.kind, operation: fx.operation, apiVersion: fx.apiVersion, status: fx.status }).toEqual({ kind, operation, apiVersion, status });
    }
    // Every version the client supports is covered, with the token, messages and errors.
    const covered = new Set(all.map((e) => `${e.kind}:${e.operation}:${e.apiVersion ?? ''}`));
    for (const k of ['response:create:vbeta1', 'response:create:vbeta2', 'response:create:vbeta4', 'response:read:vbeta2', 'response:read:vbeta4', 'request:create:vbeta1', 'request:create:vbeta2', 'request:create:vbeta4', 'response:token:', 'response:message:vbeta1', 'request:message:', 'response:error:']) {
      expect(covered).toContain(k);
    }
  });
});

describe('every response example, served to the real client', () => {
  test.each(pick((e) => e.operation === 'token').map((e) => [e.file, e.fx] as const))('%s: the token is read and used', async (_f, fx) => {
    replay.on('POST', /^\/auth\/oauth\/token/, reply(fx));
    const tx = one('2025-vbeta4-create-not-auto.response.json');
    replay.on('GET', /^\/api\/vbeta4\/transacoes\//, { status: 200, contentType: 'application/json', body: tx.body });
    await client('vbeta4').getTransaction('0ab895bd-99de-17dd-819a-1751acb02036');
    expect(replay.apiRequests()[0]?.authorization).toBe(`Bearer ${String(exampleJson(fx)['access_token'])}`);
  });

  test.each(pick((e) => e.kind === 'response' && (e.operation === 'create' || e.operation === 'read') && e.apiVersion !== 'vbeta1').map((e) => [e.file, e] as const))(
    '%s: read (or refused only for its id)',
    async (_f, e) => {
      const v = e.apiVersion as ProvaDeVidaApiVersion;
      const raw = exampleJson(e.fx);
      const serve = (body: string) => {
        replay.on(e.operation === 'create' ? 'POST' : 'GET', new RegExp(`^/api/${v}/transacoes`), { status: e.fx.status!, contentType: e.fx.contentType, body });
      };
      const call = (c: ProvaDeVidaApi) => (e.operation === 'create' ? c.createTransaction(fullRequest()).then((r) => r.transaction!) : c.getTransaction(String(raw['id'])));
      serve(e.fx.body);
      if (e.expect === 'refused-non-uuid-id') {
        expect(await caught(call(client(v)))).toBeInstanceOf(UpstreamProtocolError);
        // Everything else in the example is readable: the same text with the id alone corrected.
        const fixed = String(raw['id']).replace(/[^0-9a-f-]/gi, 'a');
        serve(e.fx.body.replace(String(raw['id']), fixed));
        expectSameTransaction(await call(client(v)), { ...raw, id: fixed });
        return;
      }
      expect(e.expect).toBe('read');
      expectSameTransaction(await call(client(v)), raw);
    },
  );

  test('2021 vbeta1 create (legacy option): the bare UUID', async () => {
    const fx = one('2021-vbeta1-create.response.json');
    replay.on('POST', /^\/api\/vbeta1\/transacoes$/, reply(fx));
    const created = await client('vbeta2', { legacyVbeta1Create: true }).createTransaction(fullRequest({ sealReuseWindowMinutes: undefined }));
    expect(created).toEqual({ id: fx.body.trim(), version: 'vbeta1', transaction: null });
  });

  test.each(pick((e) => e.kind === 'response' && e.operation === 'message').map((e) => [e.file, e.fx] as const))('%s: the {"uuid"} id', async (_f, fx) => {
    replay.on('POST', /^\/api\/vbeta1\/mensagens$/, reply(fx));
    const id = await client('vbeta4').sendMessage({ sender: { cnpj: '1', name: 'SGD' }, title: 't', content: 'c', cpf: '01534562567' });
    expect(id).toBe('7f000101-729a-1bab-8172-9a9c74160001');
  });

  test.each(pick((e) => e.operation === 'error').map((e) => [e.file, e.fx] as const))('%s: mapped to our field names', async (_f, fx) => {
    replay.on('POST', /^\/api\/vbeta4\/transacoes$/, reply(fx));
    const e = await caught(client('vbeta4').createTransaction(fullRequest()));
    expect(e).toBeInstanceOf(UpstreamValidationError);
    expect((e as UpstreamValidationError).fields).toEqual(fx.status === 400 ? { cpf: 'invalid CPF' } : { kind: 'invalid kind' });
  });
});

describe('every request example: the client sends the same keys with the same JSON types', () => {
  const created = { status: 201, contentType: 'application/json', body: one('2025-vbeta4-create-not-auto.response.json').body };

  test.each(pick((e) => e.kind === 'request').map((e) => [e.file, e] as const))('%s', async (_f, e) => {
    let path: RegExp;
    if (e.operation === 'message') {
      replay.on('POST', /^\/api\/vbeta1\/mensagens$/, reply(one('2025-message-create.response.json')));
      await client('vbeta4').sendMessage({ sender: { cnpj: '1', name: 'SGD' }, title: 't', content: 'c', cpf: '01534562567' });
      path = /^\/api\/vbeta1\/mensagens$/;
    } else if (e.apiVersion === 'vbeta1') {
      replay.on('POST', /^\/api\/vbeta1\/transacoes$/, reply(one('2021-vbeta1-create.response.json')));
      await client('vbeta2', { legacyVbeta1Create: true }).createTransaction(fullRequest({ sealReuseWindowMinutes: undefined }));
      path = /^\/api\/vbeta1\/transacoes$/;
    } else {
      const v = e.apiVersion as ProvaDeVidaApiVersion;
      replay.on('POST', new RegExp(`^/api/${v}/transacoes$`), created);
      await client(v).createTransaction(fullRequest());
      path = new RegExp(`^/api/${v}/transacoes$`);
    }
    const sent = replay.requests.filter((r) => r.method === 'POST' && path.test(r.path));
    expect(sent).toHaveLength(1);
    expect(shapeOf(JSON.parse(sent[0]!.body))).toEqual(shapeOf(exampleJson(e.fx)));
  });
});

// ---- the simulator against the same examples ------------------------------------------

describe("the simulator's answers have the examples' keys and types", () => {
  let sim: ProvaDeVidaSimulator;
  let token: string;
  const examples = (pred: (e: Entry) => boolean) => pick((e) => e.kind === 'response' && pred(e)).map((e) => exampleJson(e.fx));

  beforeAll(async () => {
    sim = await startProvaDeVidaSimulator({ answerAfterMs: 60_000 });
  });
  afterAll(() => sim.close());

  async function call(method: string, path: string, body?: unknown): Promise<{ status: number; text: string; json: Obj }> {
    const res = await fetch(sim.url + path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let json: Obj = {};
    try {
      json = JSON.parse(text) as Obj;
    } catch {
      /* vbeta1 ids and message ids are not JSON */
    }
    return { status: res.status, text, json };
  }
  const control = (path: string, body: unknown) =>
    fetch(sim.controlUrl + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  /** The body of the manual's 2025 request example, with one of the simulator's CPFs. */
  const createBody = (cpf: string, extra: Obj = {}) => ({ ...exampleJson(one('2025-vbeta4-create.request.json')), cpf, ...extra });

  beforeAll(async () => {
    const res = await fetch(`${sim.url}/auth/oauth/token?grant_type=client_credentials`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from('gateway-dev:gateway-dev-secret').toString('base64')}` },
    });
    const body = (await res.json()) as Obj;
    expect(shapeOf(body)).toEqual(shapeOf(exampleJson(TOKEN_2025)));
    token = String(body['access_token']);
  });

  test('vbeta4 creates (fresh seal, no seal yet, no biometry) conform to the 2025 201 examples; SEMBIOM as the manual words and times it', async () => {
    const created = examples((e) => e.operation === 'create' && e.apiVersion === 'vbeta4');
    for (const cpf of [PDV_MAGIC_CPFS.freshSeal, PDV_MAGIC_CPFS.authorizes, PDV_MAGIC_CPFS.noBiometry]) {
      const r = await call('POST', '/api/vbeta4/transacoes', createBody(cpf));
      expect(r.status).toBe(201);
      expect(nonConformance(r.json, created)).toEqual([]);
    }
    const sembiom = exampleJson(one('2025-vbeta4-create-sembiom.response.json'))['cancelamento'] as Obj;
    const r = await call('POST', '/api/vbeta4/transacoes', createBody(PDV_MAGIC_CPFS.noBiometry));
    const c = r.json['cancelamento'] as Obj;
    expect({ codigo: c['codigo'], motivo: c['motivo'] }).toEqual({ codigo: sembiom['codigo'], motivo: sembiom['motivo'] });
    const gap = Date.parse(String(c['cancelada_em'])) - Date.parse(String(r.json['criado_em']));
    expect(gap).toBeGreaterThan(2_000);
    expect(gap).toBeLessThan(4_000);
  });

  test('vbeta4 reads (denied, cancelled by us) conform to the 2025 read examples; CLIENTE worded as the manual', async () => {
    const reads = examples((e) => e.operation === 'read' && e.apiVersion === 'vbeta4');
    const denied = await call('POST', '/api/vbeta4/transacoes', createBody(PDV_MAGIC_CPFS.neverAnswers));
    await control(`/transactions/${String(denied.json['id'])}/answer`, { authorized: false, denialReason: 1 });
    const read = await call('GET', `/api/vbeta4/transacoes/${String(denied.json['id'])}`);
    expect(nonConformance(read.json, reads)).toEqual([]);

    const cancelled = await call('POST', '/api/vbeta4/transacoes', createBody(PDV_MAGIC_CPFS.neverAnswers));
    expect((await call('PUT', `/api/vbeta4/transacoes/${String(cancelled.json['id'])}/cancelar`)).status).toBe(200);
    const after = await call('GET', `/api/vbeta4/transacoes/${String(cancelled.json['id'])}`);
    expect(nonConformance(after.json, reads)).toEqual([]);
    const cliente = exampleJson(one('2025-vbeta4-read-cancel-cliente.response.json'))['cancelamento'] as Obj;
    expect((after.json['cancelamento'] as Obj)['motivo']).toBe(cliente['motivo']);
  });

  test('vbeta2 create and read, and a vbeta1 create read back, conform to the 2021 examples', async () => {
    // As in the example: a facial validation exists but before `reusar_apartir` (window 0), so not used.
    const v2 = await call('POST', '/api/vbeta2/transacoes', {
      ...exampleJson(one('2021-vbeta2-create.request.json')),
      cpf: PDV_MAGIC_CPFS.freshSeal,
      selogovbr_reuso_em: '0',
    });
    expect(nonConformance(v2.json, examples((e) => e.operation === 'create' && e.apiVersion === 'vbeta2'))).toEqual([]);

    const auto = await call('POST', '/api/vbeta2/transacoes', { ...exampleJson(one('2021-vbeta2-create.request.json')), cpf: PDV_MAGIC_CPFS.freshSeal });
    const autoRead = await call('GET', `/api/vbeta2/transacoes/${String(auto.json['id'])}`);
    expect(nonConformance(autoRead.json, examples((e) => e.file === '2021-vbeta2-read-auto.response.json'))).toEqual([]);

    const v1 = await call('POST', '/api/vbeta1/transacoes', { ...exampleJson(one('2021-vbeta1-create.request.json')), cpf: PDV_MAGIC_CPFS.neverAnswers });
    expect(v1.status).toBe(201);
    expect(v1.text).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/); // as the bare example
    await control(`/transactions/${v1.text}/answer`, { authorized: true });
    const v1Read = await call('GET', `/api/vbeta2/transacoes/${v1.text}`);
    expect(nonConformance(v1Read.json, examples((e) => e.file === '2021-vbeta1-read.response.json'))).toEqual([]);
  });

  test('message create answers in the manual\'s {"uuid"} form; 400 and 422 conform to the error examples, texts included', async () => {
    const msg = await call('POST', '/api/vbeta1/mensagens', { remetente: { cnpj: '1', nome: 'SGD' }, titulo: 't', conteudo: 'c', tipo: 'D', cpf: PDV_MAGIC_CPFS.authorizes });
    const example = one('2025-message-create.response.json').body.trim();
    expect(msg.text.replace(/[0-9a-f-]{36}/, 'ID')).toBe(example.replace(/[0-9a-f-]{36}/, 'ID'));

    const bad = await call('POST', '/api/vbeta4/transacoes', createBody('12345678900'));
    const e400 = examples((e) => e.status === 400);
    expect(bad.status).toBe(400);
    expect(nonConformance(bad.json, e400)).toEqual([]);
    expect((bad.json['errors'] as Obj)['cpf']).toBe((e400[0]!['errors'] as Obj)['cpf']);

    const e422 = examples((e) => e.status === 422);
    const unprocessable = await call('POST', '/api/vbeta1/transacoes', { ...exampleJson(one('2021-vbeta1-create.request.json')), cpf: PDV_MAGIC_CPFS.authorizes, tipo: 'A' });
    expect(unprocessable.status).toBe(422);
    expect(nonConformance(unprocessable.json, e422)).toEqual([]);
    expect({ message: unprocessable.json['message'], path: unprocessable.json['path'] }).toEqual({ message: e422[0]!['message'], path: e422[0]!['path'] });
  });
});

// ---- a non-UUID id, through the gateway ------------------------------------------------

describe('an upstream id that is not a UUID (the manual\'s own "fb5g8247-…")', () => {
  test('requestProofOfLife: the id is refused at the boundary — the transaction stays UNCONFIRMED (the upstream acted), never polled with that id', async () => {
    const gw = await TestGateway.start({ pdvUrl: replay.url, env: { PDV_CLIENT_ID: CLIENT_ID, PDV_CLIENT_SECRET: 's' } });
    const ws = await gw.wsClient('viewer');
    try {
      // From the log's start: the feed holds every event whether or not the subscription was live in time.
      const feed = Collector.subscribe(ws, TransactionResponseChangedDocument, { afterSeq: 0 });
      await sleep(200);
      // The manual's read example (a whole transaction object) as the answer to the create.
      const fx = one('2025-vbeta4-read-authorized.response.json');
      replay.on('POST', /^\/api\/vbeta4\/transacoes$/, { status: 201, contentType: 'application/json', body: fx.body });
      const r = await gw.request(RequestProofOfLifeDocument, { input: { cpf: '100.000.001-08', reason: 'Benefício previdenciário' } });
      // The create was answered (the citizen may have been notified), with an id we cannot use: the intent
      // row stays, UNCONFIRMED and without an upstream id, for a person to check — nothing is read with that id.
      expect(r.errors).toBeUndefined();
      expect(r.data?.requestProofOfLife?.transaction).toMatchObject({ status: 'UNCONFIRMED', upstreamId: null });
      expect(JSON.stringify(r)).not.toContain('fb5g8247');
      await sleep(500);
      expect(replay.apiRequests().map((q) => `${q.method} ${q.path}`)).toEqual(['POST /api/vbeta4/transacoes']);
      expect(feed.items.map((e) => e.transactionResponseChanged.type)).toEqual(['REQUESTING', 'UNCONFIRMED']);
      const list = await gw.ok(TransactionsDocument, { first: 10 }, 'viewer');
      expect(list.transactions.edges.map((e) => e.node.status)).toEqual(['UNCONFIRMED']);
      feed.stop();
    } finally {
      await ws.dispose();
      await gw.close();
    }
  });
});
