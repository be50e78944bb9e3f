/**
 * Time from the citizen's answer (simulator control API) to the subscriber's
 * AUTHORIZED event, with the default poll settings (2 s, ×1.5, max 30 s).
 * The answer is given at a random moment after the request, so the figure
 * includes where in the backoff cycle the poller happens to be.
 * Run: npx tsx bench/answer-latency.ts [n=10]
 */
import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RequestProofOfLifeDocument, TransactionResponseChangedDocument } from '../test/__generated__/graphql';
import { PDV_MAGIC_CPFS } from '../src/simulators/provaDeVida';
import { Collector, PdvSim, TestGateway, sleep } from '../test/helpers/gateway';

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 10);
  const pdv = await PdvSim.start({ answerAfterMs: 3_600_000 });
  const dataDir = mkdtempSync(join(tmpdir(), 'latency-bench-'));
  const gw = await TestGateway.start({
    pdvUrl: pdv.url,
    dataDir,
    env: { POLL_INTERVAL_MS: '2000', POLL_BACKOFF_FACTOR: '1.5', POLL_MAX_INTERVAL_MS: '30000' },
  });
  const ws = await gw.wsClient('viewer');
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = (await gw.done(RequestProofOfLifeDocument, { input: { cpf: PDV_MAGIC_CPFS.authorizes, reason: `bench ${i}` } })).requestProofOfLife;
    const sub = Collector.subscribe(ws, TransactionResponseChangedDocument, { transactionId: t.id });
    await sleep(500 + Math.random() * 5000);
    const t0 = performance.now();
    await pdv.control('POST', `/transactions/${t.upstreamId}/answer`, { authorized: true });
    await sub.waitFor((e) => e.transactionResponseChanged.type === 'AUTHORIZED', 60_000);
    samples.push(performance.now() - t0);
    sub.stop();
  }
  samples.sort((a, b) => a - b);
  const q = (p: number) => Math.round(samples[Math.min(samples.length - 1, Math.floor(p * samples.length))]!);
  process.stdout.write(`answer → event (n=${n}, poll 2 s ×1.5): min ${q(0)} ms, median ${q(0.5)} ms, p90 ${q(0.9)} ms, max ${q(1)} ms\n`);
  await ws.dispose();
  await gw.close();
  await pdv.close();
  rmSync(dataDir, { recursive: true, force: true });
}

void main();
