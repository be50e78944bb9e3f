/**
 * kill -9 of a real gateway process while the Prova de Vida simulator holds
 * its creates in flight (a transaction and a message already exist upstream,
 * the answers have not come back), then a restart on the same DATA_DIR
 * (embedded PGlite):
 * - no orphan: the transaction the upstream holds has its row here;
 * - nothing done twice: the simulator saw one create, also after a retry
 *   with the same idempotency key;
 * - the state is visible: UNCONFIRMED in the API and in the audit log.
 * The simulator runs in this test's process, so it outlives the gateway.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { PersonDocument, RequestProofOfLifeDocument, SendMessageDocument, TransactionsDocument } from '../__generated__/graphql';
import { signToken, type Role } from '../../src/auth/jwt';
import { loadConfig } from '../../src/config';
import { PDV_MAGIC_CPFS as CPF } from '../../src/simulators/provaDeVida';
import { PdvSim, eventually, type GraphQLResponse } from '../helpers/gateway';
import { GatewayProcess } from '../helpers/process';
import { rawKey } from '../helpers/ids';

const jwt = loadConfig({ NODE_ENV: 'test' }).jwt;
const SUB = 'crash-operator';

async function post<R>(url: string, query: string, variables: unknown, role: Role = 'operator'): Promise<GraphQLResponse<R>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await signToken(jwt, { sub: role === 'operator' ? SUB : `crash-${role}`, role })}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as GraphQLResponse<R>;
}

function gql<R, V>(url: string, doc: TypedDocumentNode<R, V>, variables: V, role: Role = 'operator') {
  return post<R>(url, print(doc), variables, role);
}

/** The create's timeout: the intent is UNCONFIRMED once 4 × this + 2 s have passed without an answer. */
const PDV_TIMEOUT_MS = 5000;
const CREATE_ROUTE = 'POST /api/vbeta4/transacoes';
const MESSAGE_ROUTE = 'POST /api/vbeta1/mensagens';

let pdv: PdvSim;
let dataDir: string;
let env: Record<string, string>;
const procs: GatewayProcess[] = [];

beforeAll(async () => {
  pdv = await PdvSim.start({ answerAfterMs: 600_000 });
  dataDir = mkdtempSync(join(tmpdir(), 'gw-intent-crash-'));
  env = {
    DATA_DIR: dataDir,
    PDV_BASE_URL: pdv.url,
    PDV_TIMEOUT_MS: String(PDV_TIMEOUT_MS),
    SPID_STATIONS: JSON.stringify([{ id: 'unused', name: 'unused', baseUrl: 'http://127.0.0.1:9/gbs-spid-services/api' }]),
    POLL_INTERVAL_MS: '200',
    POLL_BACKOFF_FACTOR: '1',
    POLL_MAX_INTERVAL_MS: '500',
  };
}, 60_000);
afterAll(async () => {
  for (const p of procs) await p.kill();
  await pdv?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

test('kill -9 during a held create and a held message, restart: one row each (UNCONFIRMED in the API and the audit log), one create upstream, the keys kept', async () => {
  const first = await GatewayProcess.start(env);
  procs.push(first);
  const before = (await pdv.counters()).byRoute[CREATE_ROUTE] ?? 0;
  const messagesBefore = (await pdv.counters()).byRoute[MESSAGE_ROUTE] ?? 0;
  // The simulator creates the transaction at once (the citizen is notified) and holds the answer.
  await pdv.control('POST', '/faults', { route: CREATE_ROUTE, kind: 'latency', latencyMs: 120_000, processed: true, count: 1 });
  const input = { cpf: CPF.authorizes, reason: 'crash mid-create', idempotencyKey: 'crash-key-0001' };
  const inFlight = gql(first.url, RequestProofOfLifeDocument, { input }).catch(() => 'no answer' as const);
  await pdv.control('POST', '/faults', { route: MESSAGE_ROUTE, kind: 'latency', latencyMs: 120_000, processed: true, count: 1 });
  const message = { cpf: CPF.authorizes, title: 'Aviso', content: 'crash mid-send', idempotencyKey: 'crash-key-0002' };
  const messageInFlight = gql(first.url, SendMessageDocument, { input: message }).catch(() => 'no answer' as const);

  const upstreamHas = async () => (await pdv.control<{ id: string; motivo: string }[]>('GET', '/transactions')).filter((t) => t.motivo === input.reason);
  const [held] = await eventually(async () => ((await upstreamHas()).length === 1 ? upstreamHas() : null), 10_000);
  // The message route is counted as the request arrives; it is stored in the same tick.
  await eventually(async () => ((await pdv.counters()).byRoute[MESSAGE_ROUTE] ?? 0) > messagesBefore, 10_000);
  const killedAt = Date.now();
  await first.kill();
  expect(await inFlight).toBe('no answer');
  expect(await messageInFlight).toBe('no answer');

  const second = await GatewayProcess.start(env);
  procs.push(second);
  const bootMs = Date.now() - killedAt;

  // One row for the one upstream transaction: REQUESTING while the create could still be in flight, then UNCONFIRMED.
  const rows = async () => {
    const r = await gql(second.url, TransactionsDocument, { cpf: CPF.authorizes }, 'viewer');
    return r.data?.transactions.edges.map((e) => e.node) ?? [];
  };
  const [settled] = await eventually(async () => {
    const list = await rows();
    return list.length === 1 && list[0]!.status === 'UNCONFIRMED' ? list : null;
  }, 30_000, 200);
  const unconfirmedMs = Date.now() - killedAt;
  process.stdout.write(
    `[measure] kill -9 mid-create: restart ${bootMs} ms, UNCONFIRMED ${unconfirmedMs} ms after the kill (create deadline 4 × ${PDV_TIMEOUT_MS} + 2000 ms)\n`,
  );
  expect(await rows()).toHaveLength(1);
  expect(held).toBeDefined();

  // The audit log says so: the caller's attempt stays PENDING (the process died before its result), the reconciler's line settles it.
  const audit = await post<{ auditLog: { nodes: { actor: string | null; role: string | null; action: string; target: string | null; result: string }[] } }>(
    second.url,
    `query { auditLog(action: "requestProofOfLife", first: 20) { nodes { actor role action target result } } }`,
    {},
    'admin',
  );
  expect(audit.errors).toBeUndefined();
  expect(audit.data?.auditLog.nodes).toEqual([
    { actor: SUB, role: 'RECONCILER', action: 'requestProofOfLife', target: `Transaction:${rawKey(settled!.id)}`, result: 'UNCONFIRMED' },
    { actor: SUB, role: 'OPERATOR', action: 'requestProofOfLife', target: expect.stringMatching(/^cpf:pseud:[a-z2-7]{26}$/), result: 'PENDING' },
  ]);

  // The retry with the same key gets that transaction; nothing is POSTed again.
  const retry = await gql(second.url, RequestProofOfLifeDocument, { input });
  expect(retry.errors).toBeUndefined();
  expect(retry.data?.requestProofOfLife?.userErrors).toEqual([]);
  expect(retry.data?.requestProofOfLife?.transaction).toMatchObject({ id: settled!.id, status: 'UNCONFIRMED', upstreamId: null });
  expect(((await pdv.counters()).byRoute[CREATE_ROUTE] ?? 0) - before).toBe(1);
  expect(await upstreamHas()).toHaveLength(1);
  expect(await rows()).toHaveLength(1);

  // The message: one row, UNCONFIRMED (same deadline), audited, and its retry sends nothing.
  const messages = async () => (await gql(second.url, PersonDocument, { cpf: CPF.authorizes }, 'viewer')).data?.person?.messages.nodes ?? [];
  const [msg] = await eventually(async () => {
    const list = await messages();
    return list.length === 1 && list[0]!.status === 'UNCONFIRMED' ? list : null;
  }, 30_000, 200);
  const msgAudit = await post<{ auditLog: { nodes: { role: string | null; target: string | null; result: string }[] } }>(
    second.url,
    `query { auditLog(action: "sendMessage", first: 20) { nodes { role target result } } }`,
    {},
    'admin',
  );
  expect(msgAudit.data?.auditLog.nodes).toEqual([
    { role: 'RECONCILER', target: `Message:${rawKey(msg!.id)}`, result: 'UNCONFIRMED' },
    { role: 'OPERATOR', target: expect.stringMatching(/^cpf:pseud:[a-z2-7]{26}$/), result: 'PENDING' },
  ]);
  const msgRetry = await gql(second.url, SendMessageDocument, { input: message });
  expect(msgRetry.errors).toBeUndefined();
  expect(msgRetry.data?.sendMessage?.userErrors).toEqual([]);
  expect(msgRetry.data?.sendMessage?.message).toMatchObject({ id: msg!.id, status: 'UNCONFIRMED' });
  expect(((await pdv.counters()).byRoute[MESSAGE_ROUTE] ?? 0) - messagesBefore).toBe(1);
}, 120_000);
