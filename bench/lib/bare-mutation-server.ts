/**
 * The reference for the mutations bench: graphql-http on node:http with the
 * gateway's `requestProofOfLife` shape, doing the least a correct create can
 * do — record the intent (row + event, one statement), POST the create to
 * the Prova de Vida simulator (undici pool, one token fetched at start),
 * record the answer (row + event, one statement). No auth, no audit, no
 * idempotency, no event-log lock, no scheduler, no limits, no logs.
 *
 * Store: PostgreSQL at `DATABASE_URL` (a pool of 10, the gateway's default)
 * or, without it, PGlite with its defaults on a throwaway data dir. Prints
 * `bare ready <port>`.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSchema } from 'graphql';
import { Pool as PgPool } from 'pg';
import { Pool } from 'undici';
import { serveBare } from './bare-listen';

interface Db {
  query(text: string, params?: unknown[]): Promise<unknown>;
}

const DDL = [
  `create table if not exists bare_tx (id uuid primary key, cpf text not null, status text not null, upstream_id text, payload jsonb not null, updated_at timestamptz not null)`,
  `create table if not exists bare_events (seq bigserial primary key, entity_id uuid not null, type text not null, payload jsonb not null, created_at timestamptz not null default now())`,
];

/** Without PostgreSQL: PGlite on a throwaway data dir (on disk, like the gateway's), removed at exit. */
async function openDb(): Promise<Db> {
  const url = process.env['DATABASE_URL'];
  let db: Db;
  if (url) db = new PgPool({ connectionString: url, max: 10 });
  else {
    const dir = mkdtempSync(join(tmpdir(), 'idgw-bare-'));
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
    db = await (await import('@electric-sql/pglite')).PGlite.create(dir);
  }
  for (const s of DDL) await db.query(s);
  return db;
}

const schema = buildSchema(`
  scalar CPF
  enum TransactionStatus { REQUESTING PENDING }
  type Transaction { id: ID! status: TransactionStatus! }
  type UserError { code: String! }
  type RequestProofOfLifePayload { transaction: Transaction userErrors: [UserError!]! }
  input RequestProofOfLifeInput { cpf: CPF! reason: String! }
  type Query { ok: Boolean }
  type Mutation { requestProofOfLife(input: RequestProofOfLifeInput!): RequestProofOfLifePayload! }
`);

async function main(): Promise<void> {
  const db = await openDb();
  const base = new URL(process.env['PDV_BASE_URL']!);
  const prefix = base.pathname.replace(/\/+$/, '');
  const upstream = new Pool(base.origin, { connections: 10 });
  const basic = Buffer.from(`${process.env['PDV_CLIENT_ID'] ?? 'gateway-dev'}:${process.env['PDV_CLIENT_SECRET'] ?? 'gateway-dev-secret'}`).toString('base64');
  const tok = await upstream.request({ method: 'POST', path: `${prefix}/auth/oauth/token?grant_type=client_credentials`, headers: { authorization: `Basic ${basic}` } });
  const token = ((await tok.body.json()) as { access_token: string }).access_token;

  const record = (status: string) =>
    `with t as (insert into bare_tx (id, cpf, status, upstream_id, payload, updated_at) values ($1, $2, '${status}', $3, $4, now())
       on conflict (id) do update set status = excluded.status, upstream_id = excluded.upstream_id, payload = excluded.payload, updated_at = excluded.updated_at
       returning id, payload)
     insert into bare_events (entity_id, type, payload) select id, '${status}', payload from t`;
  const INTENT = record('REQUESTING');
  const ANSWER = record('PENDING');

  const rootValue = {
    requestProofOfLife: async ({ input }: { input: { cpf: string; reason: string } }) => {
      const id = randomUUID();
      await db.query(INTENT, [id, input.cpf, null, JSON.stringify({ cpf: input.cpf, reason: input.reason })]);
      const body = {
        solicitante: { cnpj: '33.683.111/0001-07', nome: 'Secretaria de Governo Digital', servico: 'AppGovBr' },
        cpf: input.cpf,
        motivo: input.reason,
        tipo: 'B',
        expiracao_em: '120',
      };
      const res = await upstream.request({
        method: 'POST',
        path: `${prefix}/api/vbeta4/transacoes`,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const created = (await res.body.json()) as { id?: string };
      if (res.statusCode !== 201 || !created.id) return { transaction: null, userErrors: [{ code: `HTTP_${res.statusCode}` }] };
      await db.query(ANSWER, [id, input.cpf, created.id, JSON.stringify(created)]);
      return { transaction: { id, status: 'PENDING' }, userErrors: [] };
    },
  };

  serveBare(schema, rootValue);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
