/**
 * Fail-closed, append-only audit: every mutation attempt — allowed, refused
 * for any reason, or failed — leaves exactly one audit row; when the row
 * cannot be written the mutation does nothing (no upstream call, no state
 * change) and the client gets AUDIT_UNAVAILABLE. Over real HTTP against a
 * gateway and the Prova de Vida simulator on loopback; the audit table is
 * read from the gateway's own store.
 */
import { print } from 'graphql';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { gt, sql } from 'drizzle-orm';
import { RequestProofOfLifeDocument, SendMessageDocument, StartPresentialCaptureDocument } from '../__generated__/graphql';
import { PDV_MAGIC_CPFS as CPF } from '../../src/simulators/provaDeVida';
import { auditLog, type AuditRow } from '../../src/store/schema';
import { PdvSim, TestGateway } from '../helpers/gateway';
import { rawKey } from '../helpers/ids';

let pdv: PdvSim;
let gw: TestGateway;

beforeAll(async () => {
  pdv = await PdvSim.start({ answerAfterMs: 600_000 });
  gw = await TestGateway.start({ pdvUrl: pdv.url });
});
afterAll(async () => {
  await gw?.close();
  await pdv?.close();
});

type Body = { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: Record<string, unknown> }[] };

async function post(query: string, variables: unknown, opts: { token?: string | null; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...opts.headers };
  if (opts.token) headers['authorization'] = `Bearer ${opts.token}`;
  const res = await fetch(gw.url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  return { status: res.status, body: (await res.json()) as Body };
}

/** One-value SQL read from the gateway's store (PGlite here). */
async function scalar(query: string): Promise<string | null> {
  const res = (await gw.gw.store.db.execute(sql.raw(query))) as unknown as { rows: { v: string | null }[] };
  return res.rows[0]?.v ?? null;
}
const lastAuditId = async () => (await scalar('select max(id)::text as v from audit_log')) ?? '0';
const auditSince = async (id: string): Promise<AuditRow[]> => gw.gw.store.db.select().from(auditLog).where(gt(auditLog.id, Number(id))).orderBy(auditLog.id);
/** Upstream calls with a side effect (creating a transaction, sending a message); polls of open transactions do not count. */
const sideEffects = async () => Object.entries((await pdv.counters()).byRoute).reduce((n, [route, c]) => (/^POST .*\/(transacoes|mensagens)$/.test(route) ? n + c : n), 0);
const count = async (table: string) => Number(await scalar(`select count(*)::text as v from ${table}`));
/** Events a mutation could append; the station poller records its own changes whenever its checks land. */
const flowEvents = async () => Number(await scalar(`select count(*)::text as v from events where topic <> 'station'`));

/** Runs `act`, then returns the one audit row it left (fails if it left none or several). */
async function oneRecord(act: () => Promise<unknown>): Promise<AuditRow> {
  const before = await lastAuditId();
  await act();
  const rows = await auditSince(before);
  expect(rows).toHaveLength(1);
  return rows[0]!;
}

const REQUEST = print(RequestProofOfLifeDocument);
/** A CPF target is the CPF's keyed pseudonym (attributable for export and erasure, never in clear). */
const masked = (cpf: string) => `cpf:${gw.gw.privacy.pseudonym(cpf)}`;
const code = (b: Body) => b.errors?.[0]?.extensions?.['code'];
/** The first userError of a mutation's payload (only when there is no top-level error). */
const userCode = (b: Body) => (b.errors?.length ? undefined : Object.values((b.data ?? {}) as Record<string, { userErrors?: { code: string }[] } | null>).flatMap((p) => p?.userErrors ?? [])[0]?.code);
/** What the caller was told: a top-level code, else the payload's userError code. */
const told = (b: Body) => code(b) ?? userCode(b);

describe('one audit record per attempt, for each way a mutation can end', () => {
  test('allowed → OK, with the entity produced', async () => {
    let r: { body: Body } | undefined;
    const row = await oneRecord(async () => (r = await post(REQUEST, { input: { cpf: CPF.authorizes, reason: 'ok' } }, { token: await gw.token('operator', 'aud-ok') })));
    const id = (r!.body.data?.['requestProofOfLife'] as { transaction: { id: string } }).transaction.id;
    expect(row).toMatchObject({ actor: 'aud-ok', role: 'operator', action: 'requestProofOfLife', result: 'OK', target: `Transaction:${rawKey(id)}`, ip: expect.any(String) });
    expect(row.finishedAt).toBeInstanceOf(Date);
  });

  test('no token → UNAUTHENTICATED (auth checker)', async () => {
    const row = await oneRecord(async () => expect(code((await post(REQUEST, { input: { cpf: CPF.authorizes, reason: 'anon' } })).body)).toBe('UNAUTHENTICATED'));
    expect(row).toMatchObject({ actor: null, role: null, action: 'requestProofOfLife', result: 'UNAUTHENTICATED', target: masked(CPF.authorizes) });
  });

  test('an invalid token (refused before the GraphQL pipeline) → UNAUTHENTICATED', async () => {
    const row = await oneRecord(async () => {
      const r = await post(REQUEST, { input: { cpf: CPF.authorizes, reason: 'bad token' } }, { token: 'not-a-token' });
      expect(r.status).toBe(401);
      expect(code(r.body)).toBe('UNAUTHENTICATED');
    });
    expect(row).toMatchObject({ actor: null, action: 'requestProofOfLife', result: 'UNAUTHENTICATED' });
  });

  test('viewer → FORBIDDEN (role)', async () => {
    const row = await oneRecord(async () => expect(code((await post(REQUEST, { input: { cpf: CPF.authorizes, reason: 'viewer' } }, { token: await gw.token('viewer', 'aud-viewer') })).body)).toBe('FORBIDDEN'));
    expect(row).toMatchObject({ actor: 'aud-viewer', role: 'viewer', action: 'requestProofOfLife', result: 'FORBIDDEN' });
  });

  test('operator of another station → FORBIDDEN (station scope)', async () => {
    const token = await gw.token('operator', 'aud-desk2', ['station-2']);
    const row = await oneRecord(async () => expect(code((await post(print(StartPresentialCaptureDocument), { stationId: 'station-1', cpf: CPF.authorizes }, { token })).body)).toBe('FORBIDDEN'));
    expect(row).toMatchObject({ actor: 'aud-desk2', action: 'startPresentialCapture', result: 'FORBIDDEN', target: 'stationId:station-1' });
  });

  test('control characters in an argument → BAD_USER_INPUT (input check), the target stored without them', async () => {
    const token = await gw.token('operator', 'aud-ctl');
    const row = await oneRecord(async () =>
      expect(userCode((await post(print(StartPresentialCaptureDocument), { stationId: 'desk\u0000-1', cpf: CPF.authorizes }, { token })).body)).toBe('BAD_USER_INPUT'),
    );
    expect(row).toMatchObject({ actor: 'aud-ctl', action: 'startPresentialCapture', result: 'BAD_USER_INPUT', target: 'stationId:desk\uFFFD-1' });
  });

  test('a variable that does not coerce (malformed CPF) → BAD_USER_INPUT, audited though no field ran', async () => {
    const token = await gw.token('operator', 'aud-coerce');
    const row = await oneRecord(async () => expect(code((await post(REQUEST, { input: { cpf: '123', reason: 'x' } }, { token })).body)).toBe('BAD_USER_INPUT'));
    expect(row).toMatchObject({ actor: 'aud-coerce', action: 'requestProofOfLife', result: 'BAD_USER_INPUT', target: null });
  });

  test('a mutation over the query limits (alias bomb) → one record for the operation, GRAPHQL_VALIDATION_FAILED', async () => {
    const token = await gw.token('operator', 'aud-alias');
    const fields = Array.from({ length: 16 }, (_, i) => `a${i}: cancelProofOfLife(id: "00000000-0000-4000-8000-00000000000${i % 10}") { transaction { id } userErrors { code field message } }`).join(' ');
    const row = await oneRecord(async () => expect(code((await post(`mutation { ${fields} deleteMessage(id: "${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}") { message { id } userErrors { code field message } } }`, {}, { token })).body)).toBe('GRAPHQL_VALIDATION_FAILED'));
    expect(row).toMatchObject({ actor: 'aud-alias', action: 'cancelProofOfLife,deleteMessage', result: 'GRAPHQL_VALIDATION_FAILED', target: null });
  });

  test('upstream 5xx on a create (it may have acted) → the transaction UNCONFIRMED, audited as UNCONFIRMED with its target', async () => {
    let id: string | undefined;
    const row = await oneRecord(async () => {
      const body = (await post(REQUEST, { input: { cpf: CPF.upstreamFails, reason: 'fails' } }, { token: await gw.token('operator', 'aud-fail') })).body;
      expect(code(body)).toBeUndefined();
      const tx = (body.data as { requestProofOfLife: { transaction: { id: string; status: string } } }).requestProofOfLife.transaction;
      expect(tx.status).toBe('UNCONFIRMED');
      id = tx.id;
    });
    expect(row).toMatchObject({ actor: 'aud-fail', result: 'UNCONFIRMED', target: `Transaction:${rawKey(id!)}` });
  });

  test('rate limited → RATE_LIMITED, and the limiter runs before the control-character check', async () => {
    const limited = await TestGateway.start({ pdvUrl: pdv.url, env: { RATE_LIMIT_USER_PER_MINUTE: '2', RATE_LIMIT_IP_PER_MINUTE: '1000' } });
    try {
      const token = await limited.token('operator', 'aud-flood');
      const send = async () => {
        const res = await fetch(limited.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ query: print(SendMessageDocument), variables: { input: { cpf: CPF.authorizes, title: 'x\u0001', content: 'c' } } }),
        });
        return told((await res.json()) as Body);
      };
      // Refused input still spends budget: the third attempt is refused by the limiter, not by the input check.
      expect([await send(), await send(), await send()]).toEqual(['BAD_USER_INPUT', 'BAD_USER_INPUT', 'RATE_LIMITED']);
      const rows = await limited.gw.store.listAudit({ actor: 'aud-flood' }, 10, null);
      expect(rows.items.map((r) => r.result)).toEqual(['RATE_LIMITED', 'BAD_USER_INPUT', 'BAD_USER_INPUT']);
    } finally {
      await limited.close();
    }
  });
});

describe('over WebSocket too', () => {
  const wsOnce = async (sub: string, role: 'viewer' | 'operator', query: string, variables: Record<string, unknown>) => {
    const client = createClient({ url: gw.gw.server.wsUrl, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${await gw.token(role, sub)}` }, retryAttempts: 0 });
    try {
      return await new Promise<unknown>((resolve) => client.subscribe({ query, variables }, { next: resolve, error: resolve, complete: () => undefined }));
    } finally {
      await client.dispose();
    }
  };

  test('a viewer mutation (refused by the auth checker) and a non-coercing variable (refused before execution) are audited', async () => {
    const a = await oneRecord(() => wsOnce('aud-ws-viewer', 'viewer', REQUEST, { input: { cpf: CPF.authorizes, reason: 'ws' } }));
    expect(a).toMatchObject({ actor: 'aud-ws-viewer', role: 'viewer', action: 'requestProofOfLife', result: 'FORBIDDEN' });
    const b = await oneRecord(() => wsOnce('aud-ws-coerce', 'operator', REQUEST, { input: { cpf: 'x', reason: 'ws' } }));
    expect(b).toMatchObject({ actor: 'aud-ws-coerce', role: 'operator', action: 'requestProofOfLife', result: 'BAD_USER_INPUT' });
  });
});

describe('fail closed', () => {
  test('the audit row cannot be written → AUDIT_UNAVAILABLE, no upstream call, no state change; then it works again', async () => {
    const db = gw.gw.store.db;
    // A real write failure in the real table (what a full disk, a lost grant or a broken replica looks like).
    await db.execute(sql.raw(`create or replace function test_audit_down() returns trigger language plpgsql as $$ begin raise exception 'audit storage down'; end $$`));
    await db.execute(sql.raw(`create trigger test_audit_down before insert on audit_log for each row execute function test_audit_down()`));
    try {
      const calls0 = await sideEffects();
      const counts0 = [await count('transactions'), await count('messages'), await flowEvents(), await count('audit_log')];
      const token = await gw.token('operator', 'aud-down');
      for (const [query, variables] of [
        [REQUEST, { input: { cpf: CPF.authorizes, reason: 'no audit, no effect' } }],
        [print(SendMessageDocument), { input: { cpf: CPF.authorizes, title: 'Aviso', content: 'não enviar' } }],
      ] as const) {
        const r = await post(query, variables, { token });
        expect(r.status).toBe(503);
        expect(r.body.errors).toHaveLength(1);
        expect(r.body.errors?.[0]?.extensions).toEqual({ code: 'AUDIT_UNAVAILABLE' });
        expect(r.body.errors?.[0]?.message).toBe('The audit log cannot be written; nothing was done. Retry later.');
      }
      expect(await sideEffects()).toBe(calls0);
      expect([await count('transactions'), await count('messages'), await flowEvents(), await count('audit_log')]).toEqual(counts0);
    } finally {
      await db.execute(sql.raw(`drop trigger test_audit_down on audit_log`));
    }
    const r = await post(REQUEST, { input: { cpf: CPF.authorizes, reason: 'audit back' } }, { token: await gw.token('operator', 'aud-down') });
    expect(r.body.errors).toBeUndefined();
  });
});

describe('append-only', () => {
  test('finished records cannot be updated or deleted, even with direct SQL; only the pseudonymisation path rewrites a target', async () => {
    const token = await gw.token('operator', 'aud-append');
    await post(REQUEST, { input: { cpf: CPF.upstreamFails, reason: 'target to pseudonymise' } }, { token });
    const [row] = (await gw.gw.store.listAudit({ actor: 'aud-append' }, 1, null)).items;
    expect(row?.result).toBe('UNCONFIRMED');
    const db = gw.gw.store.db;
    // Drizzle wraps the database error; its cause is PostgreSQL's own message.
    const refusal = (q: Promise<unknown>) => q.then(() => 'no error', (e: { cause?: { message?: string } }) => e.cause?.message);
    expect(await refusal(db.execute(sql`update audit_log set result = 'OK' where id = ${row!.id}`))).toBe('audit_log is append-only (UPDATE refused)');
    expect(await refusal(db.execute(sql`update audit_log set target = 'x' where id = ${row!.id}`))).toBe('audit_log is append-only (UPDATE refused)');
    expect(await refusal(db.execute(sql`delete from audit_log where id = ${row!.id}`))).toBe('audit_log is append-only (DELETE refused)');
    // A finished row does not go through the PENDING → result transition again.
    await gw.gw.store.auditFinish(row!.id, 'OK', null);
    expect((await gw.gw.store.listAudit({ actor: 'aud-append' }, 1, null)).items[0]).toMatchObject({ result: 'UNCONFIRMED', target: row!.target });

    const n = await gw.gw.store.pseudonymiseAuditTargets(row!.target!, 'cpf:pseudo:abc123');
    expect(n).toBeGreaterThanOrEqual(1);
    expect((await gw.gw.store.listAudit({ actor: 'aud-append' }, 1, null)).items[0]).toMatchObject({ result: 'UNCONFIRMED', target: 'cpf:pseudo:abc123' });
  });
});
