/**
 * The embedded default survives kill -9: `npm start` (src/main.ts, in-process
 * simulators on free ports, a temp DATA_DIR) is killed with SIGKILL while
 * proof-of-life transactions wait for the simulated citizen and a presential
 * capture is at the desk. Started again with the same settings, it comes back
 * on the same ports, takes over the dead process's DATA_DIR lock at once, and
 * every open flow completes: the simulators kept their state (pending answers
 * with their due times, the station's capture and its scheduled steps) under
 * DATA_DIR/simulators, and the gateway resumes polling from its store.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CaptureDocument,
  LoginOperatorDocument,
  RequestProofOfLifeDocument,
  StartPresentialCaptureDocument,
  TransactionDocument,
} from '../__generated__/graphql';
import { PDV_MAGIC_CPFS } from '../../src/simulators/provaDeVida';
import { SPID_MAGIC_CPFS } from '../../src/simulators/spid';
import { eventually } from '../helpers/gateway';
import { GatewayProcess } from '../helpers/process';
import { simulatorPortsEnv } from '../helpers/ports';
import { gql } from './faults-helpers';

const OPEN_TRANSACTIONS = 5;
const dataDir = mkdtempSync(join(tmpdir(), 'gw-faults-kill9-'));
const started: GatewayProcess[] = [];

afterAll(async () => {
  await Promise.all(started.map((g) => g.kill()));
  rmSync(dataDir, { recursive: true, force: true });
});

test('kill -9 of `npm start` with open transactions and a capture at the desk; after a restart every flow completes', async () => {
  const env: Record<string, string> = {
    ...(await simulatorPortsEnv()),
    DATA_DIR: dataDir,
    // The citizen answers 15 s after each request (margin for a slow machine): after the kill, so only a
    // simulator that remembers answers.
    SIMULATOR_ANSWER_AFTER_SECONDS: '15',
    POLL_INTERVAL_MS: '300',
    POLL_BACKOFF_FACTOR: '1',
    POLL_MAX_INTERVAL_MS: '300',
    SPID_SLOW_POLL_MS: '300',
  };
  const first = await GatewayProcess.start(env, 60_000, { direct: true });
  started.push(first);
  const spidControl = `http://127.0.0.1:${env['SIMULATOR_SPID_CONTROL_PORT']}`;
  // The desk takes 15 s for the citizen's capture, so the kill finds it in CLIENT_CAPTURING.
  const cfg = await fetch(`${spidControl}/config`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ timings: { clientCaptureMs: 15_000 } }) });
  expect(cfg.status).toBe(200);

  const txs: string[] = [];
  for (let i = 0; i < OPEN_TRANSACTIONS; i++) {
    txs.push((await gql(first.url, RequestProofOfLifeDocument, { input: { cpf: PDV_MAGIC_CPFS.authorizes, reason: `kill -9 ${i}` } })).requestProofOfLife.id);
  }
  const login = await gql(first.url, LoginOperatorDocument, { stationId: 'station-1', operatorCpf: SPID_MAGIC_CPFS.operatorOk });
  expect(login.loginOperator.loggedIn).toBe(true);
  const { startPresentialCapture: capture } = await gql(first.url, StartPresentialCaptureDocument, { stationId: 'station-1', cpf: SPID_MAGIC_CPFS.matches });
  await eventually(async () => (await gql(first.url, CaptureDocument, { id: capture.id }, 'viewer')).capture?.status === 'CLIENT_CAPTURING', 20_000);

  // Everything still open at the moment of the kill.
  for (const id of txs) expect((await gql(first.url, TransactionDocument, { id }, 'viewer')).transaction?.status).toBe('PENDING');
  expect((await gql(first.url, CaptureDocument, { id: capture.id }, 'viewer')).capture?.status).toBe('CLIENT_CAPTURING');
  first.child.kill('SIGKILL');
  expect((await first.exited).signal).toBe('SIGKILL');

  const t0 = Date.now();
  const second = await GatewayProcess.start(env, 60_000, { direct: true });
  started.push(second);
  const readyMs = Date.now() - t0;
  expect(second.logs).toMatch(/"resumed":\{"transactions":5,"captures":1\}/);

  await eventually(async () => {
    for (const id of txs) if ((await gql(second.url, TransactionDocument, { id }, 'viewer')).transaction?.status !== 'AUTHORIZED') return false;
    return true;
  }, 60_000, 200);
  const txDoneMs = Date.now() - t0;
  const final = await eventually(async () => {
    const c = (await gql(second.url, CaptureDocument, { id: capture.id }, 'viewer')).capture;
    return c?.status === 'SEARCH_MATCH' && c.report ? c : null;
  }, 60_000, 200);
  const captureDoneMs = Date.now() - t0;
  process.stdout.write(
    `[measure] kill -9 → restart: ready ${readyMs} ms; ${OPEN_TRANSACTIONS} transactions AUTHORIZED ${txDoneMs} ms; capture SEARCH_MATCH + report ${captureDoneMs} ms after the restart began\n`,
  );
  // Every step once, in order, across the kill: nothing skipped, nothing done twice.
  expect(final.history.map((h) => (h.type === 'REPORT_READY' ? 'REPORT_READY' : h.status))).toEqual([
    'STARTING',
    'CLIENT_CAPTURING',
    'CLIENT_CAPTURE_DONE',
    'OPERATOR_CAPTURING',
    'OPERATOR_CAPTURE_DONE',
    'SENDING',
    'PROCESSING',
    'SEARCH_MATCH',
    'REPORT_READY',
  ]);

  second.child.kill('SIGTERM');
  expect((await second.exited).code).toBe(0);
}, 240_000);
