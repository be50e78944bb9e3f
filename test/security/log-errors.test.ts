/**
 * CPFs must not reach the logs through errors: a real PostgreSQL error whose
 * Drizzle message carries the query parameters ("Failed query: … params: …"),
 * and a failing upstream call whose body echoes the CPF. Logs captured at
 * trace level and scanned for the CPF, formatted and digits-only.
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { print } from 'graphql';
import { sql } from 'drizzle-orm';
import { RequestProofOfLifeDocument } from '../__generated__/graphql';
import { formatCpf } from '../../src/domain/cpf';
import { serializeError } from '../../src/logger';
import { PDV_MAGIC_CPFS as CPF } from '../../src/simulators/provaDeVida';
import { PdvSim, TestGateway } from '../helpers/gateway';

// Valid CPFs the simulator treats like any citizen; each used by one case only.
const DB_CPF = '52998224725';
const UPSTREAM_CPF = '11144477735';

const lines: string[] = [];
let pdv: PdvSim;
let proxy: Server;
let gw: TestGateway;
/** How the faulty upstream answers the next transaction creation: null = pass through to the simulator. */
let fault: { status: number; body: string } | null = null;

beforeAll(async () => {
  pdv = await PdvSim.start({ answerAfterMs: 600_000 });
  const target = new URL(pdv.url);
  // The real simulator behind a loopback proxy that can answer a transaction creation with a body echoing the CPF.
  proxy = createServer((req, res) => {
    if (fault && req.method === 'POST' && /\/transacoes$/.test(req.url ?? '')) {
      req.resume();
      res.writeHead(fault.status, { 'content-type': 'application/json' }).end(fault.body);
      return;
    }
    const up = httpRequest({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    req.pipe(up);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}${target.pathname === '/' ? '' : target.pathname}`;
  gw = await TestGateway.start({ pdvUrl: base, env: { LOG_LEVEL: 'trace' }, logSink: (l) => lines.push(l) });
});
afterAll(async () => {
  await gw?.close();
  await new Promise((r) => proxy?.close(r));
  await pdv?.close();
});

async function requestPol(cpf: string) {
  const res = await fetch(gw.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await gw.token('operator')}` },
    body: JSON.stringify({ query: print(RequestProofOfLifeDocument), variables: { input: { cpf, reason: 'log scan' } } }),
  });
  const text = await res.text();
  return { text, body: JSON.parse(text) as { errors?: { extensions?: Record<string, unknown> }[] } };
}

function expectNoCpf(log: string, cpf: string): void {
  expect(log).not.toContain(cpf);
  expect(log).not.toContain(formatCpf(cpf));
}

test('a database error with a CPF parameter is logged without it', async () => {
  // A real constraint violation on the real write path: the transaction row for this CPF cannot be stored.
  await gw.gw.store.db.execute(sql.raw(`alter table transactions add constraint test_refuse_cpf check (cpf <> '${DB_CPF}')`));
  const from = lines.length;
  const r = await requestPol(DB_CPF);
  expect(r.body.errors?.[0]?.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR', correlationId: expect.any(String) });
  expectNoCpf(r.text, DB_CPF);
  const log = lines.slice(from).join('');
  // The error was logged, with its correlation id, the SQL and PostgreSQL's own message — but not the parameters.
  const correlationId = r.body.errors?.[0]?.extensions?.['correlationId'] as string;
  const line = lines.slice(from).find((l) => l.includes(correlationId));
  expect(line).toBeDefined();
  // The failed statement is the intent's one write (event, person and row; src/store/versioned.ts).
  expect(line).toContain('Failed query: ');
  expect(line).toContain('insert into \\"transactions\\"');
  expect(line).toContain('params: [redacted]');
  expect(line).toContain('test_refuse_cpf');
  expectNoCpf(log, DB_CPF);
});

test('an upstream error body echoing the CPF is not logged', async () => {
  const from = lines.length;
  const echo = JSON.stringify({ mensagem: `CPF ${formatCpf(UPSTREAM_CPF)} inválido`, cpf: UPSTREAM_CPF, detalhe: `falha ao processar ${UPSTREAM_CPF}` });
  try {
    fault = { status: 500, body: echo };
    const a = await requestPol(UPSTREAM_CPF);
    // A 5xx on a create may have acted upstream: the transaction is returned UNCONFIRMED (intent row), not an error.
    expect(a.body.errors).toBeUndefined();
    expect(a.text).toContain('"UNCONFIRMED"');
    fault = { status: 422, body: echo };
    const b = await requestPol(UPSTREAM_CPF);
    // An upstream validation refusal is a business outcome: a userError in the payload, not a top-level error.
    expect(b.body.errors).toBeUndefined();
    expect(b.text).toContain('"code":"BAD_USER_INPUT"');
    // The errors the client gets (the UNCONFIRMED transaction itself rightly carries the caller's CPF).
    expectNoCpf(JSON.stringify(a.body.errors ?? []) + b.text, UPSTREAM_CPF);
  } finally {
    fault = null;
  }
  const log = lines.slice(from).join('');
  expect(log).toContain('"msg":"graphql operation"'); // the log was written
  expectNoCpf(log, UPSTREAM_CPF);
  expect(log).not.toContain('inválido');
});

test('the serializer masks a CPF and cuts parameters wherever they appear in an error', async () => {
  const err = new Error(`Failed query: select 1 where cpf = $1\nparams: ${CPF.authorizes}`, { cause: Object.assign(new Error(`invalid input "${formatCpf(CPF.authorizes)}"`), { detail: `Key (cpf)=(${CPF.authorizes})`, code: '22P02' }) });
  const out = JSON.stringify(serializeError(err));
  expectNoCpf(out, CPF.authorizes);
  expect(out).toContain('params: [redacted]');
  expect(out).toContain('"code":"22P02"');
  expect(out).not.toContain('Key (cpf)');
});
