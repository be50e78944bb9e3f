/**
 * The read cache across instances: two gateway processes sharing PostgreSQL
 * and Redis. Instance B has the transaction cached; a change committed through
 * A reaches B's reads with B's next read of the event log (the Redis wake-up,
 * or at the latest the safety tail). Needs real PostgreSQL and Redis: skipped
 * locally when absent, failing under CI=true.
 */
import { unwrap, type Unwrapped } from '../helpers/payload';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { CancelProofOfLifeDocument, PersonDocument, RequestProofOfLifeDocument, TransactionDocument } from '../__generated__/graphql';
import { signToken, type Role } from '../../src/auth/jwt';
import { loadConfig } from '../../src/config';
import { PDV_MAGIC_CPFS as CPF } from '../../src/simulators/provaDeVida';
import { PdvSim, sleep, type GraphQLResponse } from '../helpers/gateway';
import { GatewayProcess } from '../helpers/process';
import { createTestDatabase, deleteRedisKeys, requirePostgresSync, requireRedisSync, uniquePrefix } from '../helpers/services';
import { rawKey } from '../helpers/ids';

const REDIS = requireRedisSync();
const PG = requirePostgresSync();
const d = REDIS && PG ? describe : describe.skip;

const jwt = loadConfig({ NODE_ENV: 'test' }).jwt;
/** How often each instance reads the log without a wake-up: the bound on "one tail". */
const SAFETY_TAIL_MS = 500;

async function gql<R, V>(url: string, doc: TypedDocumentNode<R, V>, variables: V, role: Role = 'operator'): Promise<Unwrapped<R>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await signToken(jwt, { sub: `cache-${role}`, role })}` },
    body: JSON.stringify({ query: print(doc), variables }),
  });
  const body = (await res.json()) as GraphQLResponse<R>;
  if (body.errors?.length || !body.data) throw new Error(JSON.stringify(body.errors));
  return unwrap(body.data);
}

d('row cache on two instances sharing PostgreSQL and Redis', () => {
  let db: { url: string; drop(): Promise<void> };
  let pdv: PdvSim;
  let a: GatewayProcess;
  let b: GatewayProcess;
  const prefix = uniquePrefix();

  beforeAll(async () => {
    db = await createTestDatabase(PG!);
    pdv = await PdvSim.start({ answerAfterMs: 600_000 });
    const env = {
      DATABASE_URL: db.url,
      REDIS_URL: REDIS!,
      REDIS_PREFIX: prefix,
      PDV_BASE_URL: pdv.url,
      PDV_API_VERSION: 'vbeta4',
      SPID_STATIONS: JSON.stringify([{ id: 'unused', name: 'unused', baseUrl: 'http://127.0.0.1:9/gbs-spid-services/api' }]),
      EVENT_SAFETY_TAIL_MS: String(SAFETY_TAIL_MS),
      RATE_LIMIT_USER_PER_MINUTE: '10000',
      RATE_LIMIT_IP_PER_MINUTE: '10000',
    };
    [a, b] = await Promise.all([GatewayProcess.start(env), GatewayProcess.start(env)]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await pdv?.close();
    await db?.drop();
    if (REDIS) await deleteRedisKeys(REDIS, prefix);
  }, 60_000);

  test('a change committed on A is what B serves within one tail; B’s own mutation shows on B at once', async () => {
    const t = (await gql(a.url, RequestProofOfLifeDocument, { input: { cpf: CPF.authorizes, reason: 'cluster' } })).requestProofOfLife;
    // B reads it (twice: the second read is served from B's cache).
    for (let i = 0; i < 2; i++) {
      expect((await gql(b.url, TransactionDocument, { id: t.id }, 'viewer')).transaction?.status).toBe('PENDING');
      expect((await gql(b.url, PersonDocument, { cpf: CPF.authorizes }, 'viewer')).person?.transactions.nodes.map((x) => x.status)).toEqual(['PENDING']);
    }

    await gql(a.url, CancelProofOfLifeDocument, { id: rawKey(t.id) }, 'admin');
    const t0 = Date.now();
    expect((await gql(a.url, TransactionDocument, { id: t.id }, 'viewer')).transaction?.status).toBe('CANCELLED');
    let seen = '';
    // One tail is the wake-up, or at the latest the safety tail; the bound below adds the box's slack.
    while (Date.now() - t0 < SAFETY_TAIL_MS + 2500) {
      seen = (await gql(b.url, TransactionDocument, { id: t.id }, 'viewer')).transaction?.status ?? '';
      if (seen === 'CANCELLED') break;
      await sleep(25);
    }
    expect(seen).toBe('CANCELLED');
    process.stdout.write(`[measure] cancel on A → visible on B: ${Date.now() - t0} ms\n`);
    expect((await gql(b.url, PersonDocument, { cpf: CPF.authorizes }, 'viewer')).person?.transactions.nodes.map((x) => x.status)).toEqual(['CANCELLED']);

    const t2 = (await gql(b.url, RequestProofOfLifeDocument, { input: { cpf: CPF.authorizes, reason: 'cluster' } })).requestProofOfLife;
    expect((await gql(b.url, PersonDocument, { cpf: CPF.authorizes }, 'viewer')).person?.transactions.nodes.map((x) => x.id)).toEqual([t2.id, t.id]);
  }, 60_000);
});
