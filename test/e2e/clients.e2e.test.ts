/**
 * The README's client recipes (examples/clients) run as a frontend would run them, against a real
 * gateway and simulators: once with Apollo Client 4 (InMemoryCache), once with urql 5 (graphcache +
 * relayPagination). Every document goes by its persisted hash (codegen's manifest), over HTTP POST
 * and graphql-ws. The README shows the recipes' code verbatim (checked at the end).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CombinedGraphQLErrors } from '@apollo/client';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import WebSocket from 'ws';
import { persistedExchange } from '@urql/exchange-persisted';
import { Client, fetchExchange } from 'urql';
import { createApollo, persistedHash } from '../../examples/clients/apollo';
import { payloadResult, topLevelErrors, type TopLevelError } from '../../examples/clients/errors';
import { createUrql } from '../../examples/clients/urql';
import type { Realtime } from '../../examples/clients/ws';
import {
  AnyNodeDocument,
  AuditPageDocument,
  LoginAndTwoCapturesDocument,
  PersonTransactionCountDocument,
  PersonWithTransactionsDocument,
  RequestPolDocument,
  SendMessageDocument,
  StationsDocument,
  TransactionChangedDocument,
  TransactionPageDocument,
  TransactionWithPersonDocument,
} from '../../examples/clients/__generated__/graphql';
import { formatCpf } from '../../src/domain/cpf';
import { PDV_MAGIC_CPFS as PDV } from '../../src/simulators/provaDeVida';
import { SPID_MAGIC_CPFS as SPID } from '../../src/simulators/spid';
import { PdvSim, SpidSim, TestGateway, eventually } from '../helpers/gateway';

type Result<R> = { data: R | undefined; errors: TopLevelError[] };

/** What the test needs from either library, built only from the recipe's client. */
interface TestClient {
  realtime: Realtime;
  /** `cache`: answer from the normalised cache only, no request. */
  query<R, V>(doc: TypedDocumentNode<R, V>, variables: V, from?: 'network' | 'cache'): Promise<Result<R>>;
  mutate<R, V>(doc: TypedDocumentNode<R, V>, variables: V): Promise<Result<R>>;
  subscribe<R, V>(doc: TypedDocumentNode<R, V>, variables: V, onData: (data: R) => void): () => void;
  /** Apollo only: the cache's entity keys (graphcache keeps its store private). */
  cacheKeys?(): string[];
  /** relayPagination merges the pages of one connection into one list; Apollo (no typePolicy) keeps each page. */
  mergesPages: boolean;
  stop(): Promise<void>;
}

type AnyDoc = TypedDocumentNode<Record<string, unknown>, Record<string, unknown>>;

/** Every HTTP request a client sends: its method and body. */
type Sent = { method: string; body: Record<string, unknown> };
const recording = (sent: Sent[]): typeof fetch => async (input, init) => {
  sent.push({ method: init?.method ?? 'GET', body: init?.body ? (JSON.parse(String(init.body)) as Record<string, unknown>) : {} });
  return fetch(input, init);
};

function apolloClient(url: string, token: string, sent: Sent[]): TestClient {
  const { apollo, realtime } = createApollo({ url, getToken: () => token, webSocketImpl: WebSocket, fetch: recording(sent) });
  const settle = <R>(r: { data?: unknown; error?: unknown }): Result<R> => {
    if (r.error && !CombinedGraphQLErrors.is(r.error)) throw r.error;
    return { data: (r.data ?? undefined) as R | undefined, errors: CombinedGraphQLErrors.is(r.error) ? topLevelErrors(r.error.errors) : [] };
  };
  return {
    realtime,
    mergesPages: false,
    query: async (doc, variables, from = 'network') =>
      settle(await apollo.query({ query: doc as AnyDoc, variables: variables as Record<string, unknown>, fetchPolicy: from === 'cache' ? 'cache-only' : 'network-only', errorPolicy: 'all' })),
    mutate: async (doc, variables) => settle(await apollo.mutate({ mutation: doc as AnyDoc, variables: variables as Record<string, unknown>, errorPolicy: 'all' })),
    subscribe: (doc, variables, onData) => {
      const sub = apollo.subscribe({ query: doc as AnyDoc, variables: variables as Record<string, unknown> }).subscribe({ next: (r) => r.data && onData(r.data as never) });
      return () => sub.unsubscribe();
    },
    cacheKeys: () => Object.keys(apollo.cache.extract() as object),
    stop: async () => {
      apollo.stop();
      await realtime.client.dispose();
    },
  };
}

function urqlClient(url: string, token: string, sent: Sent[]): TestClient {
  const { urql, realtime } = createUrql({ url, getToken: () => token, webSocketImpl: WebSocket, fetch: recording(sent) });
  const settle = <R>(r: { data?: unknown; error?: { networkError?: Error; graphQLErrors: { message: string; extensions: Record<string, unknown> }[] } }): Result<R> => {
    if (r.error?.networkError) throw r.error.networkError;
    return { data: (r.data ?? undefined) as R | undefined, errors: topLevelErrors(r.error?.graphQLErrors) };
  };
  return {
    realtime,
    mergesPages: true,
    query: async (doc, variables, from = 'network') =>
      settle(await urql.query(doc as AnyDoc, variables as Record<string, unknown>, { requestPolicy: from === 'cache' ? 'cache-only' : 'network-only' }).toPromise()),
    mutate: async (doc, variables) => settle(await urql.mutation(doc as AnyDoc, variables as Record<string, unknown>).toPromise()),
    subscribe: (doc, variables, onData) => {
      const sub = urql.subscription(doc as AnyDoc, variables as Record<string, unknown>).subscribe((r) => r.data && onData(r.data as never));
      return () => sub.unsubscribe();
    },
    stop: async () => {
      await realtime.client.dispose();
    },
  };
}

const LIBS = {
  'Apollo Client 4': { make: apolloClient, station: 'station-1' },
  'urql 5 + graphcache': { make: urqlClient, station: 'station-2' },
} as const;

/** Two people: A with three transactions, B with two (five in all, newest first). */
const A = PDV.neverAnswers;
const B = PDV.refuses;

let pdv: PdvSim;
let spid: SpidSim;
beforeAll(async () => {
  pdv = await PdvSim.start({ answerAfterMs: 400 });
  // Slow desk steps: the first capture still holds the station when the aliased second one runs.
  spid = await SpidSim.start({ timings: { clientCaptureMs: 5_000, operatorCaptureMs: 5_000, verifyProcessingMs: 100, loginSettleMs: 10 } });
}, 60_000);
afterAll(async () => {
  await pdv?.close();
  await spid?.close();
});

describe.each(Object.entries(LIBS))('%s (examples/clients)', (_name, lib) => {
  let gw: TestGateway;
  let client: TestClient;
  const sent: Sent[] = [];
  /** Newest first. */
  const tx: { id: string; person: string }[] = [];
  const ids: Record<'Transaction' | 'Capture' | 'Message' | 'Person' | 'Station' | 'AuditEntry', string> = {
    Transaction: '', Capture: '', Message: '', Person: '', Station: '', AuditEntry: '',
  };

  beforeAll(async () => {
    // Production settings: the gateway runs persisted documents only.
    gw = await TestGateway.start({ pdvUrl: pdv.url, spidStations: spid.stationsEnv, env: { PERSISTED_DOCUMENTS_ONLY: 'true' } });
    // An admin token: admin may do everything an operator does, and read the audit log.
    client = lib.make(gw.url, await gw.token('admin', `clients-${lib.station}`), sent);
    for (const cpf of [A, A, B, A, B]) {
      const r = await client.mutate(RequestPolDocument, { input: { cpf, reason: 'recadastramento' } });
      const t = payloadResult(r.data?.requestProofOfLife, 'transaction');
      tx.unshift({ id: t.id, person: t.person.id });
    }
  }, 120_000);
  afterAll(async () => {
    await client?.stop();
    await gw?.close();
  });

  test('transactions page forwards (first/after) and backwards (last/before), with totalCount; person.transactions pages too', async () => {
    const p1 = (await client.query(TransactionPageDocument, { first: 2 })).data!.transactions;
    expect(p1.totalCount).toBe(5);
    expect(p1.nodes.map((n) => n.id)).toEqual([tx[0]!.id, tx[1]!.id]);
    expect(p1.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });

    const p2 = (await client.query(TransactionPageDocument, { first: 2, after: p1.pageInfo.endCursor })).data!.transactions;
    expect(p2.totalCount).toBe(5);
    // Merged, the list still starts at the newest: no previous page.
    expect(p2.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: !client.mergesPages });
    // graphcache's relayPagination hands the UI one growing list; Apollo hands each page.
    expect(p2.nodes.map((n) => n.id)).toEqual(tx.slice(client.mergesPages ? 0 : 2, 4).map((t) => t.id));

    const back = (await client.query(TransactionPageDocument, { last: 2, before: p2.pageInfo.startCursor })).data!.transactions;
    expect(back.totalCount).toBe(5);
    expect(back.nodes.map((n) => n.id).slice(0, 2)).toEqual([tx[0]!.id, tx[1]!.id]);
    if (!client.mergesPages) expect(back.nodes).toHaveLength(2);

    // Nested: the person's own connection, in the same request as the person.
    const personA = tx[1]!.person; // A: tx[1], tx[3], tx[4]
    const n1 = (await client.query(PersonWithTransactionsDocument, { id: personA, first: 2 })).data!.person!;
    expect(n1.transactions.totalCount).toBe(3);
    expect(n1.transactions.nodes.map((n) => n.person.id)).toEqual([personA, personA]);
    const n2 = (await client.query(PersonWithTransactionsDocument, { id: personA, first: 2, after: n1.transactions.pageInfo.endCursor })).data!.person!;
    expect(n2.transactions.pageInfo.hasNextPage).toBe(false);
    const seen = n2.transactions.nodes.map((n) => n.id);
    const ofA = tx.filter((t) => t.person === personA).map((t) => t.id);
    expect(seen).toEqual(client.mergesPages ? ofA : ofA.slice(2));
  }, 60_000);

  test('aliased mutations: a STATION_BUSY userError in one payload, the login and the other capture answered, no top-level error', async () => {
    const r = await client.mutate(LoginAndTwoCapturesDocument, { station: lib.station, operator: SPID.operatorOk, a: SPID.matches, b: SPID.noMatch });
    expect(r.errors).toEqual([]);
    const data = r.data!;
    expect(data.login?.userErrors).toEqual([]);
    expect(data.login?.station?.loginStatus).toBe('OPERATOR_OK');
    const first = payloadResult(data.first, 'capture');
    expect(first.status).toBe('CLIENT_CAPTURING');
    expect(data.second?.capture).toBeNull();
    expect(data.second?.userErrors).toEqual([{ __typename: 'UserError', code: 'STATION_BUSY', field: null, message: expect.any(String) }]);
    // The recipe's helper turns the userError into an error carrying its code.
    let thrown: unknown;
    try {
      payloadResult(data.second, 'capture');
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toMatchObject({ code: 'STATION_BUSY', field: null });
    ids.Capture = first.id;
    ids.Station = data.login!.station!.id;
  }, 60_000);

  test('node(id) answers every entity type; a foreign id is a top-level BAD_USER_INPUT with fields', async () => {
    const msg = await client.mutate(SendMessageDocument, { input: { cpf: A, title: 'Aviso', content: 'Compareça à agência' } });
    ids.Message = payloadResult(msg.data?.sendMessage, 'message').id;
    ids.Transaction = tx[0]!.id;
    ids.Person = tx[0]!.person;
    ids.AuditEntry = (await client.query(AuditPageDocument, { first: 1 })).data!.auditLog.nodes[0]!.id;
    if (!ids.Station) ids.Station = (await client.query(StationsDocument, {})).data!.stations.find((s) => s.code === lib.station)!.id;
    expect(Object.values(ids).every(Boolean)).toBe(true);

    for (const [type, id] of Object.entries(ids)) {
      const r = await client.query(AnyNodeDocument, { id });
      expect(r.errors).toEqual([]);
      expect(r.data?.node).toMatchObject({ __typename: type, id });
    }
    const node = async (id: string) => (await client.query(AnyNodeDocument, { id })).data?.node;
    expect(await node(ids.Station)).toMatchObject({ code: lib.station });
    expect(await node(ids.Capture)).toMatchObject({ captureStatus: expect.stringMatching(/^CLIENT_CAPTUR/), station: { code: lib.station } });
    expect(await node(ids.Message)).toMatchObject({ title: 'Aviso' });
    expect(await node(ids.Transaction)).toMatchObject({ transactionStatus: expect.any(String) });
    expect(await node(ids.Person)).toMatchObject({ cpf: formatCpf(B) });
    expect(await node(ids.AuditEntry)).toMatchObject({ action: expect.any(String) });

    const bad = await client.query(AnyNodeDocument, { id: 'not-one-of-ours' });
    expect(bad.errors).toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', fields: { id: expect.any(String) } })]);
  }, 60_000);

  test('Person is one cache entry by id: reached through a transaction and directly, a field the second query updates is seen through the first', async () => {
    const personB = tx[0]!.person;
    const viaTx = (await client.query(TransactionWithPersonDocument, { id: tx[0]!.id })).data!.transaction!;
    expect(viaTx.person.id).toBe(personB);
    expect(viaTx.person.transactions.totalCount).toBe(2);

    // B gets a third transaction behind the cache's back; only the direct query sees it.
    await gw.ok(RequestPolDocument, { input: { cpf: B, reason: 'fora do cliente' } }, 'operator');
    const direct = (await client.query(PersonTransactionCountDocument, { id: personB })).data!.person!;
    expect(direct.transactions.totalCount).toBe(3);

    // The first query, answered from the cache alone, shows the update: same Person entry.
    const cached = await client.query(TransactionWithPersonDocument, { id: tx[0]!.id }, 'cache');
    expect(cached.data?.transaction?.person.transactions.totalCount).toBe(3);
    if (client.cacheKeys) {
      const people = client.cacheKeys().filter((k) => k.startsWith('Person:'));
      expect(people).toContain(`Person:${personB}`);
      expect(new Set(people).size).toBe(new Set(tx.map((t) => t.person)).size);
    }
  }, 60_000);

  test('a subscription through the client receives the event; the recipe keeps its seq as the resume cursor', async () => {
    const events: { seq: number; id: string; status: string }[] = [];
    let connected = false;
    const off = client.realtime.client.on('connected', () => (connected = true));
    const stop = client.subscribe(TransactionChangedDocument, {}, (d) => {
      const e = d.transactionResponseChanged;
      events.push({ seq: e.seq, id: e.transaction.id, status: e.transaction.status });
      client.realtime.saw(e.seq);
    });
    try {
      // The socket is lazy: it opens with the first subscription. Let the subscribe reach the gateway.
      await eventually(async () => connected);
      await new Promise((r) => setTimeout(r, 300));
      const r = await client.mutate(RequestPolDocument, { input: { cpf: PDV.authorizes, reason: 'prova de vida' } });
      const id = payloadResult(r.data?.requestProofOfLife, 'transaction').id;
      const done = await eventually(async () => events.find((e) => e.id === id && e.status === 'AUTHORIZED'), 30_000);
      expect(client.realtime.lastSeq()).toBe(Math.max(...events.map((e) => e.seq)));
      expect(client.realtime.lastSeq()).toBeGreaterThanOrEqual(done.seq);
    } finally {
      stop();
      off();
    }
  }, 60_000);

  test('every HTTP request the recipe sent was a POST carrying only a persisted hash', () => {
    expect(sent.length).toBeGreaterThan(10);
    for (const r of sent) {
      expect(r.method).toBe('POST');
      expect(r.body).not.toHaveProperty('query');
      expect(r.body['extensions']).toMatchObject({ persistedQuery: { version: 1, sha256Hash: expect.stringMatching(/^[0-9a-f]{64}$/) } });
    }
  });
});

test("urql's defaults send queries as GET, which the gateway's CSRF prevention refuses (why the recipe POSTs)", async () => {
  const gw = await TestGateway.start({ pdvUrl: pdv.url });
  try {
    const token = await gw.token('viewer');
    const methods: string[] = [];
    const plain = new Client({
      url: gw.url,
      fetch: (input, init) => {
        methods.push(init?.method ?? 'GET');
        return fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), authorization: `Bearer ${token}` } });
      },
      exchanges: [persistedExchange({ generateHash: async (_q, doc) => persistedHash(doc) }), fetchExchange],
    });
    const r = await plain.query(StationsDocument, {}).toPromise();
    expect(methods).toEqual(['GET']);
    expect(r.data).toBeUndefined();
    expect(r.error?.message).toMatch(/Cross-Site Request Forgery/);
  } finally {
    await gw.close();
  }
}, 60_000);

describe('README "Client recipes"', () => {
  const readme = readFileSync(resolve(__dirname, '../../README.md'), 'utf8');
  test.each(['ws.ts', 'apollo.ts', 'urql.ts', 'errors.ts'])('shows examples/clients/%s verbatim', (file) => {
    const code = readFileSync(resolve(__dirname, '../../examples/clients', file), 'utf8');
    expect(readme).toContain('```ts\n// examples/clients/' + file + '\n' + code + '```');
  });
  test('shows codegen.yml verbatim', () => {
    const yml = readFileSync(resolve(__dirname, '../../codegen.yml'), 'utf8');
    expect(readme).toContain('```yaml\n# codegen.yml\n' + yml + '```');
  });
});
