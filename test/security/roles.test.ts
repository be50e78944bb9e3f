/**
 * The role matrix: every operation of schema/schema.graphql × {anonymous,
 * viewer, operator, admin}, on HTTP and on graphql-ws, against a started
 * gateway with both simulators. The minimum role of each operation is read
 * off its `@Authorized(...)` decorator (roles nest viewer ⊂ operator ⊂ admin;
 * a broadcast sendMessage needs admin, a direct one operator).
 *
 * Below the minimum: UNAUTHENTICATED (anonymous) or FORBIDDEN. At or above:
 * the operation's real success shape, or the one business error its
 * arguments are built to meet (NOT_FOUND for a made-up id, STATION_BUSY on
 * station-1, which the seeded capture holds for the whole run) — never
 * INTERNAL_SERVER_ERROR, never "anything but an auth error". On WebSocket an anonymous client cannot even
 * connect (close 4401). Then CPF masking: a viewer sees `***.***.ddd-dd`
 * in query results and subscription payloads, an operator and an admin the
 * full CPF.
 */
import { buildSchema, type OperationTypeNode } from 'graphql';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import type { Role } from '../../src/auth/jwt';
import { PDV_MAGIC_CPFS } from '../../src/simulators/provaDeVida';
import { SPID_MAGIC_CPFS } from '../../src/simulators/spid';
import { PdvSim, SpidSim, TestGateway, sleep } from '../helpers/gateway';
import { rawKey } from '../helpers/ids';

type Who = 'anonymous' | Role;
const WHO: Who[] = ['anonymous', 'viewer', 'operator', 'admin'];
const RANK: Record<Who, number> = { anonymous: -1, viewer: 0, operator: 1, admin: 2 };

const TX_CPF = PDV_MAGIC_CPFS.freshSeal; // auto-authorised at creation: no poll series
const TX_CPF_FMT = '100.000.007-95';
const TX_CPF_MASKED = '***.***.007-95';
const MSG_CPF_FMT = '123.456.789-09';
const CAP_CPF = SPID_MAGIC_CPFS.matches;
const CAP_CPF_FMT = '100.000.001-08';
const OPERATOR_CPF = SPID_MAGIC_CPFS.operatorOk;
const UUID0 = '00000000-0000-4000-8000-000000000000';

let pdv: PdvSim;
let spid: SpidSim;
let gw: TestGateway;
const ids = { tx: '', msg: '', cap: '' };

beforeAll(async () => {
  pdv = await PdvSim.start({ answerAfterMs: 300 });
  spid = await SpidSim.start({
    timings: { clientCaptureMs: 150, operatorCaptureMs: 150, verifyProcessingMs: 150, enrollProcessingMs: 300, remoteAnswerMs: 200, remoteLinkTtlMs: 800, loginSettleMs: 50 },
  });
  gw = await TestGateway.start({ pdvUrl: pdv.url, spidStations: spid.stationsEnv });
  // Data that exists, created as admin, so that reads return rows with CPFs.
  for (const stationId of ['station-1', 'station-2', 'station-3']) {
    const r = await http('admin', 'mutation($s: ID!, $c: CPF!) { loginOperator(stationId: $s, operatorCpf: $c) { loggedIn userErrors { code } } }', { s: stationId, c: OPERATOR_CPF });
    expect(r.data).toEqual({ loginOperator: { loggedIn: true, userErrors: [] } });
  }
  const t = await http('admin', 'mutation($i: RequestProofOfLifeInput!) { requestProofOfLife(input: $i) { transaction { id status } } }', { i: { cpf: TX_CPF, reason: 'matrix', sealReuseWindowMinutes: 60 } });
  ids.tx = t.data.requestProofOfLife.transaction.id;
  const m = await http('admin', 'mutation { sendMessage(input: { cpf: "12345678909", title: "t", content: "c" }) { message { id } } }');
  ids.msg = m.data.sendMessage.message.id;
  const c = await http('admin', 'mutation($c: CPF!) { startPresentialCapture(stationId: "station-1", cpf: $c, autoAdvance: false) { capture { id } } }', { c: CAP_CPF });
  ids.cap = c.data.startPresentialCapture.capture.id;
  expect(ids).toEqual({ tx: expect.any(String), msg: expect.any(String), cap: expect.any(String) });
});

afterAll(async () => {
  for (const s of sockets.values()) s.terminate();
  process.stdout.write(`[roles] matrix: ${MATRIX.length} operations × ${WHO.length} callers; ${cells.http} HTTP cells, ${cells.ws} WS cells\n`);
  await gw?.close();
  await pdv?.close();
  await spid?.close();
});

// ---- transport ------------------------------------------------------------------------

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Result = { status?: number; data?: any; errors?: { message: string; extensions?: { code?: string } }[] };

async function http(who: Who, query: string, variables?: Record<string, unknown>): Promise<Result> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (who !== 'anonymous') headers['authorization'] = `Bearer ${await gw.token(who, `matrix-${who}`)}`;
  const res = await fetch(gw.url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  return { status: res.status, ...((await res.json()) as Result) };
}

/** One acknowledged graphql-ws socket per role, raw protocol. */
const sockets = new Map<Role, WebSocket>();
let opId = 0;

async function socketFor(role: Role): Promise<WebSocket> {
  const existing = sockets.get(role);
  if (existing && existing.readyState === WebSocket.OPEN) return existing;
  const ws = new WebSocket(gw.gw.server.wsUrl, 'graphql-transport-ws');
  await new Promise<void>((resolve, reject) => {
    ws.once('error', reject);
    ws.once('open', () => resolve());
  });
  const token = await gw.token(role, `matrix-ws-${role}`);
  ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
  await new Promise<void>((resolve, reject) => {
    ws.on('message', function onAck(d: Buffer) {
      if ((JSON.parse(d.toString()) as { type: string }).type === 'connection_ack') {
        ws.off('message', onAck);
        resolve();
      }
    });
    ws.once('close', (code) => reject(new Error(`closed ${code} before ack`)));
  });
  sockets.set(role, ws);
  return ws;
}

/** Runs an operation over WS: the first `next` or `error` answer; subscriptions are completed afterwards. */
async function ws(role: Role, query: string, variables?: Record<string, unknown>, timeoutMs = 5000): Promise<Result> {
  const socket = await socketFor(role);
  const id = `op-${++opId}`;
  return new Promise<Result>((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off('message', onMessage);
      reject(new Error(`no answer over WS for ${query.slice(0, 80)}`));
    }, timeoutMs);
    function onMessage(d: Buffer) {
      const m = JSON.parse(d.toString()) as { id?: string; type: string; payload?: unknown };
      if (m.id !== id || (m.type !== 'next' && m.type !== 'error')) return;
      clearTimeout(timer);
      socket.off('message', onMessage);
      socket.send(JSON.stringify({ id, type: 'complete' }));
      resolve(m.type === 'error' ? { errors: m.payload as Result['errors'] } : (m.payload as Result));
    }
    socket.on('message', onMessage);
    socket.send(JSON.stringify({ id, type: 'subscribe', payload: { query, variables } }));
  });
}

/** An anonymous WS client: connection_init without a token → the server closes 4401. */
async function anonymousWsCloseCode(query: string): Promise<number> {
  const socket = new WebSocket(gw.gw.server.wsUrl, 'graphql-transport-ws');
  await new Promise<void>((resolve) => socket.once('open', () => resolve()));
  const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
  socket.send(JSON.stringify({ type: 'connection_init', payload: {} }));
  socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query } }));
  return Promise.race([closed, sleep(5000).then(() => -1)]);
}

const codes = (r: Result) => (r.errors ?? []).map((e) => e.extensions?.code);

// ---- the matrix -------------------------------------------------------------------------

/** What an allowed caller gets: the field's data (exactly), or one named business error. */
type Outcome = { data: unknown } | { code: string } | { userError: string };

interface Op {
  /** Schema field name (several rows for sendMessage: direct and broadcast). */
  field: string;
  kind: OperationTypeNode | 'query' | 'mutation' | 'subscription';
  label: string;
  min: Role;
  doc: () => { query: string; variables?: Record<string, unknown> };
  ok: (who: Role) => Outcome;
}

/** A CPF as `who` reads it: masked for viewers. */
const cpfAs = (who: Role, formatted: string) => (who === 'viewer' ? `***.***.${formatted.slice(8)}` : formatted);
/** A global id (base64url): entity ids are opaque. */
const UUID = expect.stringMatching(/^[A-Za-z0-9_-]{12,}$/);
const STATION_1 = Buffer.from('Station:station-1').toString('base64url');
const data = (d: unknown): Outcome => ({ data: d });
const busy: Outcome = { userError: 'STATION_BUSY' };

const q = (label: string, field: string, query: string, variables: (() => Record<string, unknown>) | undefined, ok: (who: Role) => Outcome): Op => ({
  field,
  kind: 'query',
  label,
  min: 'viewer',
  doc: () => ({ query, ...(variables ? { variables: variables() } : {}) }),
  ok,
});
const mu = (label: string, field: string, min: Role, query: string, variables: (() => Record<string, unknown>) | undefined, ok: (who: Role) => Outcome): Op => ({
  ...q(label, field, query, variables, ok),
  kind: 'mutation',
  min,
});

const MATRIX: Op[] = [
  // Queries: @Authorized('viewer') on every one but auditLog (admin).
  q('capture', 'capture', 'query($i: ID!) { capture(id: $i) { id cpf } }', () => ({ i: ids.cap }), (w) => data({ capture: { id: ids.cap, cpf: cpfAs(w, CAP_CPF_FMT) } })),
  q('captures', 'captures', 'query { captures(first: 50) { edges { node { id cpf } } } }', undefined, (w) =>
    data({ captures: { edges: expect.arrayContaining([{ node: { id: ids.cap, cpf: cpfAs(w, CAP_CPF_FMT) } }]) } }),
  ),
  q('message', 'message', 'query($i: ID!) { message(id: $i) { id cpf } }', () => ({ i: ids.msg }), (w) => data({ message: { id: ids.msg, cpf: cpfAs(w, MSG_CPF_FMT) } })),
  q('person', 'person', 'query($c: CPF!) { person(cpf: $c) { cpf } }', () => ({ c: TX_CPF }), (w) => data({ person: { cpf: cpfAs(w, TX_CPF_FMT) } })),
  q('station', 'station', 'query { station(id: "station-1") { id operatorCpf } }', undefined, (w) => data({ station: { id: STATION_1, operatorCpf: cpfAs(w, '200.000.003-70') } })),
  q('stations', 'stations', 'query { stations { id online } }', undefined, () =>
    data({ stations: ['station-1', 'station-2', 'station-3'].map((code) => ({ id: Buffer.from(`Station:${code}`).toString('base64url'), online: true })) }),
  ),
  q('transaction', 'transaction', 'query($i: ID!) { transaction(id: $i) { id cpf } }', () => ({ i: ids.tx }), (w) => data({ transaction: { id: ids.tx, cpf: cpfAs(w, TX_CPF_FMT) } })),
  q('transactions', 'transactions', 'query { transactions(first: 50) { edges { node { id cpf } } } }', undefined, (w) =>
    data({ transactions: { edges: expect.arrayContaining([{ node: { id: ids.tx, cpf: cpfAs(w, TX_CPF_FMT) } }]) } }),
  ),
  q('eventCursor', 'eventCursor', 'query { eventCursor }', undefined, () => data({ eventCursor: expect.any(Number) })),
  q('stats', 'stats', 'query { stats(since: "2000-01-01T00:00:00Z") { transactions { total } } }', undefined, () => data({ stats: { transactions: { total: expect.any(Number) } } })),
  q('node', 'node', 'query($i: ID!) { node(id: $i) { id ... on Transaction { cpf } } }', () => ({ i: ids.tx }), (w) => data({ node: { id: ids.tx, cpf: cpfAs(w, TX_CPF_FMT) } })),
  q('nodes', 'nodes', 'query($i: [ID!]!) { nodes(ids: $i) { id ... on Capture { cpf } } }', () => ({ i: [ids.cap] }), (w) => data({ nodes: [{ id: ids.cap, cpf: cpfAs(w, CAP_CPF_FMT) }] })),
  {
    ...q('auditLog', 'auditLog', 'query { auditLog(first: 5) { nodes { id action } } }', undefined, () =>
      data({ auditLog: { nodes: Array.from({ length: 5 }, () => ({ id: UUID, action: expect.any(String) })) } }),
    ),
    min: 'admin',
  },
  // Unknown person id: export answers null, erasure NOT_FOUND (a real erasure would pseudonymise the rows other cells read).
  { ...q('exportPersonData', 'exportPersonData', `query { exportPersonData(id: "${UUID0}") { person { id } } }`, undefined, () => data({ exportPersonData: null })), min: 'admin' },
  // Mutations.
  mu('cancelProofOfLife', 'cancelProofOfLife', 'admin', 'mutation($i: ID!) { cancelProofOfLife(id: $i) { transaction { id status } userErrors { code } } }', () => ({ i: ids.tx }), () =>
    // Already answered (auto-authorised at creation): the transaction as it is, not cancelled.
    data({ cancelProofOfLife: { transaction: { id: ids.tx, status: 'AUTHORIZED' }, userErrors: [] } }),
  ),
  mu('deleteMessage', 'deleteMessage', 'operator', `mutation { deleteMessage(id: "${UUID0}") { message { id } userErrors { code } } }`, undefined, () => ({ userError: 'NOT_FOUND' })),
  mu('erasePerson', 'erasePerson', 'admin', `mutation { erasePerson(id: "${UUID0}") { erasure { personId } userErrors { code } } }`, undefined, () => ({ userError: 'NOT_FOUND' })),
  mu('enroll', 'enroll', 'operator', 'mutation { enroll(stationId: "station-1", cpf: "10000000280") { capture { id } userErrors { code } } }', undefined, () => busy),
  mu('loginOperator', 'loginOperator', 'operator', 'mutation($c: CPF!) { loginOperator(stationId: "station-2", operatorCpf: $c) { station { code } status userErrors { code } } }', () => ({ c: OPERATOR_CPF }), () =>
    data({ loginOperator: { station: { code: 'station-2' }, status: 'OPERATOR_OK', userErrors: [] } }),
  ),
  mu('requestProofOfLife', 'requestProofOfLife', 'operator', 'mutation($i: RequestProofOfLifeInput!) { requestProofOfLife(input: $i) { transaction { id } userErrors { code } } }', () => ({ i: { cpf: TX_CPF, reason: 'matrix', sealReuseWindowMinutes: 60 } }), () =>
    data({ requestProofOfLife: { transaction: { id: UUID }, userErrors: [] } }),
  ),
  mu('resendPendingCaptures', 'resendPendingCaptures', 'admin', 'mutation { resendPendingCaptures(stationId: "station-1") { station { code } userErrors { code } } }', undefined, () =>
    data({ resendPendingCaptures: { station: { code: 'station-1' }, userErrors: [] } }),
  ),
  mu('sendCapture', 'sendCapture', 'operator', `mutation { sendCapture(captureId: "${UUID0}") { capture { id } userErrors { code } } }`, undefined, () => ({ userError: 'NOT_FOUND' })),
  mu('sendMessage (direct)', 'sendMessage', 'operator', 'mutation { sendMessage(input: { cpf: "12345678909", title: "t", content: "c" }) { message { id } userErrors { code } } }', undefined, () => data({ sendMessage: { message: { id: UUID }, userErrors: [] } })),
  mu('sendMessage (broadcast)', 'sendMessage', 'admin', 'mutation { sendMessage(input: { title: "t", content: "c" }) { message { id } userErrors { code } } }', undefined, () => data({ sendMessage: { message: { id: UUID }, userErrors: [] } })),
  mu('startOperatorCapture', 'startOperatorCapture', 'operator', `mutation { startOperatorCapture(captureId: "${UUID0}") { capture { id } userErrors { code } } }`, undefined, () => ({ userError: 'NOT_FOUND' })),
  mu('startPresentialCapture', 'startPresentialCapture', 'operator', 'mutation { startPresentialCapture(stationId: "station-1", cpf: "10000000280") { capture { id } userErrors { code } } }', undefined, () => busy),
  mu('startRemoteEnroll', 'startRemoteEnroll', 'operator', 'mutation { startRemoteEnroll(stationId: "station-1", cpf: "10000000280") { capture { id } userErrors { code } } }', undefined, () => busy),
  mu('startRemoteVerify', 'startRemoteVerify', 'operator', 'mutation { startRemoteVerify(stationId: "station-1", cpf: "10000000280") { capture { id } userErrors { code } } }', undefined, () => busy),
  // Subscriptions: @Authorized('viewer'); afterSeq 0 replays, so an accepted one answers at once.
  {
    field: 'captureStatusChanged',
    kind: 'subscription',
    label: 'captureStatusChanged',
    min: 'viewer',
    doc: () => ({ query: 'subscription($i: ID) { captureStatusChanged(captureId: $i, afterSeq: 0) { seq capture { cpf } } }', variables: { i: ids.cap } }),
    ok: (w) => data({ captureStatusChanged: { seq: expect.any(Number), capture: { cpf: cpfAs(w, CAP_CPF_FMT) } } }),
  },
  {
    field: 'events',
    kind: 'subscription',
    label: 'events',
    min: 'viewer',
    doc: () => ({ query: 'subscription($c: CPF) { events(cpf: $c, kinds: [TRANSACTION], afterSeq: 0) { ... on TransactionEvent { seq transaction { cpf } } } }', variables: { c: TX_CPF } }),
    ok: (w) => data({ events: { seq: expect.any(Number), transaction: { cpf: cpfAs(w, TX_CPF_FMT) } } }),
  },
  {
    field: 'stationStatusChanged',
    kind: 'subscription',
    label: 'stationStatusChanged',
    min: 'viewer',
    // Masking of the operator's CPF in station events: test/e2e/stations.e2e.test.ts.
    doc: () => ({ query: 'subscription { stationStatusChanged(stationId: "station-1", afterSeq: 0) { seq station { code } } }', variables: {} }),
    ok: () => data({ stationStatusChanged: { seq: expect.any(Number), station: { code: 'station-1' } } }),
  },
  {
    field: 'transactionResponseChanged',
    kind: 'subscription',
    label: 'transactionResponseChanged',
    min: 'viewer',
    doc: () => ({ query: 'subscription($i: ID) { transactionResponseChanged(transactionId: $i, afterSeq: 0) { seq transaction { cpf } } }', variables: { i: ids.tx } }),
    ok: (w) => data({ transactionResponseChanged: { seq: expect.any(Number), transaction: { cpf: cpfAs(w, TX_CPF_FMT) } } }),
  },
];

const cells = { http: 0, ws: 0 };

test('the matrix covers every query, mutation and subscription of schema/schema.graphql', () => {
  const schema = buildSchema(readFileSync(join(__dirname, '../../schema/schema.graphql'), 'utf8'));
  const inSchema = (['query', 'mutation', 'subscription'] as const).flatMap((k) => {
    const type = k === 'query' ? schema.getQueryType() : k === 'mutation' ? schema.getMutationType() : schema.getSubscriptionType();
    return Object.keys(type?.getFields() ?? {}).map((f) => `${k}:${f}`);
  });
  const inMatrix = new Set(MATRIX.map((o) => `${o.kind}:${o.field}`));
  expect([...inSchema].filter((x) => !inMatrix.has(x))).toEqual([]);
  expect([...inMatrix].filter((x) => !inSchema.includes(x))).toEqual([]);
});

function expectCell(r: Result, who: Who, op: Op) {
  const got = codes(r);
  if (RANK[who] < RANK[op.min]) {
    expect({ op: op.label, who, codes: got }).toEqual({ op: op.label, who, codes: [who === 'anonymous' ? 'UNAUTHENTICATED' : 'FORBIDDEN'] });
    expect(r.data?.[op.field] ?? null).toBeNull();
  } else {
    const want = op.ok(who as Role);
    if ('userError' in want) {
      // An expected business outcome: no top-level error, the entity null, the code in userErrors.
      const payload = r.data?.[op.field] as Record<string, unknown> | undefined;
      const entity = Object.entries(payload ?? {}).filter(([k, v]) => k !== 'userErrors' && v != null);
      expect({ op: op.label, who, codes: got, userErrors: payload?.['userErrors'], entity }).toEqual({ op: op.label, who, codes: [], userErrors: [{ code: want.userError }], entity: [] });
    } else if ('code' in want) {
      expect({ op: op.label, who, codes: got, data: r.data?.[op.field] ?? null }).toEqual({ op: op.label, who, codes: [want.code], data: null });
    } else {
      expect({ op: op.label, who, codes: got, data: r.data }).toEqual({ op: op.label, who, codes: [], data: want.data });
    }
  }
}

describe('HTTP', () => {
  for (const op of MATRIX) {
    for (const who of WHO) {
      cells.http++;
      test(`${op.kind} ${op.label} as ${who} (needs ${op.min})`, async () => {
        const { query, variables } = op.doc();
        const r = await http(who, query, variables);
        if (op.kind === 'subscription') {
          // Not a transport for subscriptions: refused before anything runs, whoever asks.
          expect(codes(r)).toEqual(['BAD_REQUEST']);
          expect(r.data?.[op.field] ?? null).toBeNull();
          return;
        }
        expectCell(r, who, op);
      });
    }
  }
});

describe('WebSocket', () => {
  for (const op of MATRIX) {
    for (const who of WHO) {
      cells.ws++;
      test(`${op.kind} ${op.label} as ${who} (needs ${op.min})`, async () => {
        const { query, variables } = op.doc();
        if (who === 'anonymous') {
          expect(await anonymousWsCloseCode(query)).toBe(4401);
          return;
        }
        const r = await ws(who, query, variables);
        expectCell(r, who, op);
      });
    }
  }
});

// ---- CPF masking -------------------------------------------------------------------------

const MASKED = /^\*\*\*\.\*\*\*\.\d{3}-\d{2}$/;
const FULL = /^\d{3}\.\d{3}\.\d{3}-\d{2}$/;

describe('CPF masking', () => {
  const TX_Q = 'query($i: ID!) { transaction(id: $i) { cpf person { cpf } } }';

  test('viewer: transaction(id) and its person carry masked CPFs; operator and admin see them in full', async () => {
    const v = await http('viewer', TX_Q, { i: ids.tx });
    expect(v.data.transaction).toEqual({ cpf: TX_CPF_MASKED, person: { cpf: TX_CPF_MASKED } });
    for (const who of ['operator', 'admin'] as const) {
      expect((await http(who, TX_Q, { i: ids.tx })).data.transaction).toEqual({ cpf: TX_CPF_FMT, person: { cpf: TX_CPF_FMT } });
    }
  });

  test('viewer: every CPF in transactions, captures, person, message and station is masked', async () => {
    const r = await http('viewer', `query($c: CPF!, $m: ID!, $k: ID!) {
      transactions(first: 20) { edges { node { cpf person { cpf } } } }
      captures(first: 20) { edges { node { cpf person { cpf } } } }
      person(cpf: $c) { cpf transactions { nodes { cpf } } }
      message(id: $m) { cpf person { cpf } }
      capture(id: $k) { cpf history { capture { cpf } } }
      station(id: "station-1") { operatorCpf currentCapture { cpf } }
    }`, { c: TX_CPF, m: ids.msg, k: ids.cap });
    expect(r.errors).toBeUndefined();
    const found = cpfsIn(r.data);
    expect(found.length).toBeGreaterThanOrEqual(10);
    for (const c of found) expect(c).toMatch(MASKED);
    expect(r.data.message.cpf).toBe('***.***.789-09');
    expect(r.data.station.operatorCpf).toBe('***.***.003-70');
  });

  test('operator: the same query shows every CPF in full', async () => {
    const r = await http('operator', `query($c: CPF!, $m: ID!, $k: ID!) {
      transactions(first: 20) { edges { node { cpf } } }
      person(cpf: $c) { cpf }
      message(id: $m) { cpf }
      capture(id: $k) { cpf }
      station(id: "station-1") { operatorCpf }
    }`, { c: TX_CPF, m: ids.msg, k: ids.cap });
    expect(r.errors).toBeUndefined();
    for (const c of cpfsIn(r.data)) expect(c).toMatch(FULL);
    expect(r.data.message.cpf).toBe(MSG_CPF_FMT);
    expect(r.data.capture.cpf).toBe(CAP_CPF_FMT);
    expect(r.data.station.operatorCpf).toBe('200.000.003-70');
  });

  test('viewer over WS: query results and both subscription payloads are masked', async () => {
    const qr = await ws('viewer', TX_Q, { i: ids.tx });
    expect(qr.data.transaction).toEqual({ cpf: TX_CPF_MASKED, person: { cpf: TX_CPF_MASKED } });
    const t = await ws('viewer', 'subscription($i: ID) { transactionResponseChanged(transactionId: $i, afterSeq: 0) { transaction { cpf person { cpf } } } }', { i: ids.tx });
    expect(t.data.transactionResponseChanged.transaction).toEqual({ cpf: TX_CPF_MASKED, person: { cpf: TX_CPF_MASKED } });
    const c = await ws('viewer', 'subscription($i: ID) { captureStatusChanged(captureId: $i, afterSeq: 0) { capture { cpf person { cpf } } } }', { i: ids.cap });
    expect(c.data.captureStatusChanged.capture).toEqual({ cpf: '***.***.001-08', person: { cpf: '***.***.001-08' } });
  });

  test('operator over WS: subscription payloads carry the full CPF', async () => {
    const t = await ws('operator', 'subscription($i: ID) { transactionResponseChanged(transactionId: $i, afterSeq: 0) { transaction { cpf } } }', { i: ids.tx });
    expect(t.data.transactionResponseChanged.transaction.cpf).toBe(TX_CPF_FMT);
    const c = await ws('operator', 'subscription($i: ID) { captureStatusChanged(captureId: $i, afterSeq: 0) { capture { cpf } } }', { i: ids.cap });
    expect(c.data.captureStatusChanged.capture.cpf).toBe(CAP_CPF_FMT);
  });

  test('a live event (not a replay) reaching a viewer is masked too', async () => {
    const socket = await socketFor('viewer');
    const got = new Promise<string>((resolve) => {
      socket.on('message', function onMsg(d: Buffer) {
        const m = JSON.parse(d.toString()) as { id?: string; type: string; payload?: { data?: { transactionResponseChanged?: { transaction: { cpf: string } } } } };
        const cpf = m.id === 'live' ? m.payload?.data?.transactionResponseChanged?.transaction.cpf : undefined;
        if (cpf) {
          socket.off('message', onMsg);
          resolve(cpf);
        }
      });
    });
    socket.send(JSON.stringify({ id: 'live', type: 'subscribe', payload: { query: 'subscription($c: CPF) { transactionResponseChanged(cpf: $c) { transaction { cpf } } }', variables: { c: TX_CPF } } }));
    await sleep(200);
    await http('operator', 'mutation($i: RequestProofOfLifeInput!) { requestProofOfLife(input: $i) { transaction { id } } }', { i: { cpf: TX_CPF, reason: 'live', sealReuseWindowMinutes: 60 } });
    expect(await Promise.race([got, sleep(5000).then(() => 'timeout')])).toBe(TX_CPF_MASKED);
    socket.send(JSON.stringify({ id: 'live', type: 'complete' }));
  });
});

/** Every value of a `cpf`/`operatorCpf` key anywhere in a result. */
function cpfsIn(v: unknown, out: string[] = []): string[] {
  if (Array.isArray(v)) v.forEach((x) => cpfsIn(x, out));
  else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      if ((k === 'cpf' || k === 'operatorCpf') && typeof x === 'string') out.push(x);
      else cpfsIn(x, out);
    }
  }
  return out;
}
