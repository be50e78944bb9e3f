/**
 * The gateway stops mid-transaction and starts again on the same DATA_DIR:
 * the open transaction is watched again, the citizen's answer (given while
 * the gateway was down) still arrives, and a subscriber that reconnects with
 * `afterSeq` gets the event it missed exactly once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  RequestProofOfLifeDocument,
  TransactionResponseChangedDocument,
  TransactionDocument,
  type TransactionResponseChangedSubscription,
} from '../__generated__/graphql';
import { PDV_MAGIC_CPFS as CPF } from '../../src/simulators/provaDeVida';
import { Collector, PdvSim, TestGateway, sleep } from '../helpers/gateway';

type Ev = { transactionResponseChanged: TransactionResponseChangedSubscription['transactionResponseChanged'] };

let sim: PdvSim;
const dataDir = mkdtempSync(join(tmpdir(), 'gw-restart-'));

beforeAll(async () => {
  // The citizen answers only when the test says so.
  sim = await PdvSim.start({ answerAfterMs: 600_000 });
});
afterAll(async () => {
  await sim?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

test('restart on the same DATA_DIR resumes the open transaction; afterSeq delivers the missed event once', async () => {
  const gw1 = await TestGateway.start({ pdvUrl: sim.url, dataDir });
  const ws1 = await gw1.wsClient('viewer');
  const sub1 = Collector.subscribe(ws1, TransactionResponseChangedDocument, { cpf: CPF.authorizes });
  await sleep(100);
  const { requestProofOfLife: t } = await gw1.done(RequestProofOfLifeDocument, { input: { cpf: CPF.authorizes, reason: 'recadastramento' } });
  const requested = await sub1.waitFor((e: Ev) => e.transactionResponseChanged.type === 'REQUESTED');
  const lastSeq = requested.transactionResponseChanged.seq;
  sub1.stop();
  await ws1.dispose();
  await gw1.close();

  // While the gateway is down, the citizen answers.
  await sim.control('POST', `/transactions/${t.upstreamId}/answer`, { authorized: true });

  const gw2 = await TestGateway.start({ pdvUrl: sim.url, dataDir });
  try {
    expect(gw2.gw.resumed).toEqual({ transactions: 1, captures: 0 });
    const ws2 = await gw2.wsClient('viewer');
    const sub2 = Collector.subscribe(ws2, TransactionResponseChangedDocument, { cpf: CPF.authorizes, afterSeq: lastSeq });
    const authorized = await sub2.waitFor((e: Ev) => e.transactionResponseChanged.type === 'AUTHORIZED');
    expect(authorized.transactionResponseChanged.transaction).toMatchObject({ id: t.id, status: 'AUTHORIZED' });
    expect(authorized.transactionResponseChanged.seq).toBeGreaterThan(lastSeq);
    // Let further polls run: still exactly one AUTHORIZED, nothing replayed twice, REQUESTED not re-sent.
    await sleep(800);
    expect(sub2.items.map((e) => e.transactionResponseChanged.type)).toEqual(['AUTHORIZED']);
    const q = await gw2.ok(TransactionDocument, { id: t.id }, 'viewer');
    expect(q.transaction?.status).toBe('AUTHORIZED');
    expect(gw2.gw.scheduler.watchedCount('transaction')).toBe(0);
    sub2.stop();
    await ws2.dispose();
  } finally {
    await gw2.close({ keepData: true });
  }
});
