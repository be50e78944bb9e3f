/**
 * Job metrics on the scale-out path (PostgreSQL + Redis, BullMQ): the queue
 * depth on `/metrics` is the queue's own count, and a poll stranded by a
 * killed instance shows up as a stalled job on the instance that recovers it.
 * Its own database and key prefix; skipped locally without the services,
 * failed in CI (see helpers/services.ts).
 */
import { print } from 'graphql';
import { Queue } from 'bullmq';
import { RequestProofOfLifeDocument } from '../__generated__/graphql';
import { signToken } from '../../src/auth/jwt';
import { loadConfig } from '../../src/config';
import { PDV_MAGIC_CPFS as CPF } from '../../src/simulators/provaDeVida';
import { PdvSim, TestGateway, eventually } from '../helpers/gateway';
import { metricValue, scrape, type Sample } from '../helpers/metrics';
import { GatewayProcess } from '../helpers/process';
import { createTestDatabase, deleteRedisKeys, requirePostgresSync, requireRedisSync, uniquePrefix } from '../helpers/services';

const REDIS = requireRedisSync();
const PG = requirePostgresSync();
const d = REDIS && PG ? describe : describe.skip;

const LIVE_STATES = ['wait', 'active', 'delayed', 'prioritized'] as const;
const live = (s: Sample[]) => LIVE_STATES.reduce((n, state) => n + (metricValue(s, 'idgw_job_queue_jobs', { state }) ?? 0), 0);

d('BullMQ job metrics', () => {
  const prefix = uniquePrefix();
  let db: { url: string; drop(): Promise<void> };
  let pdv: PdvSim;
  let queue: Queue;
  let env: Record<string, string>;
  let crashed: GatewayProcess | undefined;
  let gw: TestGateway | undefined;

  beforeAll(async () => {
    db = await createTestDatabase(PG!);
    pdv = await PdvSim.start({ answerAfterMs: 600_000 });
    queue = new Queue('polls', { prefix, connection: { url: REDIS! } });
    env = {
      DATABASE_URL: db.url,
      REDIS_URL: REDIS!,
      REDIS_PREFIX: prefix,
      PDV_BASE_URL: pdv.url,
      PDV_API_VERSION: 'vbeta4',
      PDV_TIMEOUT_MS: '30000',
      POLL_INTERVAL_MS: '150',
      POLL_MAX_INTERVAL_MS: '1000',
      JOB_LOCK_MS: '1000',
      JOB_STALLED_CHECK_MS: '500',
      SPID_STATIONS: JSON.stringify([{ id: 'unused', name: 'unused', baseUrl: 'http://127.0.0.1:9/gbs-spid-services/api' }]),
      // The station's poll job runs once at boot, then waits an hour: it is never the active job below.
      STATION_POLL_INTERVAL_MS: '3600000',
    };
  }, 60_000);

  afterAll(async () => {
    await crashed?.kill();
    await gw?.close();
    await queue?.close();
    await pdv?.close();
    await db?.drop();
    await deleteRedisKeys(REDIS!, prefix);
  }, 60_000);

  test('a poll stranded by a killed instance is counted as stalled by the instance that takes it over', async () => {
    // Polls hang upstream, so the first poll is still active when its instance dies.
    await pdv.control('POST', '/faults', { route: 'GET /api/:version/transacoes/:id', kind: 'latency', latencyMs: 20_000, count: -1 });
    crashed = await GatewayProcess.start(env);
    const jwt = loadConfig({ NODE_ENV: 'test' }).jwt;
    const res = await fetch(crashed.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await signToken(jwt, { sub: 'metrics-queue', role: 'operator' })}` },
      // A seal window makes the create answer with the transaction: no read in the mutation itself.
      body: JSON.stringify({ query: print(RequestProofOfLifeDocument), variables: { input: { cpf: CPF.neverAnswers, reason: 'Benefício previdenciário', sealReuseWindowMinutes: 5 } } }),
    });
    expect(res.status).toBe(200);
    await eventually(async () => (await queue.getJobCounts('active')).active === 1, 10_000, 50);
    // SIGKILL of the gateway process itself: its job lock is no longer renewed.
    await crashed.kill();
    crashed = undefined;

    gw = await TestGateway.start({ pdvUrl: pdv.url, env });
    const samples = await eventually(async () => {
      const { samples: s } = await scrape(gw!.url);
      return metricValue(s, 'idgw_jobs_stalled_total') === 1 ? s : null;
    }, 15_000, 100);
    expect(metricValue(samples, 'idgw_jobs_stalled_total')).toBe(1);
    await pdv.control('DELETE', '/faults');
  }, 120_000);

  test('idgw_job_queue_jobs is the queue itself (one live job per open entity plus one per cron scheduler); no event-log lag once quiet', async () => {
    expect(gw).toBeDefined();
    const g = gw!;
    for (let i = 0; i < 2; i++) {
      await g.done(RequestProofOfLifeDocument, { input: { cpf: CPF.neverAnswers, reason: 'Benefício previdenciário' } });
    }
    const schedulers = await queue.getJobSchedulersCount();
    expect(schedulers).toBeGreaterThanOrEqual(2);
    // Three open transactions (one from the crashed instance) + the station's poll job + the schedulers' next ticks.
    const samples = await eventually(async () => {
      const { samples: s } = await scrape(g.url);
      return live(s) === 3 + 1 + schedulers ? s : null;
    }, 10_000, 100);
    expect(metricValue(samples, 'idgw_job_queue_jobs', { state: 'failed' })).toBe(0);
    // Event log on PostgreSQL: the head is the store's, all of it dispatched here once quiet.
    const quiet = await eventually(async () => {
      const { samples: s } = await scrape(g.url);
      return metricValue(s, 'idgw_event_log_lag') === 0 ? s : null;
    }, 10_000, 100);
    expect(metricValue(quiet, 'idgw_event_log_head_seq')).toBe(await g.gw.store.latestSeq());
    expect(metricValue(quiet, 'idgw_event_log_dispatched_seq')).toBe(await g.gw.store.latestSeq());
    const direct = await queue.getJobCounts(...LIVE_STATES);
    expect(LIVE_STATES.reduce((n, s) => n + (direct[s] ?? 0), 0)).toBe(3 + 1 + schedulers);
  }, 60_000);
});
