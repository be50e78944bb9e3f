/**
 * Relay conventions as a client sees them over real HTTP: every entity has an
 * opaque global id that `node(id:)` / `nodes(ids:)` resolve with the same
 * authorisation and masking as the entity's own query; connections page both
 * ways with cursors, `nodes` and `totalCount`; id arguments refuse another
 * type's id and (during 1.x) still take the raw key.
 */
import {
  AuditLogDocument,
  CaptureDocument,
  LoginOperatorDocument,
  NodeDocument,
  NodesDocument,
  PersonDocument,
  PersonTransactionsDocument,
  RequestProofOfLifeDocument,
  SendMessageDocument,
  StartPresentialCaptureDocument,
  StationDocument,
  StationsDocument,
  TransactionDocument,
  TransactionsDocument,
  type NodeQuery,
  type TransactionsQueryVariables,
} from '../__generated__/graphql';
import { formatCpf, maskCpf } from '../../src/domain/cpf';
import { PDV_MAGIC_CPFS as PDV } from '../../src/simulators/provaDeVida';
import { SPID_MAGIC_CPFS as SPID } from '../../src/simulators/spid';
import { PdvSim, SpidSim, TestGateway } from '../helpers/gateway';
import { rawKey } from '../helpers/ids';

const PAGED_CPF = PDV.neverAnswers;
const PAGED = 5;

let pdv: PdvSim;
let spid: SpidSim;
let gw: TestGateway;
/** Newest first, as every list is ordered. */
const txIds: string[] = [];
let captureId: string;
let messageId: string;
let personId: string;
let stationId: string;
let auditId: string;

beforeAll(async () => {
  pdv = await PdvSim.start({ answerAfterMs: 600_000 });
  spid = await SpidSim.start({ timings: { clientCaptureMs: 100, operatorCaptureMs: 100, verifyProcessingMs: 100, loginSettleMs: 20 } });
  gw = await TestGateway.start({ pdvUrl: pdv.url, spidStations: spid.stationsEnv });

  // The entities of every Node type, created as a client would.
  for (let i = 0; i < PAGED; i++) {
    const { requestProofOfLife } = await gw.done(RequestProofOfLifeDocument, { input: { cpf: PAGED_CPF, reason: `paging ${i}` } });
    txIds.unshift(requestProofOfLife.id);
  }
  await gw.ok(LoginOperatorDocument, { stationId: 'station-1', operatorCpf: SPID.operatorOk });
  captureId = (await gw.done(StartPresentialCaptureDocument, { stationId: 'station-1', cpf: SPID.matches })).startPresentialCapture.id;
  messageId = (await gw.done(SendMessageDocument, { input: { cpf: PAGED_CPF, title: 'Aviso', content: 'Teste' } })).sendMessage.id;
  personId = (await gw.ok(PersonDocument, { cpf: PAGED_CPF }, 'admin')).person!.id;
  stationId = (await gw.ok(StationsDocument, {}, 'viewer')).stations.find((s) => s.code === 'station-1')!.id;
  auditId = (await gw.ok(AuditLogDocument, { first: 1 }, 'admin')).auditLog.nodes[0]!.id;
}, 60_000);

afterAll(async () => {
  await gw?.close();
  await spid?.close();
  await pdv?.close();
});

const node = async (id: string, role: 'viewer' | 'operator' | 'admin') => gw.request(NodeDocument, { id }, role);
type N = NonNullable<NodeQuery['node']>;

describe('global ids', () => {
  test('every entity id is opaque: not the raw key, and distinct per type', () => {
    for (const id of [...txIds, captureId, messageId, personId, stationId, auditId]) {
      expect(id).not.toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-/i);
      expect(id).toMatch(/^[A-Za-z0-9_-]+$/);
    }
    expect(stationId).not.toBe('station-1');
    expect(new Set([...txIds, captureId, messageId, personId, stationId, auditId]).size).toBe(PAGED + 5);
  });

  test('references are global ids too: Capture.stationId is the Station id; the configured id is Station.code', async () => {
    const c = (await gw.ok(CaptureDocument, { id: captureId }, 'viewer')).capture!;
    expect(c.id).toBe(captureId);
    expect(c.stationId).toBe(stationId);
    const s = (await gw.ok(StationDocument, { id: stationId }, 'viewer')).station!;
    expect(s).toMatchObject({ id: stationId, code: 'station-1' });
  });

  test('during 1.x the raw key is still accepted and answers with the global id', async () => {
    expect((await gw.ok(TransactionDocument, { id: rawKey(txIds[0]!) }, 'viewer')).transaction?.id).toBe(txIds[0]);
    expect((await gw.ok(StationDocument, { id: 'station-1' }, 'viewer')).station?.id).toBe(stationId);
    expect((await gw.ok(CaptureDocument, { id: rawKey(captureId).toUpperCase() }, 'viewer')).capture?.id).toBe(captureId);
  });

  test("another type's id is BAD_USER_INPUT on the argument; an unknown entity is null", async () => {
    const wrong = await gw.request(TransactionDocument, { id: captureId }, 'viewer');
    expect(wrong.data?.transaction ?? null).toBeNull();
    expect(wrong.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: { id: expect.stringContaining('Transaction') } });

    const unknownTx = Buffer.from('Transaction:00000000-0000-4000-8000-000000000000').toString('base64url');
    const r = await gw.request(TransactionDocument, { id: unknownTx }, 'viewer');
    expect(r.errors).toBeUndefined();
    expect(r.data?.transaction).toBeNull();
  });
});

describe('node(id) and nodes(ids)', () => {
  test('every entity type, with the masking of its own query', async () => {
    const expectations: [string, N['__typename'], (n: N, role: string) => void][] = [
      [txIds[0]!, 'Transaction', (n, role) => n.__typename === 'Transaction' && expect(n.transactionCpf).toBe(role === 'viewer' ? maskCpf(PAGED_CPF) : formatCpf(PAGED_CPF))],
      [captureId, 'Capture', (n, role) => {
        if (n.__typename !== 'Capture') throw new Error(n.__typename);
        expect(n.captureCpf).toBe(role === 'viewer' ? maskCpf(SPID.matches) : formatCpf(SPID.matches));
        expect(n.station).toEqual({ id: stationId, code: 'station-1' });
      }],
      [messageId, 'Message', (n, role) => n.__typename === 'Message' && expect(n.messageCpf).toBe(role === 'viewer' ? maskCpf(PAGED_CPF) : formatCpf(PAGED_CPF))],
      [personId, 'Person', (n, role) => n.__typename === 'Person' && expect(n.personCpf).toBe(role === 'viewer' ? maskCpf(PAGED_CPF) : formatCpf(PAGED_CPF))],
      [stationId, 'Station', (n) => n.__typename === 'Station' && expect(n.code).toBe('station-1')],
    ];
    for (const role of ['viewer', 'admin'] as const) {
      for (const [id, type, check] of expectations) {
        const r = await node(id, role);
        expect(r.errors).toBeUndefined();
        expect(r.data?.node).toMatchObject({ __typename: type, id });
        check(r.data!.node!, role);
      }
    }
  });

  test('an AuditEntry is admin-only, as auditLog: a viewer or operator gets null and FORBIDDEN', async () => {
    const admin = await node(auditId, 'admin');
    expect(admin.errors).toBeUndefined();
    expect(admin.data?.node).toMatchObject({ __typename: 'AuditEntry', id: auditId, action: expect.any(String) });
    for (const role of ['viewer', 'operator'] as const) {
      const r = await node(auditId, role);
      expect(r.data?.node).toBeNull();
      expect(r.errors?.map((e) => [e.extensions?.['code'], e.path])).toEqual([['FORBIDDEN', ['node']]]);
    }
  });

  test('an id that is not ours is BAD_USER_INPUT with fields.id; a well-formed id of nothing is null', async () => {
    for (const bad of ['not-an-id', rawKey(txIds[0]!), Buffer.from('Planet:1').toString('base64url')]) {
      const r = await node(bad, 'viewer');
      expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: { id: expect.any(String) } });
    }
    const none = await node(Buffer.from('Person:00000000-0000-4000-8000-000000000000').toString('base64url'), 'viewer');
    expect(none.errors).toBeUndefined();
    expect(none.data?.node).toBeNull();
  });

  test('nodes(ids): in order, null for unknown, a forbidden one nulls only its own index', async () => {
    const unknown = Buffer.from('Message:00000000-0000-4000-8000-000000000000').toString('base64url');
    const r = await gw.request(NodesDocument, { ids: [personId, unknown, auditId, txIds[1]!] }, 'viewer');
    expect(r.data?.nodes.map((n) => n && [n.__typename, n.id])).toEqual([['Person', personId], null, null, ['Transaction', txIds[1]]]);
    expect(r.errors?.map((e) => [e.extensions?.['code'], e.path])).toEqual([['FORBIDDEN', ['nodes', 2]]]);

    const tooMany = await gw.request(NodesDocument, { ids: Array.from({ length: 101 }, () => personId) }, 'viewer');
    expect(tooMany.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: { ids: expect.any(String) } });
  });
});

describe('connections', () => {
  const page = async (v: TransactionsQueryVariables) => (await gw.ok(TransactionsDocument, { cpf: PAGED_CPF, withCount: true, ...v }, 'viewer')).transactions;

  test('transactions: forward with first/after to the end, then back with last/before; totalCount on every page', async () => {
    const p1 = await page({ first: 2 });
    expect(p1.edges.map((e) => e.node.id)).toEqual(txIds.slice(0, 2));
    expect(p1.nodes.map((n) => n.id)).toEqual(txIds.slice(0, 2));
    expect(p1.totalCount).toBe(PAGED);
    expect(p1.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false, startCursor: p1.edges[0]!.cursor, endCursor: p1.edges[1]!.cursor });

    const p2 = await page({ first: 2, after: p1.pageInfo.endCursor });
    expect(p2.nodes.map((n) => n.id)).toEqual(txIds.slice(2, 4));
    expect(p2.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: true });
    const p3 = await page({ first: 2, after: p2.pageInfo.endCursor });
    expect(p3.nodes.map((n) => n.id)).toEqual(txIds.slice(4));
    expect(p3.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
    expect(p3.totalCount).toBe(PAGED);

    // Backwards from the end: the last two, then the two before them.
    const b1 = await page({ last: 2 });
    expect(b1.nodes.map((n) => n.id)).toEqual(txIds.slice(3));
    expect(b1.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: false });
    const b2 = await page({ last: 2, before: b1.pageInfo.startCursor });
    expect(b2.nodes.map((n) => n.id)).toEqual(txIds.slice(1, 3));
    const b3 = await page({ last: 2, before: b2.pageInfo.startCursor });
    expect(b3.nodes.map((n) => n.id)).toEqual(txIds.slice(0, 1));
    expect(b3.pageInfo).toMatchObject({ hasPreviousPage: false, hasNextPage: true });
  });

  test("Person.transactions pages the same way; the person's other lists are connections", async () => {
    const read = async (v: { first?: number; after?: string | null; last?: number; before?: string | null }) =>
      (await gw.ok(PersonTransactionsDocument, { id: personId, ...v }, 'viewer')).person!;
    const p1 = await read({ first: 3 });
    expect(p1.transactions.edges.map((e) => e.node.id)).toEqual(txIds.slice(0, 3));
    expect(p1.transactions.totalCount).toBe(PAGED);
    expect(p1.transactions.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    const p2 = await read({ first: 3, after: p1.transactions.pageInfo.endCursor });
    expect(p2.transactions.edges.map((e) => e.node.id)).toEqual(txIds.slice(3));
    expect(p2.transactions.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
    const back = await read({ last: 3, before: p2.transactions.pageInfo.startCursor });
    expect(back.transactions.edges.map((e) => e.node.id)).toEqual(txIds.slice(0, 3));
    expect(back.transactions.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    expect(p1.messages).toEqual({ totalCount: 1, nodes: [{ id: messageId }] });
    expect(p1.captures).toEqual({ totalCount: 0, nodes: [] });
  });

  test('auditLog is a full connection: edges, nodes, totalCount, backward paging', async () => {
    const all = (await gw.ok(AuditLogDocument, { first: 100 }, 'admin')).auditLog;
    expect(all.totalCount).toBe(all.nodes.length);
    expect(all.edges.map((e) => e.node.id)).toEqual(all.nodes.map((n) => n.id));
    const last2 = (await gw.ok(AuditLogDocument, { last: 2 }, 'admin')).auditLog;
    expect(last2.nodes.map((n) => n.id)).toEqual(all.nodes.slice(-2).map((n) => n.id));
    const before = (await gw.ok(AuditLogDocument, { last: 1, before: last2.pageInfo.startCursor }, 'admin')).auditLog;
    expect(before.nodes.map((n) => n.id)).toEqual(all.nodes.slice(-3, -2).map((n) => n.id));
  });

  test('first and last together, out-of-range sizes and forged cursors are BAD_USER_INPUT with fields', async () => {
    const cases: [TransactionsQueryVariables, string][] = [
      [{ first: 1, last: 1 }, 'first'],
      [{ first: 0 }, 'first'],
      [{ last: 101 }, 'last'],
      [{ after: 'x' }, 'after'],
      [{ last: 1, before: Buffer.from('2020-01-01T00:00:00.000Z|nope').toString('base64url') }, 'before'],
    ];
    for (const [v, field] of cases) {
      const r = await gw.request(TransactionsDocument, { cpf: PAGED_CPF, ...v }, 'viewer');
      expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: { [field]: expect.any(String) } });
    }
  });
});
