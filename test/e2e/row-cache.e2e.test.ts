/**
 * The read cache as a client sees it (one embedded gateway over real HTTP):
 * the query right after a mutation shows the mutation's result, erasure is
 * visible at once, and a restart serves what the store holds, not what the
 * previous process had cached.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import {
  CancelProofOfLifeDocument,
  ErasePersonDocument,
  PersonDocument,
  RequestProofOfLifeDocument,
  TransactionDocument,
} from '../__generated__/graphql';
import { formatCpf } from '../../src/domain/cpf';
import { PDV_MAGIC_CPFS as CPF } from '../../src/simulators/provaDeVida';
import { PdvSim, TestGateway } from '../helpers/gateway';
import { rawKey } from '../helpers/ids';

let sim: PdvSim;
beforeAll(async () => {
  // The citizen never answers on their own: only the test's mutations change a transaction.
  sim = await PdvSim.start({ answerAfterMs: 600_000 });
});
afterAll(async () => {
  await sim?.close();
});

describe('one instance', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await TestGateway.start({ pdvUrl: sim.url });
  });
  afterAll(async () => {
    await gw?.close();
  });

  test('the query right after a mutation returns the mutation’s result, by id and in the person’s list', async () => {
    const { requestProofOfLife: t1 } = await gw.done(RequestProofOfLifeDocument, { input: { cpf: CPF.refuses, reason: 'recadastramento' } });
    // Read twice: the second read is served from the cache.
    for (let i = 0; i < 2; i++) {
      expect((await gw.ok(TransactionDocument, { id: t1.id }, 'viewer')).transaction?.status).toBe('PENDING');
      expect((await gw.ok(PersonDocument, { cpf: CPF.refuses }, 'viewer')).person?.transactions.nodes.map((t) => [t.id, t.status])).toEqual([[t1.id, 'PENDING']]);
    }
    await gw.done(CancelProofOfLifeDocument, { id: t1.id }, 'admin');
    expect((await gw.ok(TransactionDocument, { id: t1.id }, 'viewer')).transaction?.status).toBe('CANCELLED');
    expect((await gw.ok(PersonDocument, { cpf: CPF.refuses }, 'viewer')).person?.transactions.nodes.map((t) => [t.id, t.status])).toEqual([[t1.id, 'CANCELLED']]);

    const { requestProofOfLife: t2 } = await gw.done(RequestProofOfLifeDocument, { input: { cpf: CPF.refuses, reason: 'recadastramento' } });
    expect((await gw.ok(PersonDocument, { cpf: CPF.refuses }, 'viewer')).person?.transactions.nodes.map((t) => t.id)).toEqual([t2.id, t1.id]);
  });

  test('after an erasure returns, the cached person and rows are gone: the CPF finds nothing, the transaction shows the pseudonym', async () => {
    const { requestProofOfLife: t } = await gw.done(RequestProofOfLifeDocument, { input: { cpf: CPF.noBiometry, reason: 'recadastramento' } });
    const person = (await gw.ok(PersonDocument, { cpf: CPF.noBiometry }, 'admin')).person!;
    expect((await gw.ok(TransactionDocument, { id: t.id }, 'admin')).transaction?.person.cpf).toBe(formatCpf(CPF.noBiometry));
    await gw.done(ErasePersonDocument, { id: person.id }, 'admin');
    expect((await gw.ok(PersonDocument, { cpf: CPF.noBiometry }, 'admin')).person).toBeNull();
    const after = (await gw.ok(TransactionDocument, { id: t.id }, 'admin')).transaction!;
    expect(after.cpf).not.toBe(formatCpf(CPF.noBiometry));
    expect(after.cpf).not.toContain('008-76');
    expect(after.person.cpf).toBe(after.cpf);
  });
});

test('a restart keeps no cached row: a row changed while the gateway was down is served as stored', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gw-cache-restart-'));
  try {
    const gw1 = await TestGateway.start({ pdvUrl: sim.url, dataDir });
    const { requestProofOfLife: t } = await gw1.done(RequestProofOfLifeDocument, { input: { cpf: CPF.neverAnswers, reason: 'recadastramento' } });
    expect((await gw1.ok(TransactionDocument, { id: t.id }, 'viewer')).transaction?.reason).toBe('recadastramento');
    await gw1.close({ keepData: true });

    // Changed in the store while no gateway runs (as an operator's repair would).
    const db = await PGlite.create(join(dataDir, 'pglite'));
    await db.query(`update transactions set reason = 'corrigido' where id = $1`, [rawKey(t.id)]);
    await db.close();

    const gw2 = await TestGateway.start({ pdvUrl: sim.url, dataDir });
    try {
      expect((await gw2.ok(TransactionDocument, { id: t.id }, 'viewer')).transaction?.reason).toBe('corrigido');
    } finally {
      await gw2.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
