/**
 * The store's read cache over a real (in-memory PGlite) store: reads never
 * return a row older than the last committed change, a change made behind the
 * cache shows once the log tail reports it, a read racing a change cannot put
 * the old row back, and the cache is bounded.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { rowFromCreate, transactionToJson } from '../../src/flows/proof-of-life';
import { RowCache } from '../../src/store/row-cache';
import { openPgliteStore } from '../../src/store/pglite';
import type { TransactionRow } from '../../src/store/schema';
import type { Store } from '../../src/store/store';

let store: Store;
beforeAll(async () => {
  store = await openPgliteStore('memory://');
});
afterAll(async () => {
  await store.close();
});

let n = 0;
function newRow(cpf = `4000000${String(1000 + n++)}`): TransactionRow {
  return rowFromCreate(
    { cpf, reason: 'recadastramento', kind: 'B', expiresInMinutes: 60, requester: { cnpj: '33683111000107', name: 'SGD', service: 'AppGovBr' } },
    { id: randomUUID(), version: 'vbeta4', transaction: null },
    new Date(),
    'test-operator',
  );
}

/** What `recordEntityChange` does, without the bus: upsert the row and append its event. */
function save(row: TransactionRow) {
  return store.recordChange('transaction', row.id, async (tx) => {
    await store.ensurePerson(tx, row.cpf);
    await store.saveTransaction(tx, row);
    return { type: 'UPDATED', cpf: row.cpf, payload: transactionToJson(row), result: row };
  });
}

test('a read after a committed change returns the new row, by id and in the CPF list', async () => {
  const row = newRow();
  await save(row);
  expect((await store.transactionsById([row.id])).get(row.id)?.status).toBe('PENDING');
  expect((await store.transactionsByCpfs([row.cpf])).get(row.cpf)?.map((r) => r.status)).toEqual(['PENDING']);
  expect((await store.transactionsById([row.id])).get(row.id)?.status).toBe('PENDING'); // now from the cache

  await save({ ...row, status: 'CANCELLED', updatedAt: new Date() });
  expect((await store.transactionsById([row.id])).get(row.id)?.status).toBe('CANCELLED');
  expect((await store.transactionsByCpfs([row.cpf])).get(row.cpf)?.map((r) => r.status)).toEqual(['CANCELLED']);

  const second = { ...newRow(row.cpf), createdAt: new Date(row.createdAt.getTime() + 1000) };
  await save(second);
  expect((await store.transactionsByCpfs([row.cpf])).get(row.cpf)?.map((r) => r.id)).toEqual([second.id, row.id]);
});

test('a change made behind the cache (another instance) is served once the log tail reports it, not before', async () => {
  const row = newRow();
  await save(row);
  expect((await store.transactionsById([row.id])).get(row.id)?.reason).toBe('recadastramento');
  // Another instance's commit: the row changes in the database, this store has not read the log yet.
  await store.db.execute(sql`update transactions set reason = 'changed elsewhere' where id = ${row.id}`);
  expect((await store.transactionsById([row.id])).get(row.id)?.reason).toBe('recadastramento');
  store.observeCommitted({ topic: 'transaction', type: 'UPDATED', entityId: row.id, cpf: row.cpf });
  expect((await store.transactionsById([row.id])).get(row.id)?.reason).toBe('changed elsewhere');
});

test('a read that started before a change cannot put the older row back into the cache', () => {
  const cache = new RowCache();
  const old = newRow();
  const ticket = cache.ticket(); // the read starts…
  cache.invalidate({ topic: 'transaction', type: 'UPDATED', entityId: old.id, cpf: old.cpf }); // …a change commits…
  cache.fillTransaction(ticket, old); // …and the read's older result arrives.
  expect(cache.transaction(old.id)).toBeUndefined();
  cache.fillTransaction(cache.ticket(), old);
  expect(cache.transaction(old.id)).toBe(old);
});

test('erasure (the privacy marker) forgets every cached row; the cache holds at most maxEntries', () => {
  const cache = new RowCache({ maxEntries: 3 });
  const rows = [newRow(), newRow(), newRow(), newRow()];
  for (const r of rows) cache.fillTransaction(cache.ticket(), r);
  expect(cache.size).toBe(3);
  expect(cache.transaction(rows[0]!.id)).toBeUndefined(); // least recently used went first
  expect(cache.transaction(rows[3]!.id)).toBe(rows[3]);
  cache.invalidate({ topic: 'privacy', type: 'PSEUDONYMIZED', entityId: 'pseud:x', cpf: null });
  expect(cache.size).toBe(0);
  const off = new RowCache({ maxEntries: 0 });
  off.fillTransaction(off.ticket(), rows[0]!);
  expect(off.transaction(rows[0]!.id)).toBeUndefined();
});
