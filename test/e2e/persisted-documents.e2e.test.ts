/**
 * Persisted documents over real HTTP and WebSocket: the manifest codegen writes
 * (test/__generated__/persisted-documents.json) is loaded at boot; clients send
 * `documentId` (GraphQL-over-HTTP) or Apollo's `extensions.persistedQuery`.
 * With PERSISTED_DOCUMENTS_ONLY the manifest is a safelist on both transports.
 */
import { readFileSync } from 'node:fs';
import { ApolloClient, HttpLink, InMemoryCache } from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { createClient, type Client } from 'graphql-ws';
import { getOperationAST, parse, print } from 'graphql';
import WebSocket from 'ws';
import { RequestProofOfLifeDocument, TransactionResponseChangedDocument, TransactionsDocument, type TransactionResponseChangedSubscription } from '../__generated__/graphql';
import { PDV_MAGIC_CPFS as CPF } from '../../src/simulators/provaDeVida';
import { ConfigError, loadConfig } from '../../src/config';
import { Collector, PERSISTED_DOCUMENTS_MANIFEST, PdvSim, TestGateway, documentHash, eventually, type GraphQLResponse } from '../helpers/gateway';

type Ev = TransactionResponseChangedSubscription['transactionResponseChanged'];
const UNKNOWN = `sha256:${'0'.repeat(64)}`;
const TX_HASH = documentHash(TransactionsDocument)!;
const manifest = JSON.parse(readFileSync(PERSISTED_DOCUMENTS_MANIFEST, 'utf8')) as Record<string, string>;

let sim: PdvSim;
let only: TestGateway;
let open: TestGateway;
const clients: Client[] = [];

beforeAll(async () => {
  sim = await PdvSim.start({ answerAfterMs: 300 });
  [only, open] = await Promise.all([
    TestGateway.start({ pdvUrl: sim.url, env: { PERSISTED_DOCUMENTS_ONLY: 'true' } }),
    TestGateway.start({ pdvUrl: sim.url }),
  ]);
}, 240_000);
afterAll(async () => {
  await Promise.all(clients.map((c) => c.dispose()));
  await Promise.all([only?.close(), open?.close()]);
  await sim?.close();
});

async function post(gw: TestGateway, body: unknown): Promise<{ status: number; body: GraphQLResponse<Record<string, unknown>> }> {
  const res = await fetch(gw.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await gw.token('viewer')}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as GraphQLResponse<Record<string, unknown>> };
}

async function get(gw: TestGateway, params: Record<string, string>): Promise<{ status: number; body: GraphQLResponse<Record<string, unknown>> }> {
  const res = await fetch(`${gw.url}?${new URLSearchParams(params)}`, {
    // Apollo's CSRF prevention wants a header a browser form cannot send.
    headers: { 'apollo-require-preflight': 'true', authorization: `Bearer ${await gw.token('viewer')}` },
  });
  return { status: res.status, body: (await res.json()) as GraphQLResponse<Record<string, unknown>> };
}

async function ws(gw: TestGateway): Promise<Client> {
  const c = await gw.wsClient('viewer');
  clients.push(c);
  return c;
}

/** One graphql-ws operation to its end: its data or its errors. */
function once(client: Client, payload: Record<string, unknown>): Promise<{ data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] }> {
  return new Promise((resolve) => {
    let data: unknown;
    client.subscribe(payload as { query: string }, {
      next: (r) => (data = r.data),
      error: (errors) => resolve({ errors: errors as { message: string; extensions?: Record<string, unknown> }[] }),
      complete: () => resolve({ data }),
    });
  });
}

const codeOf = (r: { body: GraphQLResponse<unknown> } | { errors?: { extensions?: Record<string, unknown> }[] }) =>
  ('body' in r ? r.body.errors : r.errors)?.map((e) => e.extensions?.['code']);

describe('the manifest', () => {
  test('codegen embeds each hash in its typed document, and the manifest maps it to the document', () => {
    expect(TX_HASH).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(manifest[TX_HASH]).toMatch(/^query Transactions\(/);
  });

  test('a missing or corrupt manifest stops the boot with a message naming the file', () => {
    const base = { NODE_ENV: 'test', HOST: '127.0.0.1' };
    expect(() => loadConfig({ ...base, PERSISTED_DOCUMENTS: '/nonexistent/pd.json' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, PERSISTED_DOCUMENTS: '/nonexistent/pd.json' })).toThrow(/PERSISTED_DOCUMENTS: \/nonexistent\/pd\.json: cannot be read \(ENOENT\)/);
    expect(() => loadConfig({ ...base, PERSISTED_DOCUMENTS: __filename })).toThrow(/persisted-documents\.e2e\.test\.ts: is not valid JSON/);
    expect(() => loadConfig({ ...base, PERSISTED_DOCUMENTS_ONLY: 'true' })).toThrow(/PERSISTED_DOCUMENTS_ONLY: needs PERSISTED_DOCUMENTS/);
  });
});

describe('PERSISTED_DOCUMENTS_ONLY=true', () => {
  test('HTTP POST: documentId (sha256: or bare hex) and Apollo persistedQuery hash run the manifest document', async () => {
    for (const body of [
      { documentId: TX_HASH, variables: { first: 1 } },
      { documentId: TX_HASH.slice('sha256:'.length), variables: { first: 1 } },
      { extensions: { persistedQuery: { version: 1, sha256Hash: TX_HASH.slice('sha256:'.length) } }, variables: { first: 1 }, operationName: 'Transactions' },
    ]) {
      const r = await post(only, body);
      expect(r.body.errors).toBeUndefined();
      expect(r.status).toBe(200);
      expect(r.body.data?.['transactions']).toEqual({ edges: [], nodes: [], pageInfo: expect.objectContaining({ hasNextPage: false }) });
    }
  });

  test("Apollo Client's PersistedQueryLink, hashing from the manifest by operation name, runs documents by hash only", async () => {
    // The manifest as a client bundles it: operation name → hash (the text never leaves the client).
    const byName = new Map(Object.entries(manifest).map(([hash, text]) => [getOperationAST(parse(text))?.name?.value, hash.slice('sha256:'.length)]));
    const sent: unknown[] = [];
    const token = await only.token('viewer');
    const client = new ApolloClient({
      cache: new InMemoryCache(),
      link: new PersistedQueryLink({ generateHash: (doc) => byName.get(getOperationAST(doc)?.name?.value)! }).concat(
        new HttpLink({
          uri: only.url,
          headers: { authorization: `Bearer ${token}` },
          fetch: (input, init) => {
            sent.push(JSON.parse(String(init?.body)));
            return fetch(input, init);
          },
        }),
      ),
    });
    const r = await client.query({ query: TransactionsDocument, variables: { first: 1 }, fetchPolicy: 'no-cache' });
    expect(r.error).toBeUndefined();
    expect(r.data?.transactions.edges).toEqual([]);
    expect(sent).toEqual([
      // Apollo Client sends the document's declared defaults too ($withCount: Boolean = false).
      expect.objectContaining({ operationName: 'Transactions', variables: { first: 1, withCount: false }, extensions: expect.objectContaining({ persistedQuery: { version: 1, sha256Hash: TX_HASH.slice(7) } }) }),
    ]);
    expect(sent[0]).not.toHaveProperty('query');
  });

  test('HTTP GET with documentId runs it too', async () => {
    const r = await get(only, { documentId: TX_HASH, variables: JSON.stringify({ first: 1 }) });
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data?.['transactions']).toEqual({ edges: [], nodes: [], pageInfo: expect.objectContaining({ hasNextPage: false }) });
  });

  test('the project helper sends typed documents by hash: a mutation and a query work with ONLY on', async () => {
    const tx = await only.ok(RequestProofOfLifeDocument, { input: { cpf: CPF.neverAnswers, reason: 'persisted' } });
    expect(JSON.stringify(tx)).toContain('"cpf"');
    expect((await only.ok(TransactionsDocument, { first: 5 }, 'viewer')).transactions.edges.length).toBe(1);
  });

  test('a raw query is refused with 400 PERSISTED_DOCUMENT_REQUIRED (POST and GET), and runs nothing', async () => {
    const raw = print(TransactionsDocument);
    const r = await post(only, { query: raw, variables: { first: 1 } });
    expect(r.status).toBe(400);
    expect(r.body.data).toBeUndefined();
    expect(codeOf(r)).toEqual(['PERSISTED_DOCUMENT_REQUIRED']);
    expect(r.body.errors?.[0]?.message).toMatch(/only persisted documents/);
    const g = await get(only, { query: raw });
    expect(g.status).toBe(400);
    expect(codeOf(g)).toEqual(['PERSISTED_DOCUMENT_REQUIRED']);
    // The manifest's own text, sent as text, is still not a persisted request.
    expect(codeOf(await post(only, { query: manifest[TX_HASH] }))).toEqual(['PERSISTED_DOCUMENT_REQUIRED']);
    // Shapes another layer would refuse anyway are refused here too: a batch, malformed GET extensions.
    expect(codeOf(await post(only, [{ query: raw }]))).toEqual(['PERSISTED_DOCUMENT_REQUIRED']);
    expect(codeOf(await get(only, { query: raw, extensions: '{not json' }))).toEqual(['PERSISTED_DOCUMENT_REQUIRED']);
  });

  test('an unknown hash is refused with 400 PERSISTED_DOCUMENT_NOT_FOUND; Apollo APQ cannot register one', async () => {
    const r = await post(only, { documentId: UNKNOWN });
    expect(r.status).toBe(400);
    expect(codeOf(r)).toEqual(['PERSISTED_DOCUMENT_NOT_FOUND']);
    // APQ's registration request (hash + text) is refused, and the hash stays unknown afterwards.
    const text = 'query Sneaky { transactions(first: 1) { edges { cursor } } }';
    const { createHash } = await import('node:crypto');
    const sha256Hash = createHash('sha256').update(text).digest('hex');
    const reg = await post(only, { query: text, extensions: { persistedQuery: { version: 1, sha256Hash } } });
    expect(reg.status).toBe(400);
    expect(codeOf(reg)).toEqual(['PERSISTED_DOCUMENT_NOT_FOUND']);
    expect(codeOf(await post(only, { extensions: { persistedQuery: { version: 1, sha256Hash } } }))).toEqual(['PERSISTED_DOCUMENT_NOT_FOUND']);
  });

  test('WebSocket: a subscription by documentId receives events; several subscribers of it share one execution', async () => {
    const [a, b] = [await ws(only), await ws(only)];
    const cpf = CPF.authorizes;
    const subA = Collector.subscribe(a, TransactionResponseChangedDocument, { cpf });
    // The same document by Apollo's hash form, without a query text.
    const subB = Collector.subscribePayload<{ transactionResponseChanged: Ev }>(b, {
      query: '',
      variables: { cpf },
      extensions: { persistedQuery: { version: 1, sha256Hash: documentHash(TransactionResponseChangedDocument)!.slice('sha256:'.length) } },
    });
    await eventually(async () => JSON.stringify(only.gw.server.fanout.groupSizes()) === '[2]', 10_000, 20);
    await only.ok(RequestProofOfLifeDocument, { input: { cpf, reason: 'persisted ws' } });
    const answered = (e: { transactionResponseChanged: Ev }) => e.transactionResponseChanged.transaction.status === 'AUTHORIZED';
    await subA.waitFor(answered, 20_000, 'AUTHORIZED on A');
    await subB.waitFor(answered, 20_000, 'AUTHORIZED on B');
    expect(subA.errors).toEqual([]);
    expect(subB.errors).toEqual([]);
    subA.stop();
    subB.stop();
  });

  test('WebSocket: raw and unknown documents get an error for that operation; the socket stays open', async () => {
    const c = await ws(only);
    const raw = await once(c, { query: print(TransactionsDocument), variables: { first: 1 } });
    expect(codeOf(raw)).toEqual(['PERSISTED_DOCUMENT_REQUIRED']);
    const unknown = await once(c, { query: '', documentId: UNKNOWN });
    expect(codeOf(unknown)).toEqual(['PERSISTED_DOCUMENT_NOT_FOUND']);
    // Same socket, next operation by hash.
    const ok = await once(c, { query: '', documentId: TX_HASH, variables: { first: 1 } });
    expect(ok.errors).toBeUndefined();
    expect(ok.data).toEqual({ transactions: expect.objectContaining({ edges: expect.any(Array) }) });
  });

  test('a client without a `query` field at all (not graphql-ws’s own client) is served, not disconnected', async () => {
    const token = await only.token('viewer');
    const sock = new WebSocket(only.gw.server.wsUrl, 'graphql-transport-ws');
    const frames: { type: string; id?: string; payload?: unknown }[] = [];
    sock.on('message', (d) => frames.push(JSON.parse(String(d)) as (typeof frames)[number]));
    await new Promise((r) => sock.once('open', r));
    sock.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
    await eventually(async () => frames.some((f) => f.type === 'connection_ack'), 5_000, 20);
    sock.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { documentId: TX_HASH, variables: { first: 1 } } }));
    await eventually(async () => frames.some((f) => f.id === '1' && f.type === 'complete'), 5_000, 20);
    expect(frames.find((f) => f.id === '1' && f.type === 'next')?.payload).toEqual({ data: { transactions: expect.any(Object) } });
    expect(sock.readyState).toBe(WebSocket.OPEN);
    sock.close();
  });
});

describe('persisted documents without ONLY (the default)', () => {
  test('raw queries still run, next to known hashes', async () => {
    const raw = await post(open, { query: print(TransactionsDocument), variables: { first: 1 } });
    expect(raw.body.errors).toBeUndefined();
    expect(raw.status).toBe(200);
    const byHash = await post(open, { documentId: TX_HASH, variables: { first: 1 } });
    expect(byHash.body.errors).toBeUndefined();
    const c = await ws(open);
    expect((await once(c, { query: print(TransactionsDocument), variables: { first: 1 } })).errors).toBeUndefined();
  });

  test('an unknown documentId is refused; an unknown Apollo hash gets APQ’s own answer (the client then sends the text)', async () => {
    expect(codeOf(await post(open, { documentId: UNKNOWN }))).toEqual(['PERSISTED_DOCUMENT_NOT_FOUND']);
    const apq = await post(open, { extensions: { persistedQuery: { version: 1, sha256Hash: '1'.repeat(64) } } });
    expect(codeOf(apq)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
  });
});
