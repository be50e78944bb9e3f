/**
 * The audit log on real PostgreSQL with the grants the README prescribes:
 * the gateway connects as an app role that may INSERT audit rows and update
 * only (result, finished_at, target); the migrations (run by the owner)
 * install the append-only trigger. Then a real permission failure — INSERT
 * revoked from the app role — makes mutations fail closed: AUDIT_UNAVAILABLE,
 * no upstream call, no state change.
 *
 * A private database and a private login role (both dropped afterwards) on
 * the shared server; skipped locally without PostgreSQL, failing in CI.
 */
import { randomBytes } from 'node:crypto';
import { print } from 'graphql';
import { Client } from 'pg';
import { RequestProofOfLifeDocument } from '../__generated__/graphql';
import { PDV_MAGIC_CPFS as CPF } from '../../src/simulators/provaDeVida';
import { openPostgresStore } from '../../src/store/postgres';
import { PdvSim, TestGateway } from '../helpers/gateway';
import { createTestDatabase, requirePostgresSync } from '../helpers/services';
import { rawKey } from '../helpers/ids';

const PG = requirePostgresSync();
const d = PG ? describe : describe.skip;

d('audit log on PostgreSQL under the README grants', () => {
  const role = `idgw_app_${randomBytes(5).toString('hex')}`;
  let db: { url: string; drop(): Promise<void> };
  let pdv: PdvSim;
  let gw: TestGateway;

  /** One statement as the owner (the migration role) of the private database. */
  const asOwner = async (query: string): Promise<{ rows: Record<string, unknown>[] }> => {
    const c = new Client({ connectionString: db.url });
    await c.connect();
    try {
      return await c.query(query);
    } finally {
      await c.end();
    }
  };
  const asApp = async (query: string): Promise<string> => {
    const u = new URL(db.url);
    u.username = role;
    const c = new Client({ connectionString: u.toString() });
    await c.connect();
    try {
      await c.query(query);
      return 'ok';
    } catch (err) {
      return (err as Error).message;
    } finally {
      await c.end();
    }
  };

  beforeAll(async () => {
    db = await createTestDatabase(PG!);
    // The owner migrates (migration 0003 installs the trigger), then sets up the app role.
    const owner = await openPostgresStore(db.url, { poolSize: 1 });
    await owner.close();
    const dbName = new URL(db.url).pathname.slice(1);
    await asOwner(`create role "${role}" login`);
    await asOwner(
      [
        // What the gateway needs besides the audit table (it re-checks migrations at boot).
        `grant connect, create on database "${dbName}" to "${role}"`,
        `grant usage on schema public, drizzle to "${role}"`,
        `grant create on schema drizzle to "${role}"`,
        `grant select on all tables in schema drizzle to "${role}"`,
        `grant select, insert, update, delete on all tables in schema public to "${role}"`,
        `grant usage on all sequences in schema public to "${role}"`,
        // The README's audit grants.
        `revoke update, delete, truncate on audit_log from "${role}"`,
        `grant select, insert on audit_log to "${role}"`,
        `grant update (result, finished_at, target) on audit_log to "${role}"`,
      ].join('; '),
    );
    pdv = await PdvSim.start({ answerAfterMs: 600_000 });
    const u = new URL(db.url);
    u.username = role;
    gw = await TestGateway.start({ pdvUrl: pdv.url, env: { DATABASE_URL: u.toString() } });
  }, 60_000);

  afterAll(async () => {
    await gw?.close();
    await pdv?.close();
    await db?.drop();
    const c = new Client({ connectionString: PG! });
    await c.connect();
    await c.query(`drop role if exists "${role}"`).finally(() => c.end());
  });

  const post = async (sub: string) => {
    const res = await fetch(gw.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await gw.token('operator', sub)}` },
      body: JSON.stringify({ query: print(RequestProofOfLifeDocument), variables: { input: { cpf: CPF.authorizes, reason: 'pg audit' } } }),
    });
    return { status: res.status, body: (await res.json()) as { data?: { requestProofOfLife?: { transaction: { id: string } | null } } | null; errors?: { extensions?: Record<string, unknown> }[] } };
  };
  /** Upstream calls with a side effect (creating a transaction, sending a message); polls of open transactions do not count. */
  const sideEffects = async () => Object.entries((await pdv.counters()).byRoute).reduce((n, [route, c]) => (/^POST .*\/(transacoes|mensagens)$/.test(route) ? n + c : n), 0);
  const count = async (table: string) => Number((await asOwner(`select count(*)::int as n from ${table}`)).rows[0]!['n']);
  /**
   * Events a mutation could append. The station poller records its own
   * changes (the configured station going OFFLINE without a SPID simulator)
   * whenever its first check lands, which under CI load can fall inside the
   * test; those are not the mutation's.
   */
  const flowEvents = async () => Number((await asOwner(`select count(*)::int as n from events where topic <> 'station'`)).rows[0]!['n']);

  test('as the app role: a mutation is audited PENDING → OK; the app role cannot rewrite or delete audit rows', async () => {
    const r = await post('pg-ok');
    expect(r.body.errors).toBeUndefined();
    const rows = (await asOwner(`select result, target, finished_at from audit_log where actor = 'pg-ok'`)).rows;
    expect(rows).toEqual([{ result: 'OK', target: `Transaction:${rawKey(r.body.data?.requestProofOfLife?.transaction?.id ?? '')}`, finished_at: expect.any(Date) }]);
    expect(await asApp(`update audit_log set actor = 'someone-else'`)).toBe('permission denied for table audit_log');
    expect(await asApp(`delete from audit_log`)).toBe('permission denied for table audit_log');
    expect(await asApp(`update audit_log set result = 'FORBIDDEN'`)).toBe('audit_log is append-only (UPDATE refused)');
    // Even the owner goes through the trigger.
    expect(await asOwner(`delete from audit_log`).then(() => 'ok', (e: Error) => e.message)).toBe('audit_log is append-only (DELETE refused)');
  });

  test('INSERT revoked from the app role → AUDIT_UNAVAILABLE (503), no upstream call, no state change', async () => {
    await asOwner(`revoke insert on audit_log from "${role}"`);
    try {
      const calls0 = await sideEffects();
      const before = [await count('transactions'), await flowEvents(), await count('audit_log')];
      const r = await post('pg-down');
      expect(r.status).toBe(503);
      expect(r.body.errors?.map((e) => e.extensions)).toEqual([{ code: 'AUDIT_UNAVAILABLE' }]);
      expect(await sideEffects()).toBe(calls0);
      expect([await count('transactions'), await flowEvents(), await count('audit_log')]).toEqual(before);
    } finally {
      await asOwner(`grant insert on audit_log to "${role}"`);
    }
    expect((await post('pg-back')).body.errors).toBeUndefined();
  });
});
