/**
 * The store's write path on both adapters (in-memory PGlite and a fresh
 * PostgreSQL database): a versioned change appends its event and draws its
 * seq in one statement, and the row, the event in the log and the event
 * handed to the bus all carry that seq as the version. Then PGlite's parser
 * setup (`installDrizzleParsers`): drizzle's per-query parsers are installed
 * once on the instance, other per-query parsers still apply.
 */
import { randomUUID } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import { rowFromCreate, transactionToJson } from '../../src/flows/proof-of-life';
import { installDrizzleParsers } from '../../src/store/pglite-parsers';
import { openPgliteStore } from '../../src/store/pglite';
import { openPostgresStore } from '../../src/store/postgres';
import type { TransactionRow } from '../../src/store/schema';
import type { Db, Store } from '../../src/store/store';
import type { VersionedChange } from '../../src/store/versioned';
import { createTestDatabase, requirePostgresSync } from '../helpers/services';

const PG = requirePostgresSync();

function newRow(cpf: string): TransactionRow {
  return rowFromCreate(
    { cpf, reason: 'write path', kind: 'B', expiresInMinutes: 60, requester: { cnpj: '33683111000107', name: 'SGD', service: 'AppGovBr' } },
    { id: randomUUID(), version: 'vbeta4', transaction: null },
    new Date(),
    'test-operator',
  );
}

function writeSuite(name: string, open: () => Promise<{ store: Store; close(): Promise<void> }>) {
  describe(name, () => {
    let store: Store;
    let close: () => Promise<void>;
    beforeAll(async () => {
      ({ store, close } = await open());
    }, 60_000);
    afterAll(() => close?.());

    /** A versioned change of `row` as a flow makes one: row, person, an extra write after the row. */
    const change = (row: TransactionRow, type: string, person: string | null, after?: (tx: Db) => Promise<void>): VersionedChange<TransactionRow> => ({
      type,
      cpf: row.cpf,
      payload: transactionToJson(row),
      person,
      write: (tx, version) => store.transactionWrite(tx, row, version),
      after,
      result: (seq) => ({ ...row, version: seq }),
    });

    test('a versioned change: row version = event seq = payload version, the log holds what the bus got; person and later writes commit with it', async () => {
      const seqs: number[] = [];
      let row = newRow('40000003000');
      expect((await store.personsByCpf([row.cpf])).size).toBe(0);
      for (const [type, status] of [['REQUESTING', 'REQUESTING'], ['REQUESTED', 'PENDING']] as const) {
        const t0 = Date.now();
        let seenInAfter: TransactionRow | undefined;
        const out = await store.recordChange<TransactionRow>('transaction', row.id, async () =>
          change({ ...row, status }, type, type === 'REQUESTING' ? row.cpf : null, async (t) => {
            // Runs after the row's statement, in the same transaction: the row is there, with its version.
            seenInAfter = (await store.transactionForUpdate(t, row.id)) ?? undefined;
          }),
        );
        expect(out).not.toBeNull();
        const { result, event } = out!;
        expect(result.version).toBe(event.seq);
        expect(result.status).toBe(status);
        expect(seenInAfter).toEqual(result);
        expect(event.payload['version']).toBe(event.seq);
        expect(event).toMatchObject({ topic: 'transaction', entityId: row.id, cpf: row.cpf, type });
        expect(event.createdAt.getTime()).toBeGreaterThanOrEqual(t0 - 1000);
        expect(event.createdAt.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
        const [logged] = (await store.eventsOfEntity(row.id)).filter((e) => e.seq === event.seq);
        expect(logged).toEqual(event);
        seqs.push(event.seq);
        row = result;
      }
      expect(seqs[1]).toBeGreaterThan(seqs[0]!);
      const stored = (await store.transactionsById([row.id])).get(row.id);
      expect(stored).toEqual(row);
      expect(stored?.version).toBe(seqs[1]);
      expect([...(await store.personsByCpf([row.cpf])).keys()]).toEqual([row.cpf]);
    });

    test('a failing write rolls back the event, the row and the person; a change that decides nothing appends nothing and draws no seq', async () => {
      const before = await store.latestSeq();
      const row = newRow('40000005000');
      await expect(
        store.recordChange<TransactionRow>('transaction', row.id, async () =>
          change(row, 'REQUESTING', row.cpf, async () => {
            throw new Error('after failed');
          }),
        ),
      ).rejects.toThrow('after failed');
      expect((await store.transactionsById([row.id])).size).toBe(0);
      expect((await store.personsByCpf([row.cpf])).size).toBe(0);
      expect(await store.eventsOfEntity(row.id)).toEqual([]);
      expect(await store.recordChange('transaction', randomUUID(), async () => null)).toBeNull();
      const next = newRow('40000004000');
      const out = await store.recordChange<TransactionRow>('transaction', next.id, async () => change(next, 'REQUESTING', null));
      // The failed attempt drew a seq and rolled back (a sequence never gives one back); the no-op drew none.
      expect(out?.event.seq).toBe(before + 2);
    });
  });
}

writeSuite('PGlite (in memory)', async () => {
  const store = await openPgliteStore('memory://');
  return { store, close: () => store.close() };
});

if (PG) {
  writeSuite('PostgreSQL', async () => {
    const db = await createTestDatabase(PG);
    const store = await openPostgresStore(db.url, { poolSize: 2 });
    return {
      store,
      close: async () => {
        await store.close();
        await db.drop();
      },
    };
  });
} else {
  test.skip('PostgreSQL (no server)', () => undefined);
}

describe('installDrizzleParsers (PGlite)', () => {
  let client: PGlite;
  beforeAll(async () => {
    client = await PGlite.create();
    installDrizzleParsers(client);
  }, 60_000);
  afterAll(() => client?.close());

  const AT = '2026-01-02 03:04:05.678+00';

  test('timestamps, dates and intervals come back as the text drizzle parses, with or without its per-query parsers', async () => {
    const q = `select '${AT}'::timestamptz as tz, '2026-01-02'::date as d, '1 day'::interval as i, 7::int4 as n`;
    const plain = await client.query<Record<string, unknown>>(q);
    expect(plain.rows[0]).toEqual({ tz: AT, d: '2026-01-02', i: '1 day', n: 7 });
    const drizzleLike = await client.query<Record<string, unknown>>(q, [], { parsers: { 1184: (v: string) => v, 1082: (v: string) => v } });
    expect(drizzleLike.rows[0]).toEqual(plain.rows[0]);
  });

  test('any other per-query parser still applies, in and out of a transaction', async () => {
    const opts = { parsers: { 23: (v: string) => `n=${v}` } };
    expect((await client.query<{ n: string }>('select 7::int4 as n', [], opts)).rows[0]?.n).toBe('n=7');
    const inTx = await client.transaction(async (tx) => (await tx.query<{ n: string }>('select 8::int4 as n', [], opts)).rows[0]?.n);
    expect(inTx).toBe('n=8');
  });
});
