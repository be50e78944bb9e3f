/** The SPID client without the simulator: tiny node:http servers answer exactly what each test needs. */
import http from 'node:http';
import pino from 'pino';
import type { AddressInfo } from 'node:net';
import {
  UpstreamAuthError,
  UpstreamConflictError,
  UpstreamError,
  UpstreamNotFoundError,
  UpstreamUnavailableError,
  UpstreamValidationError,
} from '../../src/upstreams/errors';
import { createSpidStationClient, type SpidStationApi, type SpidStationClientOptions } from '../../src/upstreams/spid';
import { mapErrorAnswer } from '../../src/upstreams/spid/client';
import { CAPTURE_RESULT_STATUSES, OPERATOR_LOGIN_STATUSES, REMOTE_RESULT_STATUSES } from '../../src/upstreams/spid/types';

const CPF = '52998224725';
const TOKEN = 'sekret-token-123';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}
type Answer = { status?: number; json?: unknown; raw?: string | Buffer; type?: string };

let server: http.Server;
let baseUrl: string;
let host: string;
let seen: Seen[] = [];
let answer: (req: Seen) => Answer = () => ({ json: {} });
const clients: SpidStationApi[] = [];

function client(extra: Partial<SpidStationClientOptions> = {}): SpidStationApi {
  const c = createSpidStationClient({ baseUrl, token: TOKEN, requestTimeoutMs: 1000, retry: { maxRetries: 2, initialDelayMs: 1, maxDelayMs: 5 }, ...extra });
  clients.push(c);
  return c;
}

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const s: Seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() };
      seen.push(s);
      const a = answer(s);
      const body = a.raw ?? JSON.stringify(a.json ?? {});
      res.writeHead(a.status ?? 200, { 'content-type': a.type ?? 'application/json' });
      res.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  host = `127.0.0.1:${port}`;
  baseUrl = `http://${host}/gbs-spid-services/api/`;
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});
beforeEach(() => {
  seen = [];
  answer = () => ({ json: {} });
});

/** Awaits a rejection and checks the message leaks nothing: no host, port, path, token, CPF or upstream body. */
async function rejection(p: Promise<unknown>, leaks: string[] = []): Promise<UpstreamError> {
  const err = await p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UpstreamError);
  const e = err as UpstreamError;
  const text = `${e.message} ${String(e.stack)} ${JSON.stringify(e)}`;
  for (const secret of [host, '127.0.0.1', 'gbs-spid-services', TOKEN, CPF, ...leaks]) expect(text).not.toContain(secret);
  expect(e.cause).toBeUndefined();
  return e;
}

describe('requests on the wire', () => {
  it('paths under the base URL, bearer token, JSON bodies, CPFs as 11 digits', async () => {
    const spid = client();
    answer = (r) => {
      if (r.url.includes('/remote/')) return { json: { tguid: 't-1', url: 'https://remote.example/r/t-1' } };
      return { json: { status: 'CLIENT_CAPTURING' } };
    };
    await spid.verify('529.982.247-25');
    await spid.enroll(CPF, ' Maria ');
    await spid.enroll(CPF);
    await spid.remoteVerify(CPF, 'maria@example.com');
    await spid.remoteEnroll(CPF);
    expect(seen.map((s) => `${s.method} ${s.url} ${s.body}`)).toEqual([
      `GET /gbs-spid-services/api/verify/${CPF} `,
      `POST /gbs-spid-services/api/enroll {"cpf":"${CPF}","name":"Maria"}`,
      `POST /gbs-spid-services/api/enroll {"cpf":"${CPF}"}`,
      `POST /gbs-spid-services/api/remote/verify {"cpf":"${CPF}","email":"maria@example.com"}`,
      `POST /gbs-spid-services/api/remote/enroll {"cpf":"${CPF}"}`,
    ]);
    for (const s of seen) expect(s.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(seen[1]!.headers['content-type']).toBe('application/json');
  });

  it('no Authorization header without a token; keep-alive reuses one connection', async () => {
    const spid = client({ token: undefined, connections: 1 });
    answer = () => ({ json: { status: 'IDLE' } });
    const ports = new Set<number>();
    const onConnection = (sock: import('node:net').Socket) => ports.add(sock.remotePort ?? 0);
    server.on('connection', onConnection);
    for (let i = 0; i < 3; i++) await spid.captureStatus();
    server.off('connection', onConnection);
    expect(seen.every((s) => s.headers.authorization === undefined)).toBe(true);
    expect(ports.size).toBeLessThanOrEqual(1);
  });
});

describe('wire parsing', () => {
  it('login and login status (operatorId → operatorCpf)', async () => {
    const spid = client();
    for (const status of OPERATOR_LOGIN_STATUSES) {
      answer = () => ({ json: { status } });
      expect(await spid.login(CPF)).toEqual({ status, statusCode: status });
    }
    answer = () => ({ json: { status: 'OPERATOR_OK', operatorId: CPF, extra: 1 } });
    expect(await spid.loginStatus()).toEqual({ status: 'OPERATOR_OK', statusCode: 'OPERATOR_OK', operatorCpf: CPF });
    answer = () => ({ json: { status: 'NOT_LOGGED_IN' } });
    expect(await spid.loginStatus()).toEqual({ status: 'NOT_LOGGED_IN', statusCode: 'NOT_LOGGED_IN', operatorCpf: null });
    answer = () => ({ json: { status: 'OPERATOR_SUSPENDED', operatorId: CPF } });
    expect(await spid.loginStatus()).toEqual({ status: 'UNKNOWN', statusCode: 'OPERATOR_SUSPENDED', operatorCpf: CPF });
  });

  it('capture status, send (status → outcome), results, resend, remote', async () => {
    const spid = client();
    answer = () => ({ json: { status: 'CLIENT_CAPTURE_DONE', cpf: CPF, kind: 'ENROLL' } });
    expect(await spid.captureStatus()).toEqual({ status: 'CLIENT_CAPTURE_DONE', statusCode: 'CLIENT_CAPTURE_DONE', cpf: CPF, kind: 'ENROLL' });
    answer = () => ({ json: { status: 'IDLE' } });
    expect(await spid.captureStatus()).toEqual({ status: 'IDLE', statusCode: 'IDLE', cpf: null, kind: null });
    answer = () => ({ json: { status: 'OPERATOR_CAPTURING' } });
    await expect(spid.operatorCapture()).resolves.toBeUndefined();
    answer = () => ({ json: { status: 'CAPTURE_ENQUEUED', tguid: 'abc-1' } });
    expect(await spid.send()).toEqual({ outcome: 'CAPTURE_ENQUEUED', outcomeCode: 'CAPTURE_ENQUEUED', tguid: 'abc-1' });
    for (const status of CAPTURE_RESULT_STATUSES) {
      answer = () => ({ json: { tguid: 'abc-1', status } });
      expect(await spid.result('abc-1')).toEqual({ tguid: 'abc-1', status, statusCode: status });
    }
    for (const status of REMOTE_RESULT_STATUSES) {
      answer = () => ({ json: { tguid: 'abc-1', status } });
      expect(await spid.remoteResult('abc-1')).toEqual({ tguid: 'abc-1', status, statusCode: status });
    }
    answer = () => ({ json: { resent: ['a'], failed: ['b', 'c'] } });
    expect(await spid.resendAll()).toEqual({ resent: ['a'], failed: ['b', 'c'] });
    answer = () => ({ raw: Buffer.from('%PDF-1.4\n...%%EOF\n'), type: 'application/pdf' });
    const report = await spid.report('abc-1');
    expect(report.contentType).toBe('application/pdf');
    expect(report.bytes.toString()).toBe('%PDF-1.4\n...%%EOF\n');
  });

  it('unknown status words are readable answers: UNKNOWN + raw text, not retried, reported once in the log (masked)', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (l: string) => void lines.push(l) });
    const spid = client({ logger });
    answer = () => ({ json: { status: 'SOMETHING_NEW', tguid: 'x' } });
    expect(await spid.send()).toEqual({ outcome: 'UNKNOWN', outcomeCode: 'SOMETHING_NEW', tguid: 'x' });
    answer = () => ({ json: { status: `WEIRD_${CPF}` } });
    expect(await spid.captureStatus()).toEqual({ status: 'UNKNOWN', statusCode: `WEIRD_${CPF}`, cpf: null, kind: null });
    expect(await spid.captureStatus()).toMatchObject({ status: 'UNKNOWN' });
    answer = () => ({ json: { tguid: 'x', status: 'QUEUED' } });
    expect(await spid.result('x')).toEqual({ tguid: 'x', status: 'UNKNOWN', statusCode: 'QUEUED' });
    answer = () => ({ json: { status: 'STARTED' } });
    expect(await spid.verify(CPF)).toBe('CLIENT_CAPTURING'); // a 2xx Verify that is not PERSON_NOT_FOUND started the capture
    expect(seen).toHaveLength(5);
    const reported = lines.map((l) => JSON.parse(l) as { event?: string; field?: string; value?: string }).filter((l) => l.event === 'unknown_upstream_value');
    expect(reported.map((r) => r.field)).toEqual(['send.status', 'captureStatus.status', 'result.status', 'verify.status']);
    expect(lines.join('')).not.toContain(CPF);
  });

  it.each([
    ['a missing tguid', () => ({ json: { status: 'VERIFIED' } })],
    ['a missing status', () => ({ json: { tguid: 'x' } })],
    ['not JSON', () => ({ raw: '<html>oops</html>' })],
    ['truncated JSON', () => ({ raw: '{"status":"VERI' })],
    ['an empty body', () => ({ raw: '' })],
  ])('send with %s → UpstreamUnavailableError, not retried', async (_, a) => {
    answer = a as () => Answer;
    expect(await rejection(client().send())).toBeInstanceOf(UpstreamUnavailableError);
    expect(seen).toHaveLength(1);
  });

  it('malformed GET answers are retried, then UpstreamUnavailableError', async () => {
    answer = () => ({ json: { cpf: CPF } });
    expect(await rejection(client().captureStatus())).toBeInstanceOf(UpstreamUnavailableError);
    expect(seen).toHaveLength(3);
  });

  it('a report in another format is kept with its content type; a broken PDF or an empty report is not', async () => {
    answer = () => ({ raw: Buffer.from([0x89, 0x50, 0x4e, 0x47]), type: 'image/png' });
    expect(await client().report('t1')).toEqual({ bytes: Buffer.from([0x89, 0x50, 0x4e, 0x47]), contentType: 'image/png' });
    answer = () => ({ raw: 'plain', type: 'text/html; charset=utf-8' });
    expect((await client().report('t1')).contentType).toBe('text/html');
    answer = () => ({ raw: 'x', type: 'not a type' });
    expect((await client().report('t1')).contentType).toBe('application/octet-stream');
    seen = [];
    answer = () => ({ raw: '{"status":"CLIENT_CAPT', type: 'application/pdf' });
    expect(await rejection(client({ retry: { maxRetries: 0 } }).report('t1'))).toBeInstanceOf(UpstreamUnavailableError);
    answer = () => ({ raw: '', type: 'image/png' });
    expect(await rejection(client({ retry: { maxRetries: 0 } }).report('t1'))).toBeInstanceOf(UpstreamUnavailableError);
    expect(seen).toHaveLength(2);
  });

  it('a remote link that is not http(s) → UpstreamUnavailableError', async () => {
    answer = () => ({ json: { tguid: 't', url: 'javascript:alert(1)' } });
    expect(await rejection(client().remoteVerify(CPF))).toBeInstanceOf(UpstreamUnavailableError);
  });
});

describe('error mapping', () => {
  const err = (status: number, code?: string, type?: string): Answer => ({
    status,
    json: { errors: code ? [{ code, message: `bad ${CPF} at ${host} with ${TOKEN}` }] : [], type },
  });

  it.each<[string, Answer, (e: UpstreamError) => void]>([
    ['400 INVALID_CPF', err(400, 'INVALID_CPF', 'VALIDATION_ERROR'), (e) => expect((e as UpstreamValidationError).fields).toEqual({ cpf: expect.any(String) })],
    ['400 INVALID_EMAIL', err(400, 'INVALID_EMAIL', 'VALIDATION_ERROR'), (e) => expect((e as UpstreamValidationError).fields).toEqual({ email: expect.any(String) })],
    ['400 without a body', { status: 400, raw: '' }, (e) => expect(e).toBeInstanceOf(UpstreamValidationError)],
    ['409 STATION_BUSY', err(409, 'STATION_BUSY', 'PROCESSING_ERROR'), (e) => expect((e as UpstreamConflictError).reason).toBe('STATION_BUSY')],
    ['409 WRONG_STATE', err(409, 'WRONG_STATE', 'PROCESSING_ERROR'), (e) => expect((e as UpstreamConflictError).reason).toBe('WRONG_STATE')],
    ['422 unnamed', err(422, 'SOMETHING', 'PROCESSING_ERROR'), (e) => expect((e as UpstreamConflictError).reason).toBe('WRONG_STATE')],
    ['409 not JSON', { status: 409, raw: 'Conflict' }, (e) => expect((e as UpstreamConflictError).reason).toBe('WRONG_STATE')],
    ['401 NO_OPERATOR', err(401, 'NO_OPERATOR', 'SECURITY_ERROR'), (e) => expect((e as UpstreamConflictError).reason).toBe('NO_OPERATOR')],
    ['403 NO_OPERATOR', err(403, 'NO_OPERATOR', 'SECURITY_ERROR'), (e) => expect((e as UpstreamConflictError).reason).toBe('NO_OPERATOR')],
    ['401 bad token', err(401, 'INVALID_TOKEN', 'SECURITY_ERROR'), (e) => expect(e).toBeInstanceOf(UpstreamAuthError)],
    ['403 without a body', { status: 403, raw: '' }, (e) => expect(e).toBeInstanceOf(UpstreamAuthError)],
    ['404', err(404, 'TGUID_NOT_FOUND'), (e) => expect(e).toBeInstanceOf(UpstreamNotFoundError)],
    ['500', err(500, 'BOOM', 'INTERNAL_ERROR'), (e) => expect(e).toBeInstanceOf(UpstreamUnavailableError)],
    ['503 HTML', { status: 503, raw: '<h1>Service Unavailable</h1>', type: 'text/html' }, (e) => expect(e).toBeInstanceOf(UpstreamUnavailableError)],
    ['418', err(418), (e) => expect(e).toBeInstanceOf(UpstreamUnavailableError)],
  ])('%s', async (_, a, check) => {
    answer = () => a;
    const e = await rejection(client().enroll(CPF), ['bad ']);
    expect(e.upstream).toBe('spid');
    check(e);
    expect(seen).toHaveLength(1);
  });

  it('a 400 on login blames operatorCpf; a 400 on a tguid read blames tguid', () => {
    expect((mapErrorAnswer(400, Buffer.from('{"errors":[{"code":"INVALID_CPF"}],"type":"VALIDATION_ERROR"}'), 'operatorCpf') as UpstreamValidationError).fields).toEqual({
      operatorCpf: expect.any(String),
    });
    expect((mapErrorAnswer(400, Buffer.from(''), 'tguid') as UpstreamValidationError).fields).toEqual({ tguid: expect.any(String) });
  });

  it('4xx on a GET is not retried; 5xx is', async () => {
    answer = () => err(404, 'TGUID_NOT_FOUND');
    await rejection(client().result('t1'));
    expect(seen).toHaveLength(1);
    seen = [];
    let n = 0;
    answer = () => (n++ < 2 ? err(502) : { json: { tguid: 't1', status: 'SEARCH_MATCH' } });
    expect(await client().result('t1')).toEqual({ tguid: 't1', status: 'SEARCH_MATCH', statusCode: 'SEARCH_MATCH' });
    expect(seen).toHaveLength(3);
  });

  it('connection refused and timeouts → UpstreamUnavailableError without the address', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const refused = createSpidStationClient({ baseUrl: `http://127.0.0.1:${port}/gbs-spid-services/api`, retry: { maxRetries: 1, initialDelayMs: 1 } });
    clients.push(refused);
    const e = await rejection(refused.loginStatus(), [String(port), 'ECONNREFUSED']);
    expect(e).toBeInstanceOf(UpstreamUnavailableError);

    answer = () => ({ json: { status: 'IDLE' } });
    const hang = http.createServer(() => {
      /* never answers */
    });
    await new Promise<void>((r) => hang.listen(0, '127.0.0.1', r));
    const slow = createSpidStationClient({ baseUrl: `http://127.0.0.1:${(hang.address() as AddressInfo).port}/api`, requestTimeoutMs: 60, retry: { maxRetries: 0 } });
    const t = await rejection(slow.captureStatus());
    expect(t).toBeInstanceOf(UpstreamUnavailableError);
    expect(t.message).toMatch(/in time/);
    hang.closeAllConnections();
    await slow.close();
    await new Promise((r) => hang.close(r));
  });
});

describe('local validation (no request is made)', () => {
  it.each<[string, (c: SpidStationApi) => Promise<unknown>, string]>([
    ['login with a bad CPF', (c) => c.login('123'), 'operatorCpf'],
    ['verify with bad check digits', (c) => c.verify('52998224724'), 'cpf'],
    ['verify with partial punctuation', (c) => c.verify('529.98224725'), 'cpf'],
    ['enroll with a repeated-digit CPF', (c) => c.enroll('11111111111'), 'cpf'],
    ['enroll with an empty name', (c) => c.enroll(CPF, ''), 'name'],
    ['remote with a bad e-mail', (c) => c.remoteEnroll(CPF, 'x@'), 'email'],
    ['result with a path in the tguid', (c) => c.result('../../login/status'), 'tguid'],
    ['report with an empty tguid', (c) => c.report(''), 'tguid'],
    ['remote result with a space', (c) => c.remoteResult('a b'), 'tguid'],
  ])('%s', async (_, call, field) => {
    const e = await rejection(call(client()));
    expect(e).toBeInstanceOf(UpstreamValidationError);
    expect(Object.keys((e as UpstreamValidationError).fields)).toEqual([field]);
    expect(seen).toHaveLength(0);
  });
});

describe('logging', () => {
  it('logs route templates and statuses, never CPFs, tokens, hosts or bodies', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
    const spid = client({ logger, stationId: 'station-9', retry: { maxRetries: 1, initialDelayMs: 1 } });
    answer = () => ({ json: { status: 'CLIENT_CAPTURING' } });
    await spid.verify(CPF);
    answer = () => ({ status: 503, raw: `down: ${CPF} ${TOKEN}` });
    await rejection(spid.result('t-1'));
    const all = lines.join('');
    expect(all).toContain('GET /verify/{cpf}');
    expect(all).toContain('station-9');
    for (const secret of [CPF, TOKEN, host, 'down:']) expect(all).not.toContain(secret);
  });
});
