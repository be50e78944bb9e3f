import 'reflect-metadata';
import type { Logger } from 'pino';
import type { Config } from './config';
import { EventBus } from './events/bus';
import { createMemoryWakeups } from './events/memory';
import { createRedisWakeups } from './events/redis';
import { BullMqPollScheduler } from './pollers/bullmq';
import { CaptureService, type Station } from './flows/capture.service';
import Redis from 'ioredis';
import { Idempotency } from './flows/idempotency';
import { MutationRateLimiter } from './server/rate-limit';
import { Metrics, meteredScheduler } from './metrics';
import { MessagesService } from './flows/messages.service';
import { ProofOfLifeService } from './flows/proof-of-life.service';
import { PrivacyService } from './flows/privacy.service';
import { ReportCipher } from './privacy/report-cipher';
import { MemoryPollScheduler } from './pollers/memory';
import type { PollScheduler } from './pollers/scheduler';
import { buildGatewaySchema } from './schema/build';
import { startServer, type RunningServer } from './server/server';
import { startProvaDeVidaSimulator, type ProvaDeVidaSimulator } from './simulators/provaDeVida';
import { startSpidSimulator, type SpidSimulator } from './simulators/spid';
import { openPgliteStore } from './store/pglite';
import { openPostgresStore } from './store/postgres';
import { RowCache } from './store/row-cache';
import type { Store } from './store/store';
import { createProvaDeVidaClient } from './upstreams/provaDeVida';
import type { ProvaDeVidaApi } from './upstreams/provaDeVida/types';
import { createSpidStationClient } from './upstreams/spid';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import { tracedScheduler, upstreamSpans } from './tracing';
import { combineObservers } from './upstreams/observer';

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
  close(): Promise<void>;
}

export interface GatewayOptions {
  /** Tests: every span goes to this exporter (tracing on without `OTEL_EXPORTER_OTLP_ENDPOINT`). */
  traceExporter?: SpanExporter | undefined;
}

/**
 * Wires the layers bottom-up: store → event bus → upstream clients →
 * scheduler and flows → GraphQL server. `close()` unwinds in reverse so that
 * nothing writes to a closed store.
 */
export async function startGateway(config: Config, logger: Logger, opts: GatewayOptions = {}): Promise<Gateway> {
  const cleanups: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch (err) {
        logger.warn({ err }, 'error during shutdown');
      }
    }
    cleanups.length = 0;
  };
  try {
    // The SDK (~0.7 s to load) only when spans have somewhere to go.
    const tracing =
      config.tracing.otlpEndpoint || opts.traceExporter
        ? (require('./tracing-sdk') as typeof import('./tracing-sdk')).startTracing({ ...config.tracing, exporter: opts.traceExporter })
        : null;
    if (tracing) cleanups.push(() => tracing.shutdown());
    const store = config.databaseUrl ? await openPostgresStore(config.databaseUrl) : await openPgliteStore(config.dataDir);
    cleanups.push(() => store.close());
    store.useReportCipher(new ReportCipher(config.privacy.reportKey, config.privacy.reportOldKeys));
    store.useRowCache(new RowCache({ maxEntries: config.rowCacheEntries }));

    // Scale-out: Redis carries only wake-ups (at-most-once); the log stays the truth,
    // and a periodic tail bounds how late a lost wake-up can make an event.
    const redis = config.redisUrl ? createRedisWakeups(config.redisUrl, { channelPrefix: config.redis.prefix }) : null;
    if (redis) cleanups.push(() => redis.close());
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
    cleanups.push(() => bus.stop());

    const simulators: Gateway['simulators'] = {};
    let pdvBaseUrl = config.provaDeVida.baseUrl;
    if (config.simulators.enabled) {
      const sim = await startProvaDeVidaSimulator({
        port: config.simulators.pdvPort,
        controlPort: config.simulators.pdvControlPort,
        clientId: config.provaDeVida.clientId,
        clientSecret: config.provaDeVida.clientSecret,
        answerAfterMs: config.simulators.answerAfterMs,
      });
      cleanups.push(() => sim.close());
      simulators.provaDeVida = sim;
      pdvBaseUrl = pdvBaseUrl ?? sim.url;
    }
    if (!pdvBaseUrl) throw new Error('PDV_BASE_URL is not set and the simulator is off');

    let stationConfigs = config.spid.stations;
    if (config.simulators.enabled && !stationConfigs) {
      const sim = await startSpidSimulator({
        stations: config.simulators.spidStations,
        basePort: config.simulators.spidBasePort,
        controlPort: config.simulators.spidControlPort,
        remotePort: config.simulators.spidRemotePort,
      });
      cleanups.push(() => sim.close());
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
    cleanups.push(async () => {
      await Promise.all(stations.map((s) => s.api.close()));
    });

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
    cleanups.push(() => pdv.close());

    const bull = config.redisUrl
      ? new BullMqPollScheduler({
          redisUrl: config.redisUrl,
          policy: config.poll,
          prefix: config.redis.prefix,
          lockDurationMs: config.redis.jobLockMs,
          stalledIntervalMs: config.redis.stalledCheckMs,
          logger: logger.child({ component: 'scheduler' }),
          onStalled: () => metrics.jobsStalled.inc(),
        })
      : null;
    const metered = meteredScheduler(bull ?? new MemoryPollScheduler(config.poll, logger.child({ component: 'scheduler' })), metrics);
    const scheduler: PollScheduler = tracing ? tracedScheduler(metered) : metered;
    const deps = { store, bus, scheduler, logger };
    const proofOfLife = new ProofOfLifeService(deps, pdv, config.provaDeVida.requester);
    const messages = new MessagesService(deps, pdv, { cnpj: config.provaDeVida.requester.cnpj, name: config.provaDeVida.requester.name });
    const captures = new CaptureService(deps, stations, { slowPollMs: config.spid.slowPollMs });
    await scheduler.start();
    cleanups.push(() => scheduler.stop());
    await scheduler.cron('spid-resend-pending', config.spid.resendCron, () => captures.resendAllStations());
    const idempotency = new Idempotency(store);
    let rlRedis: Redis | null = null;
    if (config.redisUrl) {
      const client = new Redis(config.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
      rlRedis = client;
      cleanups.push(async () => {
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

    const schema = await buildGatewaySchema();
    const server = await startServer({
      schema,
      services: { store, bus, proofOfLife, messages, captures, idempotency, rateLimiter, logger, privacy },
      jwt: config.jwt,
      graphql: config.graphql,
      metrics: metrics.registry,
      logger,
      host: config.host,
      port: config.port,
      readiness: async () => {
        const [storeOk, redisOk, queueOk] = await Promise.all([
          store.ping().then(() => true, () => false),
          redis ? redis.health() : Promise.resolve(true),
          bull ? bull.health() : Promise.resolve(true),
        ]);
        return { store: storeOk, ...(redis ? { redis: redisOk } : {}), ...(bull ? { queue: queueOk } : {}) };
      },
    });
    cleanups.push(() => server.close());

    return { server, store, bus, scheduler, privacy, simulators, resumed, close };
  } catch (err) {
    await close();
    throw err;
  }
}
