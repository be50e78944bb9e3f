/**
 * Runs whole flows (proof of life, messages, a capture, failures, bad tokens)
 * with debug logging captured, then scans every log line: no CPF (formatted
 * or digits), no bearer token, no client secret may appear.
 */
import { print } from 'graphql';
import {
  LoginOperatorDocument,
  RequestProofOfLifeDocument,
  SendMessageDocument,
  StartPresentialCaptureDocument,
  TransactionResponseChangedDocument,
  CaptureDocument,
} from '../__generated__/graphql';
import { formatCpf } from '../../src/domain/cpf';
import { PDV_MAGIC_CPFS as CPF } from '../../src/simulators/provaDeVida';
import { SPID_MAGIC_CPFS } from '../../src/simulators/spid';
import { Collector, PdvSim, SpidSim, TestGateway, eventually } from '../helpers/gateway';

const lines: string[] = [];
let pdv: PdvSim;
let spid: SpidSim;
let gw: TestGateway;

beforeAll(async () => {
  pdv = await PdvSim.start({ answerAfterMs: 200 });
  spid = await SpidSim.start({ timings: { clientCaptureMs: 100, operatorCaptureMs: 100, verifyProcessingMs: 100, loginSettleMs: 10 } });
  gw = await TestGateway.start({ pdvUrl: pdv.url, spidStations: spid.stationsEnv, env: { LOG_LEVEL: 'trace' }, logSink: (l) => lines.push(l) });
});
afterAll(async () => {
  await gw?.close();
  await pdv?.close();
  await spid?.close();
});

test('a full run logs no CPF, no token and no secret', async () => {
  const tokens: string[] = [];
  const ws = await gw.wsClient('viewer');
  const sub = Collector.subscribe(ws, TransactionResponseChangedDocument, { cpf: CPF.authorizes });
  const t = await gw.done(RequestProofOfLifeDocument, { input: { cpf: CPF.authorizes, reason: 'logs' } });
  await sub.waitFor((e) => e.transactionResponseChanged.transaction.id === t.requestProofOfLife.id && e.transactionResponseChanged.type === 'AUTHORIZED');
  sub.stop();
  await ws.dispose();
  await gw.request(RequestProofOfLifeDocument, { input: { cpf: CPF.upstreamFails, reason: 'fails' } });
  await gw.request(RequestProofOfLifeDocument, { input: { cpf: CPF.refuses, reason: 'denied', sealReuseWindowMinutes: 5 } });
  await gw.done(SendMessageDocument, { input: { cpf: CPF.authorizes, title: 'Aviso', content: 'Olá' } });
  await gw.ok(LoginOperatorDocument, { stationId: 'station-1', operatorCpf: SPID_MAGIC_CPFS.operatorOk });
  const c = await gw.done(StartPresentialCaptureDocument, { stationId: 'station-1', cpf: SPID_MAGIC_CPFS.noMatch });
  await eventually(async () => (await gw.ok(CaptureDocument, { id: c.startPresentialCapture.id })).capture?.report != null, 20_000, 100);
  // A failed login on a station without an operator, and bad tokens.
  await gw.request(StartPresentialCaptureDocument, { stationId: 'station-3', cpf: SPID_MAGIC_CPFS.matches });
  for (const bad of ['Bearer not-a-token', `Bearer ${await gw.token('admin')}x`]) {
    tokens.push(bad.slice(7));
    await fetch(gw.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: bad }, body: JSON.stringify({ query: print(RequestProofOfLifeDocument), variables: {} }) });
  }
  // An unexpected error path (logged with a correlation id): a resolver error masked for the client.
  tokens.push(await gw.token('operator'), await gw.token('viewer'), await gw.token('admin'));

  const log = lines.join('');
  expect(lines.length).toBeGreaterThan(5);
  const cpfs = [...Object.values(CPF), ...Object.values(SPID_MAGIC_CPFS)];
  for (const cpf of cpfs) {
    expect(log).not.toContain(cpf);
    expect(log).not.toContain(formatCpf(cpf));
  }
  // Any 11-digit run, or a formatted CPF, is suspect (UUIDs and timestamps have neither).
  expect(log).not.toMatch(/(?<!\d)\d{11}(?!\d)/);
  expect(log).not.toMatch(/\d{3}\.\d{3}\.\d{3}-\d{2}/);
  expect(log).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/);
  for (const tk of tokens) expect(log).not.toContain(tk);
  expect(log).not.toContain(gw.config.provaDeVida.clientSecret);
  expect(log).not.toContain(gw.config.jwt.secret);
  process.stdout.write(`[measure] scanned ${lines.length} log lines (${log.length} bytes): no CPF, token or secret\n`);
});
