/**
 * The store's keyset pager on both adapters (in-memory PGlite and a fresh
 * PostgreSQL database): forwards and backwards over (created_at, id) newest
 * first — rows sharing a timestamp included — with the filters applied to
 * the page and to the count alike.
 */
import { randomUUID } from 'node:crypto';
import { rowFromCreate, transactionToJson } from '../../src/flows/proof-of-life';
import { openPgliteStore } from '../../src/store/pglite';
import { openPostgresStore } from '../../src/store/postgres';
import type { TransactionRow } from '../../src/store/schema';
import type { Cursor, KeysetWindow, Store } from '../../src/store/store';
import { createTestDatabase, requirePostgresSync } from '../helpers/services';

const PG = requirePostgresSync();
const CPF_A = '40000001000';
const CPF_B = '40000002000';
const ROWS = 13;

function newRow(cpf: string, createdAt: Date): TransactionRow {
  const row = rowFromCreate(
    { cpf, reason: 'paging', kind: 'B', expiresInMinutes: 60, requester: { cnpj: '33683111000107', name: 'SGD', service: 'AppGovBr' } },
    { id: randomUUID(), version: 'vbeta4', transaction: null },
    createdAt,
    'test-operator',
  );
  return { ...row, createdAt };
}

async function seed(store: Store): Promise<TransactionRow[]> {
  const base = Date.parse('2026-01-01T00:00:00.000Z');
  const rows: TransactionRow[] = [];
  // Three rows per millisecond: the id breaks every tie.
  for (let i = 0; i < ROWS; i++) rows.push(newRow(CPF_A, new Date(base + Math.floor(i / 3))));
  for (let i = 0; i < 4; i++) rows.push(newRow(CPF_B, new Date(base + i)));
  for (const row of rows) {
    await store.recordChange('transaction', row.id, async (tx) => {
      await store.ensurePerson(tx, row.cpf);
      await store.saveTransaction(tx, row);
      return { type: 'UPDATED', cpf: row.cpf, payload: transactionToJson(row), result: row };
    });
  }
  // Newest first, as the store orders: created_at desc, then id desc.
  return rows
    .filter((r) => r.cpf === CPF_A)
    .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
}

const key = (r: TransactionRow): Cursor => ({ createdAt: r.createdAt, id: r.id });
const win = (w: Partial<KeysetWindow<Cursor>>): KeysetWindow<Cursor> => ({ size: 5, backward: false, after: null, before: null, ...w });

function pagerSuite(name: string, open: () => Promise<{ store: Store; close(): Promise<void> }>) {
  describe(name, () => {
    let store: Store;
    let close: () => Promise<void>;
    let expected: TransactionRow[];
    beforeAll(async () => {
      ({ store, close } = await open());
      expected = await seed(store);
    }, 60_000);
    afterAll(async () => {
      await close?.();
    });

    test('forwards with after, to the end, ties on created_at included', async () => {
      const seen: string[] = [];
      let after: Cursor | null = null;
      for (;;) {
        const page = await store.pageTransactions({ cpf: CPF_A }, win({ after }));
        seen.push(...page.rows.map((r) => r.id));
        if (!page.more) break;
        after = key(page.rows.at(-1)!);
      }
      expect(seen).toEqual(expected.map((r) => r.id));
    });

    test('backwards with before, to the start, and the same rows in the same order', async () => {
      const seen: string[] = [];
      let before: Cursor | null = null;
      for (;;) {
        const page = await store.pageTransactions({ cpf: CPF_A }, win({ backward: true, before }));
        seen.unshift(...page.rows.map((r) => r.id));
        if (!page.more) break;
        before = key(page.rows[0]!);
      }
      expect(seen).toEqual(expected.map((r) => r.id));
    });

    test('between two cursors; the count uses the same filters', async () => {
      const page = await store.pageTransactions({ cpf: CPF_A }, win({ size: 100, after: key(expected[2]!), before: key(expected[9]!) }));
      expect(page.rows.map((r) => r.id)).toEqual(expected.slice(3, 9).map((r) => r.id));
      expect(page.more).toBe(false);
      expect(await store.countTransactions({ cpf: CPF_A })).toBe(ROWS);
      expect(await store.countTransactions({ cpf: CPF_B })).toBe(4);
      expect(await store.countTransactions({ cpf: CPF_A, statuses: ['AUTHORIZED'] })).toBe(0);
    });
  });
}

pagerSuite('PGlite', async () => {
  const store = await openPgliteStore('memory://');
  return { store, close: () => store.close() };
});

(PG ? describe : describe.skip)('PostgreSQL', () => {
  pagerSuite('PostgreSQL store', async () => {
    const db = await createTestDatabase(PG!);
    const store = await openPostgresStore(db.url);
    return {
      store,
      async close() {
        await store.close();
        await db.drop();
      },
    };
  });
});
