/**
 * Each SPID branch with the DEFAULT simulator timings and the default poll
 * settings (2 s ×1.5, slow poll 30 s for enroll results): steps, wall time
 * from the mutation to the last step, and SPID calls per flow. Branches run
 * three at a time (one per station). Run: npx tsx bench/capture-branches.ts
 */
import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaptureStatusChangedDocument, EnrollDocument, LoginOperatorDocument, StartPresentialCaptureDocument, StartRemoteVerifyDocument } from '../test/__generated__/graphql';
import { SPID_MAGIC_CPFS as CPF } from '../src/simulators/spid';
import { Collector, PdvSim, SpidSim, TestGateway } from '../test/helpers/gateway';

interface Branch {
  name: string;
  cpf: string;
  remote?: boolean;
  enroll?: boolean;
}

const BRANCHES: Branch[] = [
  { name: 'registered, matches', cpf: CPF.matches },
  { name: 'registered, no match', cpf: CPF.noMatch },
  { name: 'not registered → enroll → ENROLLED', cpf: CPF.notRegistered },
  { name: 'enroll (direct) → ENROLL_REJECTED', cpf: CPF.enrollRejected, enroll: true },
  { name: 'desk failure', cpf: CPF.deskFailure },
  { name: 'desk cancel', cpf: CPF.deskCancel },
  { name: 'remote verify, citizen uses the link', cpf: CPF.matches, remote: true },
];
// PERSON_NOT_FOUND is not an end here: these flows enroll on it.
const FINAL = new Set(['SEARCH_MATCH', 'SEARCH_NOT_MATCH', 'ENROLLED', 'ENROLL_REJECTED', 'EXPIRED', 'CAPTURE_CANCELED', 'CAPTURE_FAILED', 'FAILED']);

async function main(): Promise<void> {
  const pdv = await PdvSim.start();
  const spid = await SpidSim.start(); // default timings
  const dataDir = mkdtempSync(join(tmpdir(), 'capture-bench-'));
  const gw = await TestGateway.start({
    pdvUrl: pdv.url,
    spidStations: spid.stationsEnv,
    dataDir,
    env: { POLL_INTERVAL_MS: '2000', POLL_BACKOFF_FACTOR: '1.5', POLL_MAX_INTERVAL_MS: '30000', SPID_SLOW_POLL_MS: '30000' },
  });
  const ws = await gw.wsClient('operator');
  const stations = ['station-1', 'station-2', 'station-3'];
  for (const s of stations) await gw.ok(LoginOperatorDocument, { stationId: s, operatorCpf: CPF.operatorOk });
  const rows: string[] = [];
  const run = async (b: Branch, stationId: string) => {
    const before = (await spid.counters()).byStation[stationId]?.total ?? 0;
    const sub = Collector.subscribe(ws, CaptureStatusChangedDocument, { stationId });
    await new Promise((r) => setTimeout(r, 200));
    const t0 = performance.now();
    const id = b.remote
      ? (await gw.done(StartRemoteVerifyDocument, { stationId, cpf: b.cpf })).startRemoteVerify.id
      : b.enroll
        ? (await gw.done(EnrollDocument, { stationId, cpf: b.cpf })).enroll.id
        : (await gw.done(StartPresentialCaptureDocument, { stationId, cpf: b.cpf })).startPresentialCapture.id;
    const mine = (e: { captureStatusChanged: { capture: { id: string }; type: string; status: string } }) => e.captureStatusChanged.capture.id === id;
    await sub.waitFor(
      (e) => mine(e) && (e.captureStatusChanged.type === 'REPORT_READY' || (FINAL.has(e.captureStatusChanged.status) && !e.captureStatusChanged.capture.tguid)),
      600_000,
    );
    const ms = performance.now() - t0;
    const steps = sub.items.filter(mine).map((e) => (e.captureStatusChanged.type === 'REPORT_READY' ? 'REPORT_READY' : e.captureStatusChanged.status));
    sub.stop();
    const calls = ((await spid.counters()).byStation[stationId]?.total ?? 0) - before;
    rows.push(`| ${b.name} | ${steps.length} | ${(ms / 1000).toFixed(1)} s | ${calls} | ${steps.join(' → ')} |`);
  };
  for (let i = 0; i < BRANCHES.length; i += 3) {
    await Promise.all(BRANCHES.slice(i, i + 3).map((b, k) => run(b, stations[k]!)));
  }
  process.stdout.write(['| branch | steps | wall time | SPID calls | steps |', '|---|---|---|---|---|', ...rows].join('\n') + '\n');
  await ws.dispose();
  await gw.close();
  await spid.close();
  await pdv.close();
  rmSync(dataDir, { recursive: true, force: true });
}

void main();
