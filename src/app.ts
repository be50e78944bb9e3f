import 'reflect-metadata';
import type { Logger } from 'pino';
import { simulatorStateDir, type Config } from './config';
import { EventBus } from './events/bus';
import { createMemoryWakeups } from './events/memory';
import { CaptureService, type Station } from './flows/capture.service';
import type Redis from 'ioredis';
import { Idempotency } from './flows/idempotency';
import { MutationRateLimiter } from './server/rate-limit';
import { Metrics, meteredScheduler } from './metrics';
import { MessagesService } from './flows/messages.service';
import { ProofOfLifeService } from './flows/proof-of-life.service';
import { STATION_POLL_KIND, StationsService } from './flows/stations.service';
import { PrivacyService } from './flows/privacy.service';
import { ReportCipher } from './privacy/report-cipher';
import { MemoryPollScheduler } from './pollers/memory';
import { Reconciler, RedisCoordination } from './pollers/reconciler';
import { probeRedis } from './boot-checks';
import { openEntitySources } from './flows/open-entities';
import type { PollScheduler } from './pollers/scheduler';
import { buildGatewaySchema } from './schema/build';
import { startServer, type RunningServer } from './server/server';
import type { ProvaDeVidaSimulator } from './simulators/provaDeVida';
import type { SpidSimulator } from './simulators/spid';
import { openPgliteStore } from './store/pglite';
import { RowCache } from './store/row-cache';
import type { Store } from './store/store';
import { createProvaDeVidaClient } from './upstreams/provaDeVida';
import type { ProvaDeVidaApi } from './upstreams/provaDeVida/types';
import { createSpidStationClient } from './upstreams/spid';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import { tracedScheduler, upstreamSpans } from './tracing';
import { combineObservers } from './upstreams/observer';

/**
 * Loaded only when configured: the simulators (never in production), Redis
 * and BullMQ (scale-out), pg (DATABASE_URL). The embedded default thus never
 * has their code in memory (≈15 MiB for Redis/BullMQ/pg alone). `require`
 * rather than `import()`: dist/ is CommonJS, and it also works under
 * tsx and ts-jest, whose in-process gateways use Redis and PostgreSQL.
 */
const load = {
  pdvSimulator: () => require('./simulators/provaDeVida') as typeof import('./simulators/provaDeVida'),
  spidSimulator: () => require('./simulators/spid') as typeof import('./simulators/spid'),
  redisWakeups: () => require('./events/redis') as typeof import('./events/redis'),
  bullmq: () => require('./pollers/bullmq') as typeof import('./pollers/bullmq'),
  ioredis: () => (require('ioredis') as typeof import('ioredis')).Redis,
  postgres: () => require('./store/postgres') as typeof import('./store/postgres'),
};

export interface Gateway {
  server: RunningServer;
  store: Store;
  bus: EventBus;
  scheduler: PollScheduler;
  /** Retention, erasure, export (tests trigger the retention job through it). */
  privacy: PrivacyService;
  /** In-process simulators, when `SIMULATORS` is on. */
  simulators: { provaDeVida?: ProvaDeVidaSimulator; spid?: SpidSimulator };
  /** Open transactions and captures found in the store and watched again at boot. */
  resumed: { transactions: number; captures: number };
  /** Graceful and idempotent: see the order in `startGateway`. */
  close(): Promise<void>;
  /** What `close()` is waiting for now (logged when the shutdown bound is exceeded). */
  pending(): Record<string, string | number>;
}

export interface GatewayOptions {
  /** The gateway can no longer run safely (its `DATA_DIR` lock was lost): the caller should shut it down. */
  onFatal?: (reason: string) => void;
  /** Tests: every span goes to this exporter (tracing on without `OTEL_EXPORTER_OTLP_ENDPOINT`). */
  traceExporter?: SpanExporter | undefined;
}

/**
 * Wires the layers bottom-up: store → event bus → upstream clients →
 * scheduler and flows → GraphQL server. `close()` unwinds in reverse so that
 * nothing writes to a closed store: first, together, the GraphQL server
 * (stops accepting, WebSockets closed with 1001, in-flight requests finish)
 * and the scheduler (no poll starts any more, running ones finish); then the
 * upstream clients, the simulators (state saved, listeners closed), the event
 * bus, Redis, and last the store (and its `DATA_DIR` lock).
 */
export async function startGateway(config: Config, logger: Logger, opts: GatewayOptions = {}): Promise<Gateway> {
  const cleanups: { name: string; fn: () => Promise<unknown> }[] = [];
  const onClose = (name: string, fn: () => Promise<unknown>) => cleanups.push({ name, fn });
  let closeStep = 'running';
  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      for (const { name, fn } of cleanups.reverse()) {
        closeStep = name;
        try {
          await fn();
        } catch (err) {
          logger.warn({ err, step: name }, 'error during shutdown');
        }
      }
      cleanups.length = 0;
      closeStep = 'closed';
    })());
  let running: { server: RunningServer; polls: MemoryPollScheduler | null } | null = null;
  const pending = (): Record<string, string | number> => ({
    step: closeStep,
    ...(running ? running.server.inFlight() : {}),
    ...(running?.polls ? { pollsRunning: running.polls.running } : {}),
  });
  try {
    // The SDK (~0.7 s to load) only when spans have somewhere to go.
    const tracing =
      config.tracing.otlpEndpoint || opts.traceExporter
        ? (require('./tracing-sdk') as typeof import('./tracing-sdk')).startTracing({ ...config.tracing, exporter: opts.traceExporter })
        : null;
    if (tracing) onClose('tracing', () => tracing.shutdown());
    const onLockLost = (err: Error) => {
      logger.fatal({ err }, 'DATA_DIR lock lost (not refreshed in time): another process may take the data dir; stopping');
      opts.onFatal?.('DATA_DIR lock lost');
    };
    // Fail fast on an unreachable dependency, naming its variable (src/boot-checks.ts).
    const [store] = await Promise.all([
      config.databaseUrl
        ? load.postgres().openPostgresStore(config.databaseUrl, { timeoutMs: config.storeTimeoutMs, logger: logger.child({ component: 'store' }) })
        : openPgliteStore(config.dataDir, { onLockLost, wasmTierUp: config.pgliteWasmTierUp, sharedBuffers: config.pgliteSharedBuffers }),
      config.redisUrl ? probeRedis(config.redisUrl) : null,
    ]);
    onClose('store', () => store.close());
    store.useReportCipher(new ReportCipher(config.privacy.reportKey, config.privacy.reportOldKeys));
    store.useRowCache(new RowCache({ maxEntries: config.rowCacheEntries }));

    // Scale-out: Redis carries only wake-ups (at-most-once); the log stays the truth,
    // and a periodic tail bounds how late a lost wake-up can make an event.
    const redis = config.redisUrl ? load.redisWakeups().createRedisWakeups(config.redisUrl, { channelPrefix: config.redis.prefix, logger }) : null;
    if (redis) onClose('redis wake-ups', () => redis.close());
    // Read at scrape time, after `bus` and `scheduler` exist.
    const metrics = new Metrics({
      subscriberCount: () => bus.subscriberCount,
      eventLog: async () => {
        const head = await store.latestSeq();
        return { head, dispatched: bus.dispatchedSeq };
      },
      subscriberQueues: () => bus.queueDepths(),
      jobCounts: async () => (scheduler.jobCounts ? scheduler.jobCounts() : {}),
    });
    const observer = tracing ? combineObservers(metrics.upstream, upstreamSpans) : metrics.upstream;
    const bus = new EventBus(store, redis ? redis.pubsub : createMemoryWakeups(), {
      logger,
      onDispatch: (e) => metrics.events.inc({ topic: e.topic }),
      safetyTailMs: redis ? config.redis.safetyTailMs : 0,
    });
    await bus.start();
    onClose('event bus', () => bus.stop());

    const simulators: Gateway['simulators'] = {};
    let pdvBaseUrl = config.provaDeVida.baseUrl;
    const stateDir = simulatorStateDir(config);
    if (config.simulators.enabled) {
      const { startProvaDeVidaSimulator } = load.pdvSimulator();
      const sim = await startProvaDeVidaSimulator({
        port: config.simulators.pdvPort,
        controlPort: config.simulators.pdvControlPort,
        clientId: config.provaDeVida.clientId,
        clientSecret: config.provaDeVida.clientSecret,
        answerAfterMs: config.simulators.answerAfterMs,
        ...(stateDir ? { stateDir } : {}),
      });
      onClose('prova-de-vida simulator', () => sim.close());
      simulators.provaDeVida = sim;
      pdvBaseUrl = pdvBaseUrl ?? sim.url;
    }
    if (!pdvBaseUrl) throw new Error('PDV_BASE_URL is not set and the simulator is off');

    let stationConfigs = config.spid.stations;
    if (config.simulators.enabled && !stationConfigs) {
      const { startSpidSimulator } = load.spidSimulator();
      const sim = await startSpidSimulator({
        stations: config.simulators.spidStations,
        basePort: config.simulators.spidBasePort,
        controlPort: config.simulators.spidControlPort,
        remotePort: config.simulators.spidRemotePort,
        ...(stateDir ? { stateDir } : {}),
      });
      onClose('spid simulator', () => sim.close());
      simulators.spid = sim;
      stationConfigs = sim.stations;
    }
    if (!stationConfigs) throw new Error('SPID_STATIONS is not set and the simulator is off');
    const stations: Station[] = stationConfigs.map((s) => ({
      id: s.id,
      name: s.name,
      api: createSpidStationClient({
        baseUrl: s.baseUrl,
        token: 'token' in s ? s.token : undefined,
        stationId: s.id,
        requestTimeoutMs: config.spid.timeoutMs,
        logger: logger.child({ upstream: 'spid', stationId: s.id }),
        observer,
      }),
    }));
    onClose('spid clients', () => Promise.all(stations.map((s) => s.api.close())));

    const pdv: ProvaDeVidaApi = createProvaDeVidaClient({
      baseUrl: pdvBaseUrl,
      clientId: config.provaDeVida.clientId,
      clientSecret: config.provaDeVida.clientSecret,
      apiVersion: config.provaDeVida.apiVersion,
      legacyVbeta1Create: config.provaDeVida.legacyVbeta1Create,
      requestTimeoutMs: config.provaDeVida.timeoutMs,
      logger: logger.child({ upstream: 'provaDeVida' }),
      observer,
    });
    onClose('prova-de-vida client', () => pdv.close());

    const bull = config.redisUrl
      ? new (load.bullmq().BullMqPollScheduler)({
          redisUrl: config.redisUrl,
          policy: config.poll,
          prefix: config.redis.prefix,
          lockDurationMs: config.redis.jobLockMs,
          stalledIntervalMs: config.redis.stalledCheckMs,
          logger: logger.child({ component: 'scheduler' }),
          onStalled: () => metrics.jobsStalled.inc(),
        })
      : null;
    const memoryPolls = bull ? null : new MemoryPollScheduler(config.poll, logger.child({ component: 'scheduler' }));
    const raw = bull ?? memoryPolls!;
    const metered = meteredScheduler(raw, metrics);
    const scheduler: PollScheduler = tracing ? tracedScheduler(metered) : metered;
    const deps = { store, bus, scheduler, logger };
    const pdvTimeouts = { apiVersion: config.provaDeVida.apiVersion, legacyVbeta1Create: config.provaDeVida.legacyVbeta1Create, upstreamTimeoutMs: config.provaDeVida.timeoutMs };
    const proofOfLife = new ProofOfLifeService(deps, pdv, config.provaDeVida.requester, pdvTimeouts);
    const messages = new MessagesService(deps, pdv, { cnpj: config.provaDeVida.requester.cnpj, name: config.provaDeVida.requester.name }, pdvTimeouts);
    const stationStates = new StationsService(deps, stations, { pollIntervalMs: config.spid.stationPollIntervalMs });
    const captures = new CaptureService(deps, stations, {
      slowPollMs: config.spid.slowPollMs,
      stationTimeoutMs: config.spid.timeoutMs,
      onStationHolding: (tx, stationId) => stationStates.recordHolder(tx, stationId),
      onLogin: (stationId, state) => stationStates.loginObserved(stationId, state),
    });
    await scheduler.start();
    onClose('scheduler', () => scheduler.stop());
    await scheduler.cron('spid-resend-pending', config.spid.resendCron, () => captures.resendAllStations());
    const idempotency = new Idempotency(store);
    let rlRedis: Redis | null = null;
    if (config.redisUrl) {
      const client = new (load.ioredis())(config.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
      client.on('error', (err: Error) => logger.debug({ err: err.message }, 'rate limiter redis error'));
      rlRedis = client;
      onClose('rate-limit redis', async () => {
        client.disconnect();
      });
    }
    const rateLimiter = new MutationRateLimiter(config.graphql.rateLimit, rlRedis ? { client: rlRedis, prefix: config.redis.prefix } : undefined);
    await scheduler.cron('idempotency-sweep', '17 * * * *', async () => {
      await idempotency.sweep();
    });
    const privacy = new PrivacyService(deps, { retentionDays: config.privacy.retentionDays, pseudonymKey: config.privacy.pseudonymKey });
    await scheduler.cron('privacy-retention', config.privacy.retentionCron, () => privacy.runJob());
    const resumed = { transactions: await proofOfLife.resume(), captures: await captures.resume() };
    await messages.resume(); // message intents (SENDING) left by a crash
    await stationStates.start(); // one poll series per station, cluster-wide (a no-op where another instance made it)
    const reconciler = new Reconciler({
      scheduler: raw,
      sources: [...openEntitySources(store, { startGraceMs: config.spid.timeoutMs }), { kind: STATION_POLL_KIND, openIds: async () => stationStates.ids() }],
      intervalMs: config.reconcileIntervalMs,
      coordination: config.redisUrl ? new RedisCoordination(config.redisUrl, config.redis.prefix, logger) : undefined,
      logger: logger.child({ component: 'reconciler' }),
    });
    reconciler.start();
    onClose('reconciler', () => reconciler.stop());

    const schema = await buildGatewaySchema();
    const server = await startServer({
      schema,
      services: { store, bus, proofOfLife, messages, captures, stations: stationStates, idempotency, rateLimiter, logger, privacy },
      jwt: config.jwt,
      graphql: config.graphql,
      metrics: metrics.registry,
      logger,
      host: config.host,
      port: config.port,
      // The shutdown bound (main.ts) decides when to give up; the HTTP drain does not cut requests sooner.
      drainGraceMs: config.shutdownTimeoutMs,
      trustProxy: config.trustProxy,
      reports: config.reports,
      readiness: async () => {
        const [storeOk, redisOk, queueOk] = await Promise.all([
          store.ping().then(() => true, () => false),
          redis ? redis.health() : Promise.resolve(true),
          bull ? bull.health() : Promise.resolve(true),
        ]);
        // `queue` also waits for a reconcile pass after a Redis outage: until then some flows are not polled.
        return { store: storeOk, ...(redis ? { redis: redisOk } : {}), ...(bull ? { queue: queueOk && reconciler.ready() } : {}) };
      },
    });
    // Together: no poll starts once draining begins, while in-flight requests and polls finish.
    // (BullMQ: only its worker here; the queue closes later, after requests that may still add a poll job.)
    onClose('http, websockets and polls', () => Promise.all([server.close(), bull ? bull.stopWorker() : scheduler.stop()]));
    running = { server, polls: memoryPolls };

    return { server, store, bus, scheduler, privacy, simulators, resumed, close, pending };
  } catch (err) {
    await close();
    throw err;
  }
}
