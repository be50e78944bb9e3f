/**
 * Hostile input against a started gateway (real HTTP + graphql-ws on loopback,
 * PGlite store) with a Prova de Vida and a SPID simulator behind it.
 *
 * Every case asserts its specific outcome (HTTP status, `extensions.code` or
 * WebSocket close code). A shared afterEach then checks, for every case:
 *  - nothing the client received (bodies, WS frames, close reasons) carries a
 *    stack trace, a simulator host:port, SQL text or an upstream path/body;
 *  - no simulator received a request during the case (PdvSim apiCalls and
 *    SpidSim total deltas are 0);
 *  - the gateway still answers: GET /healthz 200 and a trivial authenticated query.
 *
 * Cases that document a product defect are `test.failing` (see DEFECT notes):
 * for those, the body itself runs the same leak/upstream checks, and afterEach
 * only checks liveness (a failing afterEach would flip a `failing` test).
 */
import { createHmac } from 'node:crypto';
import { SignJWT } from 'jose';
import WebSocket from 'ws';
import { DEV_JWT_SECRET } from '../../src/config';
import { PDV_MAGIC_CPFS } from '../../src/simulators/provaDeVida';
import { PdvSim, SpidSim, TestGateway, sleep } from '../helpers/gateway';

jest.setTimeout(20_000);
/** A gateway boot on a loaded 2-core box (PGlite, a new data dir) can take longer than one case may. */
const SETUP_TIMEOUT_MS = 120_000;

const MAX_CONNS = 3;
const MAX_SUBS = 5;
const ISS = 'identity-flows-gateway';
const SECRET = new TextEncoder().encode(DEV_JWT_SECRET);
const BAD_CPF = '123.456.789-00'; // check digits wrong (valid: 123.456.789-09)
const GOOD_CPF = '12345678909';
const UUID0 = '00000000-0000-4000-8000-000000000000';

let pdv: PdvSim;
let spid: SpidSim;
let gw: TestGateway;
let origin: string;
let leakPatterns: RegExp[] = [];

beforeAll(async () => {
  pdv = await PdvSim.start({ answerAfterMs: 200 });
  spid = await SpidSim.start();
  gw = await TestGateway.start({
    pdvUrl: pdv.url,
    spidStations: spid.stationsEnv,
    env: { WS_MAX_CONNECTIONS_PER_USER: String(MAX_CONNS), WS_MAX_SUBSCRIPTIONS_PER_USER: String(MAX_SUBS) },
  });
  origin = new URL(gw.url).origin;
  const hosts = [pdv.url, ...spid.sim.stations.map((s) => s.baseUrl)].map((u) => new URL(u).host);
  leakPatterns = [
    /\n\s+at\s+\S/, // stack frames
    /stacktrace/i,
    /\.(ts|js):\d+/,
    /node_modules|\/work\//,
    /127\.0\.0\.1/,
    ...hosts.map((h) => new RegExp(h.replace(/[.]/g, '\\.'))),
    /\b(select|insert|update|delete)\b[\s\S]{0,200}\b(from|into|set|where)\b/i,
    /syntax error at or near|invalid byte sequence|relation "|violates|pglite|postgres|drizzle/i,
    /transacoes|gbs-spid-services|oauth|ECONNREFUSED|undici/i,
  ];
  // One auto-authorised transaction (fresh seal: no poll follows), so a replaying
  // subscription (afterSeq: 0) has an event to prove it was accepted.
  const seed = await post({ query: 'mutation($i: RequestProofOfLifeInput!){ requestProofOfLife(input:$i){ transaction { id status } userErrors { code field message } } }', variables: { i: { cpf: PDV_MAGIC_CPFS.freshSeal, reason: 'seed', sealReuseWindowMinutes: 60 } } }, { token: await tok({ role: 'admin' }) });
  expect(seed.json?.data?.requestProofOfLife?.transaction?.status).toBe('AUTHORIZED');
  await sleep(300);
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  for (const [cat, n] of counts) process.stdout.write(`[hostile] ${cat}: ${n} cases\n`);
  process.stdout.write(`[hostile] total: ${[...counts.values()].reduce((a, b) => a + b, 0)} cases\n`);
  await gw?.close();
  await pdv?.close();
  await spid?.close();
});

// ---- bookkeeping ----------------------------------------------------------------

const counts = new Map<string, number>();
const failingTitles = new Set<string>();
/** Everything a client received during the current case. */
let transcript: string[] = [];
let sockets: WebSocket[] = [];
let base = { pdv: 0, spid: 0 };

async function upstreamCalls() {
  // The station pollers read Login Status in the background (never for a request): every other station call counts.
  const c = await spid.counters();
  const polls = Object.values(c.byStation).reduce((n, st) => n + (st.byRoute['GET /login/status'] ?? 0), 0);
  return { pdv: await pdv.apiCalls(), spid: c.total - polls };
}

function expectNoLeak(texts: string[] = transcript) {
  for (const t of texts) for (const p of leakPatterns) expect({ leak: p.source, text: t.slice(0, 2000), hit: p.test(t) }).toMatchObject({ hit: false });
}

async function expectNoUpstream() {
  const now = await upstreamCalls();
  expect({ pdv: now.pdv - base.pdv, spid: now.spid - base.spid }).toEqual({ pdv: 0, spid: 0 });
}

beforeEach(async () => {
  transcript = [];
  sockets = [];
  base = await upstreamCalls();
});

afterEach(async () => {
  for (const s of sockets) s.terminate();
  const name = expect.getState().currentTestName ?? '';
  const failing = [...failingTitles].some((t) => name.endsWith(t));
  if (!failing) {
    expectNoLeak();
    await expectNoUpstream();
  }
  const health = await fetch(`${origin}/healthz`);
  expect(health.status).toBe(200);
  const q = await post({ query: '{ transactions(first: 1) { edges { cursor } } }' }, { token: await tok({ role: 'viewer' }), record: false });
  expect(q.status).toBe(200);
  expect(q.json?.errors).toBeUndefined();
  expect(Array.isArray(q.json?.data?.transactions?.edges)).toBe(true);
});

type Opts = { failing?: string; timeout?: number };
/** Declares the cases of one category (counted for the summary line). */
function category(name: string, body: (add: (title: string, fn: () => Promise<void>, opts?: Opts) => void) => void) {
  describe(name, () => {
    body((title, fn, opts = {}) => {
      counts.set(name, (counts.get(name) ?? 0) + 1);
      if (opts.failing) {
        // DEFECT: opts.failing describes it; the body asserts the correct behaviour.
        failingTitles.add(title);
        test.failing(title, fn, opts.timeout);
      } else {
        test(title, fn, opts.timeout);
      }
    });
  });
}

// ---- HTTP helpers -------------------------------------------------------------------

interface Res {
  status: number;
  text: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

async function raw(init: { method?: string; path?: string; headers?: Record<string, string>; body?: string }, record = true): Promise<Res> {
  const r = await fetch(origin + (init.path ?? '/graphql'), { method: init.method ?? 'POST', headers: init.headers ?? {}, ...(init.body === undefined ? {} : { body: init.body }) });
  const text = await r.text();
  if (record) transcript.push(text);
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: r.status, text, json };
}

async function post(body: unknown, o: { token?: string | null; headers?: Record<string, string>; record?: boolean } = {}): Promise<Res> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...o.headers };
  if (o.token) headers['authorization'] = `Bearer ${o.token}`;
  return raw({ headers, body: typeof body === 'string' ? body : JSON.stringify(body) }, o.record ?? true);
}

/** A GraphQL POST with a valid token of `role` (admin by default, so auth never hides the case). */
async function gql(query: string, variables?: Record<string, unknown>, role: 'viewer' | 'operator' | 'admin' = 'admin'): Promise<Res> {
  return post({ query, variables }, { token: await tok({ role }) });
}

const code = (r: Res): unknown => r.json?.errors?.[0]?.extensions?.code;
const firstErr = (r: Res): { message: string; extensions?: Record<string, any> } | undefined => r.json?.errors?.[0]; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A mutation's expected refusal: its payload's first userError (HTTP 200, no top-level error, no entity). */
function userErr(r: Res): { code: string; field: string[] | null; message: string } | undefined {
  if (r.json?.errors?.length) return undefined;
  const payloads = Object.values((r.json?.data ?? {}) as Record<string, { userErrors?: { code: string; field: string[] | null; message: string }[] } | null>);
  return payloads.flatMap((p) => p?.userErrors ?? [])[0];
}
const userCode = (r: Res): unknown => userErr(r)?.code;
/** The userErrors as `extensions.fields` would key them (`input.` left out). */
const userFields = (r: Res): Record<string, string> => {
  const payloads = Object.values((r.json?.data ?? {}) as Record<string, { userErrors?: { field: string[] | null; message: string }[] } | null>);
  return Object.fromEntries(payloads.flatMap((p) => p?.userErrors ?? []).map((e) => [(e.field ?? []).join('.').replace(/^input\./, ''), e.message]));
};
function expectUserError(r: Res, c: string) {
  expect({ status: r.status, code: userCode(r) }).toEqual({ status: 200, code: c });
}

/** Refused before execution: no data at all. */
function expectRefused(r: Res, status: number, c: string) {
  expect({ status: r.status, code: code(r) }).toEqual({ status, code: c });
  expect(r.json?.data ?? null).toBeNull();
}

// ---- tokens -----------------------------------------------------------------------

let subN = 0;
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

async function tok(o: { sub?: string; role?: string | null; iss?: string; aud?: string; exp?: number | null; nbf?: number; alg?: string; secret?: Uint8Array } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = {};
  if (o.role !== null) claims['role'] = o.role ?? 'viewer';
  let j = new SignJWT(claims)
    .setProtectedHeader({ alg: o.alg ?? 'HS256', typ: 'JWT' })
    .setSubject(o.sub ?? `hostile-${o.role ?? 'viewer'}`)
    .setIssuer(o.iss ?? ISS)
    .setAudience(o.aud ?? ISS)
    .setIssuedAt();
  if (o.exp !== null) j = j.setExpirationTime(o.exp ?? now + 3600);
  if (o.nbf !== undefined) j = j.setNotBefore(o.nbf);
  return j.sign(o.secret ?? SECRET);
}

const now = () => Math.floor(Date.now() / 1000);

/** Every way a token can be wrong; each must be refused. */
const BAD_TOKENS: [string, () => Promise<string>][] = [
  ['expired an hour ago', () => tok({ exp: now() - 3600 })],
  ['wrong issuer', () => tok({ iss: 'someone-else' })],
  ['wrong audience', () => tok({ aud: 'another-api' })],
  ['alg none (unsigned)', async () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'x', role: 'admin', iss: ISS, aud: ISS, exp: now() + 3600 })}.`],
  [
    'tampered payload (viewer → admin, signature kept)',
    async () => {
      const [h, , s] = (await tok({ role: 'viewer' })).split('.');
      return `${h}.${b64({ sub: 'hostile-viewer', role: 'admin', iss: ISS, aud: ISS, iat: now(), exp: now() + 3600 })}.${s}`;
    },
  ],
  ['signed with another secret', () => tok({ secret: new TextEncoder().encode('x'.repeat(48)) })],
  ['HS384 with the right secret (algorithm not allowed)', () => tok({ alg: 'HS384' })],
  [
    'RS256 header, HMAC signature with the secret (algorithm confusion)',
    async () => {
      const signing = `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64({ sub: 'x', role: 'admin', iss: ISS, aud: ISS, exp: now() + 3600 })}`;
      return `${signing}.${createHmac('sha256', DEV_JWT_SECRET).update(signing).digest('base64url')}`;
    },
  ],
  ['garbage', async () => 'not.a.jwt'],
  ['no exp claim', () => tok({ exp: null })],
  ['unknown role "superadmin"', () => tok({ role: 'superadmin' })],
  ['no role claim', () => tok({ role: null })],
  ['not valid before an hour from now', () => tok({ nbf: now() + 3600 })],
];

// ---- WebSocket helpers ---------------------------------------------------------------

interface Msg {
  type: string;
  id?: string;
  payload?: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

class Sock {
  readonly msgs: Msg[] = [];
  closeInfo: { code: number; reason: string } | null = null;
  readonly closed: Promise<{ code: number; reason: string }>;
  private wake: (() => void)[] = [];

  constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) =>
      ws.on('close', (c: number, reason: Buffer) => {
        this.closeInfo = { code: c, reason: reason.toString() };
        transcript.push(this.closeInfo.reason);
        resolve(this.closeInfo);
        this.wake.forEach((w) => w());
      }),
    );
    ws.on('message', (d: Buffer) => {
      const t = d.toString();
      transcript.push(t);
      this.msgs.push(JSON.parse(t) as Msg);
      this.wake.forEach((w) => w());
    });
    ws.on('error', () => undefined);
  }

  static open(protocol = 'graphql-transport-ws'): Promise<Sock> {
    const ws = new WebSocket(gw.gw.server.wsUrl, protocol);
    sockets.push(ws);
    const s = new Sock(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(s));
      ws.once('error', reject);
    });
  }

  send(m: unknown) {
    this.ws.send(typeof m === 'string' ? m : JSON.stringify(m));
  }

  /** Resolves with the first message matching, or null when the socket closes or time runs out. */
  waitFor(pred: (m: Msg) => boolean, ms = 5000): Promise<Msg | null> {
    return new Promise((resolve) => {
      const check = () => {
        const m = this.msgs.find(pred);
        if (m || this.closeInfo) {
          clearTimeout(timer);
          resolve(m ?? null);
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => resolve(null), ms);
      if (!check()) this.wake.push(() => void check());
    });
  }

  async closeCode(ms = 5000): Promise<number | 'open'> {
    const r = await Promise.race([this.closed, sleep(ms).then(() => null)]);
    return r ? r.code : 'open';
  }

  /** Sends a subscribe and waits for its first answer: `next` or `error`. */
  async run(id: string, query: string, variables?: Record<string, unknown>, ms = 5000): Promise<{ type: string; data: any; codes: unknown[]; messages: unknown[] } | null> { // eslint-disable-line @typescript-eslint/no-explicit-any
    this.send({ id, type: 'subscribe', payload: { query, ...(variables ? { variables } : {}) } });
    const m = await this.waitFor((x) => x.id === id && (x.type === 'next' || x.type === 'error'), ms);
    if (!m) return null;
    const errors: { message?: string; extensions?: { code?: unknown } }[] = m.type === 'error' ? m.payload : (m.payload?.errors ?? []);
    return { type: m.type, data: m.type === 'next' ? m.payload?.data : undefined, codes: errors.map((e) => e.extensions?.code), messages: errors.map((e) => e.message) };
  }
}

/** Opens a socket and sends connection_init with this payload. */
async function init(payload: unknown): Promise<Sock> {
  const s = await Sock.open();
  s.send(payload === undefined ? { type: 'connection_init' } : { type: 'connection_init', payload });
  return s;
}

/** An acknowledged socket for a fresh user (or the given sub). */
async function acked(o: { sub?: string; role?: string } = {}): Promise<Sock> {
  const s = await init({ authorization: `Bearer ${await tok({ sub: o.sub ?? `ws-user-${++subN}`, role: o.role ?? 'viewer' })}` });
  const ack = await s.waitFor((m) => m.type === 'connection_ack');
  expect(ack?.type).toBe('connection_ack');
  return s;
}

const REPLAY_SUB = 'subscription { transactionResponseChanged(afterSeq: 0) { seq type } }';

// ---- query texts ------------------------------------------------------------------

function nest(levels: number, leaf = 'cpf'): string {
  let q = leaf;
  for (let i = 0; i < levels; i++) q = i % 2 === 0 ? `person { ${q} }` : `transactions { nodes { ${q} } }`;
  return q;
}
// nest(9): as deep as nest(13) was before Person.transactions became a connection (each adds `nodes`).
const DEEP_QUERY = `query { transactions(first: 1) { edges { node { ${nest(9)} } } } }`;
const DEEP_SUB = `subscription { transactionResponseChanged { transaction { ${nest(13)} } } }`;
const ALIAS_QUERY = `query { ${Array.from({ length: 20 }, (_, i) => `a${i}: station(id: "x") { id }`).join(' ')} }`;
const ALIAS_SUB = `subscription { transactionResponseChanged { ${Array.from({ length: 20 }, (_, i) => `s${i}: seq`).join(' ')} } }`;
const FRAGMENT_BOMB =
  'query { transactions(first: 100) { edges { node { ...F0 } } } } ' +
  Array.from({ length: 8 }, (_, i) => `fragment F${i} on Transaction { id ${i < 7 ? `p1: person { transactions { nodes { ...F${i + 1} } } } p2: person { transactions { nodes { ...F${i + 1} } } }` : ''} }`).join(' ');
const CIRCULAR = 'query { transactions { edges { node { ...A } } } } fragment A on Transaction { id ...B } fragment B on Transaction { id ...A }';
const DIRECTIVES = `query { ${Array.from({ length: 25 }, (_, i) => `f${i}: __typename @include(if: true)`).join(' ')} }`;
const TOKEN_FLOOD = `query { ${Array.from({ length: 2100 }, () => '__typename').join(' ')} }`;
const COST_BOMB = 'query { transactions(first: 100) { edges { node { person { transactions { nodes { person { captures { nodes { history { capture { id } } } } } } } } } } } }';

const REQUEST_POL = 'mutation($i: RequestProofOfLifeInput!) { requestProofOfLife(input: $i) { transaction { id } userErrors { code field message } } }';
const SEND_MESSAGE = 'mutation($i: SendMessageInput!) { sendMessage(input: $i) { message { id } userErrors { code field message } } }';

// =====================================================================================

const CPF_MESSAGE = { CPF_CHECK_DIGITS: 'CPF check digits are invalid', CPF_FORMAT: 'CPF must be 11 digits or formatted as 000.000.000-00' };

category('malformed CPFs', (add) => {
  /** Every argument or input field of type CPF, fed a check-digit-invalid CPF through variables. */
  const CPF_FIELDS: [string, string, (cpf: string) => Record<string, unknown>][] = [
    ['requestProofOfLife input.cpf', REQUEST_POL, (cpf) => ({ i: { cpf, reason: 'x' } })],
    ['sendMessage input.cpf', SEND_MESSAGE, (cpf) => ({ i: { cpf, title: 't', content: 'c' } })],
    ['person(cpf)', 'query($c: CPF!) { person(cpf: $c) { cpf } }', (c) => ({ c })],
    ['transactions(cpf)', 'query($c: CPF) { transactions(cpf: $c) { edges { cursor } } }', (c) => ({ c })],
    ['captures(cpf)', 'query($c: CPF) { captures(cpf: $c) { edges { cursor } } }', (c) => ({ c })],
    ['startPresentialCapture cpf', 'mutation($c: CPF!) { startPresentialCapture(stationId: "station-1", cpf: $c) { capture { id } userErrors { code field message } } }', (c) => ({ c })],
    ['enroll cpf', 'mutation($c: CPF!) { enroll(stationId: "station-1", cpf: $c) { capture { id } userErrors { code field message } } }', (c) => ({ c })],
    ['startRemoteVerify cpf', 'mutation($c: CPF!) { startRemoteVerify(stationId: "station-1", cpf: $c) { capture { id } userErrors { code field message } } }', (c) => ({ c })],
    ['startRemoteEnroll cpf', 'mutation($c: CPF!) { startRemoteEnroll(stationId: "station-1", cpf: $c) { capture { id } userErrors { code field message } } }', (c) => ({ c })],
    ['loginOperator operatorCpf', 'mutation($c: CPF!) { loginOperator(stationId: "station-1", operatorCpf: $c) { status } }', (c) => ({ c })],
  ];
  for (const [field, query, vars] of CPF_FIELDS) {
    add(`${field}: check-digit-invalid CPF via variables → 400 BAD_USER_INPUT (CPF_CHECK_DIGITS)`, async () => {
      const r = await gql(query, vars(BAD_CPF));
      expectRefused(r, 400, 'BAD_USER_INPUT');
      // One shape for every BAD_USER_INPUT: `fields`, keyed by the path into the variables.
      expect(firstErr(r)?.extensions).toEqual({ code: 'BAD_USER_INPUT', fields: { [query.startsWith('mutation($i') ? 'i.cpf' : 'c']: CPF_MESSAGE.CPF_CHECK_DIGITS } });
    });
  }

  for (const [sub, query] of [
    ['transactionResponseChanged(cpf)', 'subscription($c: CPF) { transactionResponseChanged(cpf: $c) { seq } }'],
    ['captureStatusChanged(cpf)', 'subscription($c: CPF) { captureStatusChanged(cpf: $c) { seq } }'],
  ] as const) {
    add(`WS subscription ${sub}: check-digit-invalid CPF → BAD_USER_INPUT, no stream`, async () => {
      const s = await acked();
      const r = await s.run('1', query, { c: BAD_CPF });
      expect(r?.codes).toEqual(['BAD_USER_INPUT']);
      expect(r?.data ?? null).toBeNull();
      expect(await s.waitFor((m) => m.id === '1' && m.type === 'complete', 2000).then((m) => m !== null || s.msgs.some((x) => x.id === '1' && x.type === 'error'))).toBe(true);
    });
  }

  /** Malformed spellings, on person(cpf) via variables. */
  const MALFORMED: [string, unknown, 'CPF_FORMAT' | 'CPF_CHECK_DIGITS'][] = [
    ['repeated digits 111.111.111-11', '111.111.111-11', 'CPF_CHECK_DIGITS'],
    ['all zeros', '00000000000', 'CPF_CHECK_DIGITS'],
    ['partial punctuation', '123.45678909', 'CPF_FORMAT'],
    ['10 digits', '1234567890', 'CPF_FORMAT'],
    ['12 digits', '123456789090', 'CPF_FORMAT'],
    ['leading space', ` ${GOOD_CPF}`, 'CPF_FORMAT'],
    ['trailing newline', `${GOOD_CPF}\n`, 'CPF_FORMAT'],
    ['letters', 'abc.def.ghi-jk', 'CPF_FORMAT'],
    ['empty string', '', 'CPF_FORMAT'],
    ['a JSON number', 12345678909, 'CPF_FORMAT'],
    ['fullwidth digits', '１２３４５６７８９０９', 'CPF_FORMAT'],
    ['Arabic-Indic digits', '١٢٣٤٥٦٧٨٩٠٩', 'CPF_FORMAT'],
    ['RTL override inside', '123.456.\u202E789-09', 'CPF_FORMAT'],
    ['NUL byte inside', '123456789\u000009', 'CPF_FORMAT'],
    ['SQL injection', "12345678909' OR '1'='1", 'CPF_FORMAT'],
  ];
  for (const [what, value, reason] of MALFORMED) {
    add(`person(cpf) ${what} → 400 BAD_USER_INPUT (${reason})`, async () => {
      const r = await gql('query($c: CPF!) { person(cpf: $c) { cpf } }', { c: value });
      expectRefused(r, 400, 'BAD_USER_INPUT');
      expect(firstErr(r)?.extensions).toEqual({ code: 'BAD_USER_INPUT', fields: { c: CPF_MESSAGE[reason] } });
    });
  }

  add('requestProofOfLife input.cpf null → 400 BAD_USER_INPUT', async () => {
    expectRefused(await gql(REQUEST_POL, { i: { cpf: null, reason: 'x' } }), 400, 'BAD_USER_INPUT');
  });

  const INLINE: [string, string][] = [
    ['person(cpf) inline', `{ person(cpf: "${BAD_CPF}") { cpf } }`],
    ['requestProofOfLife inline input', `mutation { requestProofOfLife(input: { cpf: "${BAD_CPF}", reason: "x" }) { transaction { id } userErrors { code field message } } }`],
    ['loginOperator inline', `mutation { loginOperator(stationId: "station-1", operatorCpf: "${BAD_CPF}") { status } }`],
    ['person(cpf) as an Int literal', '{ person(cpf: 12345678909) { cpf } }'],
  ];
  for (const [what, query] of INLINE) {
    add(`${what} → 400 GRAPHQL_VALIDATION_FAILED`, async () => {
      expectRefused(await gql(query), 400, 'GRAPHQL_VALIDATION_FAILED');
    });
  }
});

category('huge, unicode and NUL strings', (add) => {
  add('requestProofOfLife reason of 100 000 chars → BAD_USER_INPUT fields.reason', async () => {
    const r = await gql(REQUEST_POL, { i: { cpf: GOOD_CPF, reason: 'x'.repeat(100_000) } });
    expect(userCode(r)).toBe('BAD_USER_INPUT');
    expect(Object.keys(userFields(r) ?? {})).toEqual(['reason']);
    expect(r.json?.data).toEqual({ requestProofOfLife: { transaction: null, userErrors: [expect.objectContaining({ field: ['input', 'reason'] })] } });
    expect(r.text.length).toBeLessThan(2000); // the value is not echoed
  });
  add('requestProofOfLife reason of 501 emoji → BAD_USER_INPUT fields.reason', async () => {
    const r = await gql(REQUEST_POL, { i: { cpf: GOOD_CPF, reason: '😀'.repeat(501) } });
    expect(userCode(r)).toBe('BAD_USER_INPUT');
    expect(userFields(r)).toHaveProperty('reason');
  });
  add('requestProofOfLife empty reason and expiresInMinutes 0 → BAD_USER_INPUT naming both', async () => {
    const r = await gql(REQUEST_POL, { i: { cpf: GOOD_CPF, reason: '', expiresInMinutes: 0 } });
    expect(userCode(r)).toBe('BAD_USER_INPUT');
    expect(Object.keys(userFields(r) ?? {}).sort()).toEqual(['expiresInMinutes', 'reason']);
  });
  add('requestProofOfLife failureMessage of 501 RTL (Arabic) chars → BAD_USER_INPUT fields.failureMessage', async () => {
    const r = await gql(REQUEST_POL, { i: { cpf: GOOD_CPF, reason: 'ok', failureMessage: '\u202Eمرحبا'.repeat(101) } });
    expect(userCode(r)).toBe('BAD_USER_INPUT');
    expect(userFields(r)).toHaveProperty('failureMessage');
  });
  add('sendMessage title of 201 emoji → BAD_USER_INPUT fields.title', async () => {
    const r = await gql(SEND_MESSAGE, { i: { cpf: GOOD_CPF, title: '🚀'.repeat(201), content: 'c' } });
    expect(userCode(r)).toBe('BAD_USER_INPUT');
    expect(userFields(r)).toHaveProperty('title');
  });
  add('sendMessage content of 4001 chars → BAD_USER_INPUT fields.content', async () => {
    const r = await gql(SEND_MESSAGE, { i: { cpf: GOOD_CPF, title: 't', content: 'x'.repeat(4001) } });
    expect(userCode(r)).toBe('BAD_USER_INPUT');
    expect(userFields(r)).toHaveProperty('content');
  });
  add('enroll name of 201 chars → BAD_USER_INPUT fields.name', async () => {
    const r = await gql('mutation { enroll(stationId: "station-1", cpf: "12345678909", name: "' + 'n'.repeat(201) + '") { capture { id } userErrors { code field message } } }');
    expect(userCode(r)).toBe('BAD_USER_INPUT');
    expect(userFields(r)).toHaveProperty('name');
  });
  add('startRemoteVerify email with a NUL byte → BAD_USER_INPUT fields.email', async () => {
    const r = await gql('mutation($e: String) { startRemoteVerify(stationId: "station-1", cpf: "12345678909", email: $e) { capture { id } userErrors { code field message } } }', { e: 'a@b\u0000.com' });
    expect(userCode(r)).toBe('BAD_USER_INPUT');
    expect(userFields(r)).toHaveProperty('email');
  });
  add('startRemoteEnroll email "not-an-email" → BAD_USER_INPUT fields.email', async () => {
    const r = await gql('mutation { startRemoteEnroll(stationId: "station-1", cpf: "12345678909", email: "not-an-email") { capture { id } userErrors { code field message } } }');
    expect(userCode(r)).toBe('BAD_USER_INPUT');
    expect(userFields(r)).toHaveProperty('email');
  });
  // stationId filters are Station ids (global, or a configured code): anything else is refused before SQL.
  const STATION_FILTERS: [string, string][] = [
    ['emoji and RTL text', '🛰️\u202Eشاشة'],
    ['SQL injection text', "' OR 1=1; DROP TABLE captures; --"],
    ['a NUL byte', 'a\u0000b'],
  ];
  for (const [what, value] of STATION_FILTERS) {
    add(`captures(stationId) with ${what} → BAD_USER_INPUT fields.stationId`, async () => {
      const r = await gql('query($s: ID) { captures(stationId: $s) { edges { cursor } } }', { s: value });
      expectNoLeak();
      expect(code(r)).toBe('BAD_USER_INPUT');
      expect(Object.keys(firstErr(r)?.extensions?.['fields'] ?? {})).toEqual(['stationId']);
    });
  }
  add('captures(stationId) with a lone UTF-16 surrogate → BAD_USER_INPUT', async () => {
    const r = await post('{"query":"query($s: ID) { captures(stationId: $s) { edges { cursor } } }","variables":{"s":"\\ud800"}}', { token: await tok({ role: 'viewer' }) });
    expect(code(r)).toBe('BAD_USER_INPUT');
  });
  add('captures(stationId) of an unknown station code → 200 empty page', async () => {
    const r = await gql('query($s: ID) { captures(stationId: $s) { edges { cursor } } }', { s: 'station-404' });
    expect(r.status).toBe(200);
    expect(r.json?.data?.captures?.edges).toEqual([]);
  });
  add('station(id) of 90 000 chars → BAD_USER_INPUT fields.id', async () => {
    const r = await gql('query($s: ID!) { station(id: $s) { id } }', { s: 's'.repeat(90_000) });
    expect(code(r)).toBe('BAD_USER_INPUT');
    expect(r.json?.data).toEqual({ station: null });
  });
  add('startPresentialCapture stationId "station-1\\u0000" → BAD_USER_INPUT (no station call)', async () => {
    const r = await gql('mutation($s: ID!) { startPresentialCapture(stationId: $s, cpf: "12345678909") { capture { id } userErrors { code field message } } }', { s: 'station-1\u0000' });
    expect(userCode(r)).toBe('BAD_USER_INPUT');
    
  });


  // DEFECT: a NUL byte in `reason` passes input validation, is POSTed to Prova de Vida
  // (the citizen gets a request), then the store refuses the row: the client gets
  // INTERNAL_SERVER_ERROR and the upstream transaction is orphaned (never watched).
  add(
    'requestProofOfLife reason with a NUL byte → BAD_USER_INPUT fields.reason before any upstream call',
    async () => {
      const r = await gql(REQUEST_POL, { i: { cpf: GOOD_CPF, reason: 'Benef\u0000ício' } });
      expectNoLeak();
      await expectNoUpstream();
      expect(userCode(r)).toBe('BAD_USER_INPUT');
      expect(userFields(r)).toHaveProperty('reason');
    }
  );

  // DEFECT (same root cause): a NUL byte in a message title reaches the upstream push, then the store fails.
  add(
    'sendMessage title with a NUL byte → BAD_USER_INPUT fields.title before any upstream call',
    async () => {
      const r = await gql(SEND_MESSAGE, { i: { cpf: GOOD_CPF, title: 'Aviso\u0000', content: 'c' } });
      expectNoLeak();
      await expectNoUpstream();
      expect(userCode(r)).toBe('BAD_USER_INPUT');
      expect(userFields(r)).toHaveProperty('title');
    }
  );
});

category('query shape limits (HTTP)', (add) => {
  add('depth 13 > 10 → 400 GRAPHQL_VALIDATION_FAILED (depth)', async () => {
    const r = await gql(DEEP_QUERY);
    expectRefused(r, 400, 'GRAPHQL_VALIDATION_FAILED');
    expect(firstErr(r)?.message).toMatch(/depth/i);
  });
  add('20 aliases > 15 → 400 GRAPHQL_VALIDATION_FAILED (aliases)', async () => {
    const r = await gql(ALIAS_QUERY);
    expectRefused(r, 400, 'GRAPHQL_VALIDATION_FAILED');
    expect(firstErr(r)?.message).toMatch(/alias/i);
  });
  add('alias bomb of 16 deleteMessage mutations → 400, none executed', async () => {
    const r = await gql(`mutation { ${Array.from({ length: 16 }, (_, i) => `d${i}: deleteMessage(id: "${UUID0}") { message { id } userErrors { code field message } }`).join(' ')} }`);
    expectRefused(r, 400, 'GRAPHQL_VALIDATION_FAILED');
  });
  add('fragment bomb (each fragment spreads the next twice) → 400 GRAPHQL_VALIDATION_FAILED', async () => {
    expectRefused(await gql(FRAGMENT_BOMB), 400, 'GRAPHQL_VALIDATION_FAILED');
  });
  add('circular fragments A → B → A → 400 GRAPHQL_VALIDATION_FAILED', async () => {
    const r = await gql(CIRCULAR);
    expectRefused(r, 400, 'GRAPHQL_VALIDATION_FAILED');
    expect(firstErr(r)?.message).toMatch(/spread fragment/i);
  });
  add('25 directives > 20 → 400 GRAPHQL_VALIDATION_FAILED (directives)', async () => {
    const r = await gql(DIRECTIVES);
    expectRefused(r, 400, 'GRAPHQL_VALIDATION_FAILED');
    expect(firstErr(r)?.message).toMatch(/directive/i);
  });
  add('cost bomb (nested lists, first: 100) → 400 GRAPHQL_VALIDATION_FAILED (cost)', async () => {
    const r = await gql(COST_BOMB);
    expectRefused(r, 400, 'GRAPHQL_VALIDATION_FAILED');
    // Names what was measured and the limit, in words and in extensions (no "Syntax Error").
    const cost = (r.json.errors as { message: string; extensions: Record<string, unknown> }[]).find((e) => /^Query cost \d+ exceeds the limit 5000$/.test(e.message));
    expect(cost?.extensions).toEqual({ code: 'GRAPHQL_VALIDATION_FAILED', limit: 5000, found: expect.any(Number), cost: expect.any(Number) });
    expect(cost!.extensions['cost']).toBeGreaterThan(5000);
  });
  add('transactions(first: 100) with nested person lists → the cost error names the cost and the limit', async () => {
    const r = await gql('query { transactions(first: 100) { edges { node { person { transactions(first: 100) { nodes { id } } captures(first: 100) { nodes { id } } messages(first: 100) { nodes { id } } } } } } }');
    if (r.status === 200) return expect(r.json.errors).toBeUndefined(); // under the limit: nothing to name
    expect(r.json.errors[0].message).toMatch(/^Query cost \d+ exceeds the limit 5000$/);
  });
  // The token cap is the parser's own (Apollo parseOptions): a syntax-level 400, not armor's 500.
  add('token flood (2100 tokens > 2000) → 400 GRAPHQL_PARSE_FAILED', async () => {
    expectRefused(await gql(TOKEN_FLOOD), 400, 'GRAPHQL_PARSE_FAILED');
  });
  add('token flood never executes (no data) and names the limit', async () => {
    const r = await gql(TOKEN_FLOOD);
    expect(r.json?.data ?? null).toBeNull();
    expect(firstErr(r)?.message).toMatch(/more th(?:an|at) \d+ tokens/i); // graphql-js spells it "more that"
    expectRefused(r, 400, 'GRAPHQL_PARSE_FAILED');
  });
  add('two operations without operationName → 400 OPERATION_RESOLUTION_FAILURE, nothing executed', async () => {
    expectRefused(await gql(`query A { __typename } mutation B { deleteMessage(id: "${UUID0}") { message { id } userErrors { code field message } } }`), 400, 'OPERATION_RESOLUTION_FAILURE');
  });
  add('unknown operationName → 400 OPERATION_RESOLUTION_FAILURE', async () => {
    const r = await post({ query: 'query A { __typename }', operationName: 'B' }, { token: await tok() });
    expectRefused(r, 400, 'OPERATION_RESOLUTION_FAILURE');
  });
  add('subscription over HTTP POST → 400 BAD_REQUEST pointing to WebSocket', async () => {
    const r = await gql('subscription { transactionResponseChanged { seq } }', undefined, 'viewer');
    expectRefused(r, 400, 'BAD_REQUEST');
    expect(firstErr(r)?.message).toBe('Subscriptions are served over WebSocket (graphql-ws) on this same path');
  });
});

category('HTTP transport', (add) => {
  add('batched array body → 400 BAD_REQUEST', async () => {
    expectRefused(await post([{ query: '{ __typename }' }, { query: '{ __typename }' }], { token: await tok() }), 400, 'BAD_REQUEST');
  });
  add('body of 200 kB > 100 kB → 413 PAYLOAD_TOO_LARGE', async () => {
    expectRefused(await post({ query: '{ __typename }', variables: { pad: 'a'.repeat(200_000) } }, { token: await tok() }), 413, 'PAYLOAD_TOO_LARGE');
  });
  add('malformed JSON → 400 BAD_REQUEST', async () => {
    expectRefused(await post('{"query": "{ __typename }"', { token: await tok() }), 400, 'BAD_REQUEST');
  });
  add('JSON body that is a string → 400 BAD_REQUEST', async () => {
    expectRefused(await post('"{ __typename }"', { token: await tok() }), 400, 'BAD_REQUEST');
  });
  add('empty query → 400 BAD_REQUEST', async () => {
    expectRefused(await post({ query: '' }, { token: await tok() }), 400, 'BAD_REQUEST');
  });
  add('query that is a number → 400 BAD_REQUEST', async () => {
    expectRefused(await post('{"query": 5}', { token: await tok() }), 400, 'BAD_REQUEST');
  });
  add('variables that are an array → 400 BAD_REQUEST', async () => {
    expectRefused(await post('{"query": "{ __typename }", "variables": [1]}', { token: await tok() }), 400, 'BAD_REQUEST');
  });
  const broadcast = JSON.stringify({ query: 'mutation { sendMessage(input: { title: "csrf", content: "csrf" }) { message { id } userErrors { code field message } } }' });
  for (const ct of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
    add(`CSRF-style POST ${ct.split(';')[0]} (admin broadcast) → 400 BAD_REQUEST, not executed`, async () => {
      const r = await raw({ headers: { 'content-type': ct, authorization: `Bearer ${await tok({ role: 'admin' })}` }, body: broadcast });
      expectRefused(r, 400, 'BAD_REQUEST');
      expect(firstErr(r)?.message).toMatch(/Cross-Site Request Forgery/);
    });
  }
  add('POST without content-type → 400 BAD_REQUEST, not executed', async () => {
    expectRefused(await raw({ headers: { authorization: `Bearer ${await tok({ role: 'admin' })}` }, body: broadcast }), 400, 'BAD_REQUEST');
  });
  const mutationUrl = `/graphql?query=${encodeURIComponent('mutation { sendMessage(input: { title: "csrf", content: "csrf" }) { message { id } userErrors { code field message } } }')}`;
  add('GET with a mutation (preflight header present) → 405, not executed', async () => {
    const r = await raw({ method: 'GET', path: mutationUrl, headers: { 'apollo-require-preflight': 'true', authorization: `Bearer ${await tok({ role: 'admin' })}` } });
    expectRefused(r, 405, 'BAD_REQUEST');
  });
  add('GET with a mutation, simple request (no preflight header) → 400 CSRF, not executed', async () => {
    const r = await raw({ method: 'GET', path: mutationUrl, headers: { authorization: `Bearer ${await tok({ role: 'admin' })}` } });
    expectRefused(r, 400, 'BAD_REQUEST');
  });
  add('GET query without apollo-require-preflight → 400 CSRF', async () => {
    const r = await raw({ method: 'GET', path: `/graphql?query=${encodeURIComponent('{ transactions(first: 1) { edges { cursor } } }')}`, headers: { authorization: `Bearer ${await tok()}` } });
    expectRefused(r, 400, 'BAD_REQUEST');
    expect(firstErr(r)?.message).toMatch(/apollo-require-preflight/);
  });
  add('GET /reports/<not a uuid> with an operator token → 400 JSON, no file read', async () => {
    const r = await raw({ method: 'GET', path: '/reports/..%2F..%2Fetc%2Fpasswd', headers: { authorization: `Bearer ${await tok({ role: 'operator' })}` } });
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ error: 'captureId must be a UUID', code: 'BAD_USER_INPUT' });
  });
  add('GET /reports/<uuid> with a bad token → 401', async () => {
    const r = await raw({ method: 'GET', path: `/reports/${UUID0}`, headers: { authorization: 'Bearer garbage' } });
    expect(r.status).toBe(401);
    expect(r.json).toEqual({ error: 'Invalid token', code: 'UNAUTHENTICATED' });
  });
});

category('HTTP tokens', (add) => {
  const Q = '{ transactions(first: 1) { edges { cursor } } }';
  add('no Authorization header → UNAUTHENTICATED, no data', async () => {
    const r = await post({ query: Q });
    expect(code(r)).toBe('UNAUTHENTICATED');
    expect(r.json?.data ?? null).toBeNull();
  });
  for (const [what, make] of BAD_TOKENS) {
    add(`${what} → 401 UNAUTHENTICATED`, async () => {
      expectRefused(await post({ query: Q }, { token: await make() }), 401, 'UNAUTHENTICATED');
    });
  }
  add('expired 10 s ago (inside the 30 s clock-skew tolerance) → still accepted, consistently at verification and in the auth checker', async () => {
    const r = await post({ query: Q }, { token: await tok({ exp: now() - 10 }) });
    expect(r.json?.errors).toBeUndefined();
  });
  add('expired 60 s ago (past the tolerance) → 401 UNAUTHENTICATED, no data', async () => {
    const r = await post({ query: Q }, { token: await tok({ exp: now() - 60 }) });
    expectRefused(r, 401, 'UNAUTHENTICATED');
  });
  add('Basic scheme → 401 UNAUTHENTICATED', async () => {
    expectRefused(await post({ query: Q }, { headers: { authorization: 'Basic YWRtaW46YWRtaW4=' } }), 401, 'UNAUTHENTICATED');
  });
  add('"Bearer" with no token → 401 UNAUTHENTICATED', async () => {
    expectRefused(await post({ query: Q }, { headers: { authorization: 'Bearer ' } }), 401, 'UNAUTHENTICATED');
  });
  add('two tokens in one header → 401 UNAUTHENTICATED', async () => {
    const t = await tok();
    expectRefused(await post({ query: Q }, { headers: { authorization: `Bearer ${t} ${t}` } }), 401, 'UNAUTHENTICATED');
  });
  add('tampered viewer → admin token cannot cancel: 401 and no upstream call', async () => {
    const [h, , s] = (await tok({ role: 'viewer' })).split('.');
    const forged = `${h}.${b64({ sub: 'hostile-viewer', role: 'admin', iss: ISS, aud: ISS, exp: now() + 3600 })}.${s}`;
    expectRefused(await post({ query: `mutation { cancelProofOfLife(id: "${UUID0}") { transaction { id } userErrors { code field message } } }` }, { token: forged }), 401, 'UNAUTHENTICATED');
  });
});

category('WS tokens', (add) => {
  add('connection_init without payload → close 4401', async () => {
    expect(await (await init(undefined)).closeCode()).toBe(4401);
  });
  add('connection_init with {} → close 4401', async () => {
    expect(await (await init({})).closeCode()).toBe(4401);
  });
  add('Basic scheme in authorization → close 4401', async () => {
    expect(await (await init({ authorization: 'Basic YWRtaW46YWRtaW4=' })).closeCode()).toBe(4401);
  });
  for (const [what, make] of BAD_TOKENS) {
    add(`${what} → close 4403, no ack`, async () => {
      const s = await init({ authorization: `Bearer ${await make()}` });
      expect(await s.closeCode()).toBe(4403);
      expect(s.msgs.some((m) => m.type === 'connection_ack')).toBe(false);
    });
  }
  add('bad token in the `token` field → close 4403', async () => {
    expect(await (await init({ token: await tok({ exp: now() - 3600 }) })).closeCode()).toBe(4403);
  });
  add('expired 10 s ago (inside the verify tolerance) → closed 4403 at once', async () => {
    expect(await (await init({ authorization: `Bearer ${await tok({ exp: now() - 10 })}` })).closeCode(3000)).toBe(4403);
  });
  add('subscribe before connection_init → close 4401', async () => {
    const s = await Sock.open();
    s.send({ id: '1', type: 'subscribe', payload: { query: REPLAY_SUB } });
    expect(await s.closeCode()).toBe(4401);
  });
  add('non-JSON frame → close 4400', async () => {
    const s = await acked();
    s.send('{not json');
    expect(await s.closeCode()).toBe(4400);
  });
  add('second connection_init → close 4429 (too many initialisation requests)', async () => {
    const s = await acked();
    s.send({ type: 'connection_init', payload: { authorization: `Bearer ${await tok({ role: 'admin' })}` } });
    expect(await s.closeCode()).toBe(4429);
  });
  add('token that expires in ~2 s: acknowledged, then closed by the server with 4403', async () => {
    const exp = now() + 2;
    const s = await init({ authorization: `Bearer ${await tok({ sub: `ws-expiring-${++subN}`, exp })}` });
    expect((await s.waitFor((m) => m.type === 'connection_ack'))?.type).toBe('connection_ack');
    const r = await s.run('1', REPLAY_SUB);
    expect(r?.type).toBe('next');
    const c = await s.closed.then((x) => x.code);
    expect(c).toBe(4403);
    expect(Date.now()).toBeGreaterThanOrEqual(exp * 1000 - 50);
    expect(Date.now()).toBeLessThan(exp * 1000 + 8000);
  }, { timeout: 15_000 });
});

category('WS floods and limits', (add) => {
  add(`connection ${MAX_CONNS + 1} of one user → close 4029; the others stay open`, async () => {
    const sub = `ws-flood-${++subN}`;
    const open = [];
    for (let i = 0; i < MAX_CONNS; i++) open.push(await acked({ sub }));
    const extra = await init({ authorization: `Bearer ${await tok({ sub })}` });
    expect(await extra.closeCode()).toBe(4029);
    for (const s of open) expect(s.closeInfo).toBeNull();
    expect((await open[0]!.run('1', REPLAY_SUB))?.type).toBe('next');
  });
  add('closing a socket frees its connection slot', async () => {
    const sub = `ws-flood-${++subN}`;
    const open = [];
    for (let i = 0; i < MAX_CONNS; i++) open.push(await acked({ sub }));
    open[0]!.ws.close();
    await open[0]!.closed;
    await sleep(100);
    const again = await acked({ sub });
    expect(again.closeInfo).toBeNull();
  });
  add('other users are not affected by one user at the connection cap', async () => {
    const sub = `ws-flood-${++subN}`;
    for (let i = 0; i < MAX_CONNS; i++) await acked({ sub });
    const other = await acked();
    expect((await other.run('1', REPLAY_SUB))?.type).toBe('next');
  });
  add(`subscription ${MAX_SUBS + 1} → TOO_MANY_SUBSCRIPTIONS; after completing one, a new one is accepted`, async () => {
    const s = await acked();
    for (let i = 1; i <= MAX_SUBS; i++) expect((await s.run(String(i), REPLAY_SUB))?.type).toBe('next');
    const refused = await s.run('extra', REPLAY_SUB);
    expect(refused).toMatchObject({ type: 'error', codes: ['TOO_MANY_SUBSCRIPTIONS'] });
    s.send({ id: '1', type: 'complete' });
    await sleep(200);
    expect((await s.run('again', REPLAY_SUB))?.type).toBe('next');
    expect(s.closeInfo).toBeNull();
  });
  add('the subscription cap counts across all sockets of the user', async () => {
    const sub = `ws-subs-${++subN}`;
    const a = await acked({ sub });
    const b = await acked({ sub });
    for (let i = 1; i <= 3; i++) expect((await a.run(`a${i}`, REPLAY_SUB))?.type).toBe('next');
    for (let i = 1; i <= MAX_SUBS - 3; i++) expect((await b.run(`b${i}`, REPLAY_SUB))?.type).toBe('next');
    expect(await b.run('b-extra', REPLAY_SUB)).toMatchObject({ type: 'error', codes: ['TOO_MANY_SUBSCRIPTIONS'] });
    a.ws.close();
    await a.closed;
    await sleep(200);
    expect((await b.run('b-after-close', REPLAY_SUB))?.type).toBe('next');
  });
  add('refused and failed subscriptions do not use up the cap', async () => {
    const s = await acked();
    for (let i = 0; i < MAX_SUBS + 2; i++) {
      expect((await s.run(`bad${i}`, 'subscription($c: CPF) { transactionResponseChanged(cpf: $c) { seq } }', { c: BAD_CPF }))?.codes).toEqual(['BAD_USER_INPUT']);
    }
    for (let i = 0; i < MAX_SUBS + 2; i++) expect((await s.run(`deep${i}`, DEEP_SUB))?.codes?.[0]).toBe('GRAPHQL_VALIDATION_FAILED');
    expect((await s.run('good', REPLAY_SUB))?.type).toBe('next');
  });
  add('duplicate subscription id → close 4409', async () => {
    const s = await acked();
    expect((await s.run('dup', REPLAY_SUB))?.type).toBe('next');
    s.send({ id: 'dup', type: 'subscribe', payload: { query: REPLAY_SUB } });
    expect(await s.closeCode()).toBe(4409);
  });
  add('deep subscription (depth > 10) → GRAPHQL_VALIDATION_FAILED like on HTTP', async () => {
    const r = await (await acked()).run('1', DEEP_SUB);
    expect(r?.type).toBe('error');
    expect(new Set(r?.codes)).toEqual(new Set(['GRAPHQL_VALIDATION_FAILED']));
  });
  add('alias-bomb subscription (20 aliases) → GRAPHQL_VALIDATION_FAILED', async () => {
    const r = await (await acked()).run('1', ALIAS_SUB);
    expect(r).toMatchObject({ type: 'error' });
    expect(new Set(r?.codes)).toEqual(new Set(['GRAPHQL_VALIDATION_FAILED']));
  });
  add('token flood over WS → GRAPHQL_PARSE_FAILED', async () => {
    const r = await (await acked()).run('1', TOKEN_FLOOD);
    expect(r).toMatchObject({ type: 'error', codes: ['GRAPHQL_PARSE_FAILED'] });
  });
  add('circular fragments over WS → GRAPHQL_VALIDATION_FAILED', async () => {
    const r = await (await acked()).run('1', CIRCULAR);
    expect(r?.type).toBe('error');
    expect(new Set(r?.codes)).toEqual(new Set(['GRAPHQL_VALIDATION_FAILED']));
  });
  add('cost bomb over WS → GRAPHQL_VALIDATION_FAILED', async () => {
    const r = await (await acked()).run('1', COST_BOMB);
    expect(r?.type).toBe('error');
    expect(new Set(r?.codes)).toEqual(new Set(['GRAPHQL_VALIDATION_FAILED']));
    expect(r?.messages).toEqual(expect.arrayContaining([expect.stringMatching(/^Query cost \d+ exceeds the limit 5000$/)]));
  });
  add('fragment bomb over WS → GRAPHQL_VALIDATION_FAILED', async () => {
    const r = await (await acked()).run('1', FRAGMENT_BOMB);
    expect(r?.type).toBe('error');
    expect(new Set(r?.codes)).toEqual(new Set(['GRAPHQL_VALIDATION_FAILED']));
  });
  add('25 directives over WS → GRAPHQL_VALIDATION_FAILED', async () => {
    const r = await (await acked()).run('1', DIRECTIVES);
    expect(r?.type).toBe('error');
    expect(new Set(r?.codes)).toEqual(new Set(['GRAPHQL_VALIDATION_FAILED']));
  });
  add('a viewer cannot mutate over WS: FORBIDDEN, no upstream call', async () => {
    const r = await (await acked({ role: 'viewer' })).run('1', SEND_MESSAGE, { i: { cpf: GOOD_CPF, title: 't', content: 'c' } });
    expect(r?.codes).toEqual(['FORBIDDEN']);
  });
});

category('pagination', (add) => {
  for (const field of ['transactions', 'captures']) {
    for (const first of [0, 101, -1]) {
      add(`${field}(first: ${first}) → BAD_USER_INPUT fields.first`, async () => {
        const r = await gql(`query($n: Int!) { ${field}(first: $n) { edges { cursor } } }`, { n: first });
        expect(code(r)).toBe('BAD_USER_INPUT');
        expect(Object.keys(firstErr(r)?.extensions?.['fields'] ?? {})).toEqual(['first']);
        expect(r.json?.data ?? null).toBeNull();
      });
    }
  }
  add('transactions(first: 2^31) via variables → 400 BAD_USER_INPUT (not an Int)', async () => {
    expectRefused(await gql('query($n: Int!) { transactions(first: $n) { edges { cursor } } }', { n: 2 ** 31 }), 400, 'BAD_USER_INPUT');
  });
  const FORGED: [string, string][] = [
    ['garbage', 'garbage!!'],
    ['base64 of a non-UUID id', Buffer.from('2024-01-01T00:00:00.000Z|x').toString('base64url')],
    ['base64 of a bad date', Buffer.from(`not-a-date|${UUID0}`).toString('base64url')],
    ['base64 of SQL injection', Buffer.from("2024-01-01T00:00:00.000Z|' OR 1=1 --").toString('base64url')],
    ['50 000 chars', 'A'.repeat(50_000)],
  ];
  for (const [what, after] of FORGED) {
    add(`transactions(after: ${what}) → BAD_USER_INPUT fields.after`, async () => {
      const r = await gql('query($a: String) { transactions(after: $a) { edges { cursor } } }', { a: after });
      expect(code(r)).toBe('BAD_USER_INPUT');
      expect(Object.keys(firstErr(r)?.extensions?.['fields'] ?? {})).toEqual(['after']);
      expect(r.json?.data ?? null).toBeNull();
    });
  }
  add('auditLog(first: 0) → BAD_USER_INPUT fields.first', async () => {
    const r = await gql('{ auditLog(first: 0) { nodes { id } } }');
    expect(code(r)).toBe('BAD_USER_INPUT');
    expect(Object.keys(firstErr(r)?.extensions?.['fields'] ?? {})).toEqual(['first']);
  });
  add('auditLog(after: forged) → BAD_USER_INPUT fields.after', async () => {
    const r = await gql('{ auditLog(after: "1 OR 1=1") { nodes { id } } }');
    expect(code(r)).toBe('BAD_USER_INPUT');
    expect(Object.keys(firstErr(r)?.extensions?.['fields'] ?? {})).toEqual(['after']);
  });
  add('captures(after: forged) → BAD_USER_INPUT fields.after', async () => {
    const r = await gql('query($a: String) { captures(after: $a) { edges { cursor } } }', { a: Buffer.from('1970|../../').toString('base64url') });
    expect(code(r)).toBe('BAD_USER_INPUT');
    expect(Object.keys(firstErr(r)?.extensions?.['fields'] ?? {})).toEqual(['after']);
  });
  add('transactions(first: 1, last: 1) → BAD_USER_INPUT fields.first and fields.last', async () => {
    const r = await gql('{ transactions(first: 1, last: 1) { edges { cursor } } }');
    expect(code(r)).toBe('BAD_USER_INPUT');
    expect(Object.keys(firstErr(r)?.extensions?.['fields'] ?? {}).sort()).toEqual(['first', 'last']);
  });
});

category('ids and stations', (add) => {
  const UNKNOWN_STATION: [string, string, string?][] = [
    ['startPresentialCapture', 'mutation { startPresentialCapture(stationId: "nope", cpf: "12345678909") { capture { id } userErrors { code field message } } }'],
    ['enroll', 'mutation { enroll(stationId: "nope", cpf: "12345678909") { capture { id } userErrors { code field message } } }'],
    ['startRemoteVerify', 'mutation { startRemoteVerify(stationId: "nope", cpf: "12345678909") { capture { id } userErrors { code field message } } }'],
    // Not even a station id (a path): refused as such, before any lookup.
    ['startRemoteEnroll', 'mutation { startRemoteEnroll(stationId: "../station-1", cpf: "12345678909") { capture { id } userErrors { code field message } } }', 'BAD_USER_INPUT'],
    ['loginOperator', 'mutation { loginOperator(stationId: "nope", operatorCpf: "20000000370") { station { id } status userErrors { code field message } } }'],
    ['resendPendingCaptures', 'mutation { resendPendingCaptures(stationId: "STATION-1") { station { id } userErrors { code field message } } }'],
  ];
  for (const [op, query, want] of UNKNOWN_STATION) {
    add(`${op} at an unknown station → ${want ?? 'UNKNOWN_STATION'} (userError on stationId), no station call`, async () => {
      const r = await gql(query);
      expectUserError(r, want ?? 'UNKNOWN_STATION');
      expect(userErr(r)?.field).toEqual(['stationId']);
    });
  }
  add('station(id: unknown) → null', async () => {
    const r = await gql('{ station(id: "nope") { id online } }');
    expect(r.json).toEqual({ data: { station: null } });
  });
  // Query id arguments are ID (a global id, or during 1.x the raw key): a malformed one is refused by the resolver, before any SQL.
  const BAD_ID: [string, string, string][] = [
    ['transaction(id)', 'query($i: ID!) { transaction(id: $i) { id } }', 'not-a-uuid'],
    ['message(id)', 'query($i: ID!) { message(id: $i) { id } }', `${UUID0}x`],
    ['capture(id)', 'query($i: ID!) { capture(id: $i) { id } }', "1' OR '1'='1"],
    ['node(id)', 'query($i: ID!) { node(id: $i) { id } }', "1' OR '1'='1"],
    ['person(id)', 'query($i: ID!) { person(id: $i) { id } }', '../../etc/passwd'],
    ['station(id)', 'query($i: ID!) { station(id: $i) { id } }', '../station-1'],
  ];
  for (const [arg, query, value] of BAD_ID) {
    add(`${arg} malformed id via variables → BAD_USER_INPUT fields.id`, async () => {
      const r = await gql(query, { i: value });
      expect(code(r)).toBe('BAD_USER_INPUT');
      expect(Object.keys(firstErr(r)?.extensions?.['fields'] ?? {})).toEqual(['id']);
      expect(Object.values(r.json?.data ?? {})).toEqual([null]);
    });
  }
  const BAD_UUID: [string, string, string][] = [
    ['cancelProofOfLife(id)', 'mutation($i: ID!) { cancelProofOfLife(id: $i) { transaction { id } userErrors { code field message } } }', '../../etc/passwd'],
    ['deleteMessage(id)', 'mutation($i: ID!) { deleteMessage(id: $i) { message { id } userErrors { code field message } } }', '00000000-0000-4000-8000-00000000000\u0000'],
    ['startOperatorCapture(captureId)', 'mutation($i: ID!) { startOperatorCapture(captureId: $i) { capture { id } userErrors { code field message } } }', '{}'],
    ['sendCapture(captureId)', 'mutation($i: ID!) { sendCapture(captureId: $i) { capture { id } userErrors { code field message } } }', '12345'],
  ];
  for (const [arg, query, value] of BAD_UUID) {
    if (query.startsWith('query')) {
      add(`${arg} malformed UUID via variables → 400 BAD_USER_INPUT`, async () => {
        expectRefused(await gql(query, { i: value }), 400, 'BAD_USER_INPUT');
      });
    } else {
      // Mutation id arguments are IDs (global ids; raw UUIDs accepted): a malformed one is a userError on that argument.
      add(`${arg} malformed id via variables → userError BAD_USER_INPUT on the argument`, async () => {
        const r = await gql(query, { i: value });
        expectUserError(r, 'BAD_USER_INPUT');
        expect(userErr(r)?.field).toEqual([arg.replace(/^\w+\((\w+)\)$/, '$1')]);
      });
    }
  }
  add('message(id) malformed inline → BAD_USER_INPUT', async () => {
    expect(code(await gql(`{ message(id: "1' OR '1'='1") { id } }`))).toBe('BAD_USER_INPUT');
  });
  // DEFECT: over graphql-ws, a variable that fails coercion for a scalar without its own
  // `extensions.code` (UUID, Int, SafeInt…) is masked to INTERNAL_SERVER_ERROR: Apollo adds
  // BAD_USER_INPUT on HTTP, the WS path (server.ts onError/onNext → formatError) does not.
  add(
    'WS transactionResponseChanged(transactionId) malformed id → BAD_USER_INPUT',
    async () => {
      const r = await (await acked()).run('1', 'subscription($i: ID) { transactionResponseChanged(transactionId: $i) { seq } }', { i: 'nope' });
      expectNoLeak();
      await expectNoUpstream();
      expect(r?.codes).toEqual(['BAD_USER_INPUT']);
    }
  );
  add(
    'WS query transactions(first: "ten") (Int variable) → BAD_USER_INPUT',
    async () => {
      const r = await (await acked()).run('1', 'query($n: Int!) { transactions(first: $n) { edges { cursor } } }', { n: 'ten' });
      expectNoLeak();
      await expectNoUpstream();
      expect(r?.codes).toEqual(['BAD_USER_INPUT']);
    }
  );
  const UNKNOWN_ID: [string, string][] = [
    ['deleteMessage', `mutation { deleteMessage(id: "${UUID0}") { message { id } userErrors { code field message } } }`],
    ['cancelProofOfLife', `mutation { cancelProofOfLife(id: "${UUID0}") { transaction { id } userErrors { code field message } } }`],
    ['sendCapture', `mutation { sendCapture(captureId: "${UUID0}") { capture { id } userErrors { code field message } } }`],
    ['startOperatorCapture', `mutation { startOperatorCapture(captureId: "${UUID0.toUpperCase()}") { capture { id } userErrors { code field message } } }`],
  ];
  for (const [op, query] of UNKNOWN_ID) {
    add(`${op} with a well-formed unknown id → NOT_FOUND, no upstream call`, async () => {
      const r = await gql(query);
      expect(userCode(r)).toBe('NOT_FOUND');
      
    });
  }
  add('transaction(id) well-formed unknown (upper case) → null', async () => {
    expect((await gql(`{ transaction(id: "${UUID0.toUpperCase()}") { id } }`)).json).toEqual({ data: { transaction: null } });
  });
});
