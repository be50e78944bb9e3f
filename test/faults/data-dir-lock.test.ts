/**
 * One owner per DATA_DIR: `npm start` twice on one data dir. The second
 * process is refused at boot, naming the holder (pid, host, start time), and
 * exits non-zero before it touches the store or a simulator port; the first
 * keeps serving; after both stop, a restart finds every row. Real processes
 * (`node --import tsx src/main.ts`, in-process simulators on free ports).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { RequestProofOfLifeDocument, TransactionDocument } from '../__generated__/graphql';
import { PDV_MAGIC_CPFS as CPF } from '../../src/simulators/provaDeVida';
import { GatewayProcess } from '../helpers/process';
import { simulatorPortsEnv } from '../helpers/ports';
import { gql } from './faults-helpers';

const dataDir = mkdtempSync(join(tmpdir(), 'gw-faults-lock-'));
let env: Record<string, string>;
const started: GatewayProcess[] = [];

beforeAll(async () => {
  // The citizen answers late: the transaction stays PENDING for the whole test.
  env = { ...(await simulatorPortsEnv()), DATA_DIR: dataDir, SIMULATOR_ANSWER_AFTER_SECONDS: '600' };
});
afterAll(async () => {
  await Promise.all(started.map((g) => g.kill()));
  rmSync(dataDir, { recursive: true, force: true });
});

test('a second gateway on the same DATA_DIR is refused with the holder named; the first keeps serving; a restart has all data', async () => {
  const first = await GatewayProcess.start(env, 60_000, { direct: true });
  started.push(first);
  const { requestProofOfLife: t } = await gql(first.url, RequestProofOfLifeDocument, { input: { cpf: CPF.authorizes, reason: 'lock test' } });

  const t0 = Date.now();
  const second = await GatewayProcess.run(env, 60_000, { direct: true });
  process.stdout.write(`[measure] second gateway on the same DATA_DIR: spawn → refused and exited in ${second.at - t0} ms (module loading included)\n`);
  expect(second.code).toBe(1);
  const m = /DATA_DIR (\S+) is in use by gateway pid (\d+) on host (\S+), started (\S+); stop it first/.exec(second.output);
  expect(m).not.toBeNull();
  expect(m![1]).toBe(dataDir);
  expect(Number(m![2])).toBe(first.child.pid);
  expect(m![3]).toBe(hostname());
  expect(Number.isNaN(Date.parse(m![4]!))).toBe(false);
  // Refused before the simulators: nothing of theirs was started (no port clash reported instead).
  expect(second.output).not.toMatch(/EADDRINUSE/);

  // The first is undisturbed.
  const q = await gql(first.url, TransactionDocument, { id: t.id }, 'viewer');
  expect(q.transaction).toMatchObject({ id: t.id, status: 'PENDING' });

  first.child.kill('SIGTERM');
  expect((await first.exited).code).toBe(0);

  const again = await GatewayProcess.start(env, 60_000, { direct: true });
  started.push(again);
  const q2 = await gql(again.url, TransactionDocument, { id: t.id }, 'viewer');
  expect(q2.transaction).toMatchObject({ id: t.id, status: 'PENDING' });
  again.child.kill('SIGTERM');
  expect((await again.exited).code).toBe(0);
}, 180_000);
