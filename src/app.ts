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
import { MemoryPollScheduler } from './pollers/memory';
import { Reconciler, RedisCoordination } from './pollers/reconciler';
import { probeRedis } from './boot-checks';
import { openEntitySources } from './flows/open-entities';
import type { PollScheduler } from './pollers/scheduler';
import { buildGatewaySchema } from './schema/build';
import { startServer, type RunningServer } from './server/server';
import { startProvaDeVidaSimulator, type ProvaDeVidaSimulator } from './simulators/provaDeVida';
import { startSpidSimulator, type SpidSimulator } from './simulators/spid';
import { openPgliteStore } from './store/pglite';
import { openPostgresStore } from './store/postgres';
import type { Store } from './store/store';
import { createProvaDeVidaClient } from './upstreams/provaDeVida';
import type { ProvaDeVidaApi } from './upstreams/provaDeVida/types';
import { createSpidStationClient } from './upstreams/spid';

export interface Gateway {
  server: RunningServer;
  store: Store;
  bus: EventBus;
  scheduler: PollScheduler;
  /** In-process simulators, when `SIMULATORS` is on. */
  simulators: { provaDeVida?: ProvaDeVidaSimulator; spid?: SpidSimulator };
  /** Open transactions and captures found in the store and watched again at boot. */
  resumed: { transactions: number; captures: number };
  close(): Promise<void>;
}

/**
 * Wires the layers bottom-up: store → event bus → upstream clients →
 * scheduler and flows → GraphQL server. `close()` unwinds in reverse so that
 * nothing writes to a closed store.
 */
export async function startGateway(config: Config, logger: Logger): Promise<Gateway> {
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
    // Fail fast on an unreachable dependency, naming its variable (src/boot-checks.ts).
    const [store] = await Promise.all([
      config.databaseUrl
        ? openPostgresStore(config.databaseUrl, { timeoutMs: config.storeTimeoutMs, logger: logger.child({ component: 'store' }) })
        : openPgliteStore(config.dataDir),
      config.redisUrl ? probeRedis(config.redisUrl) : null,
    ]);
    cleanups.push(() => store.close());

    // Scale-out: Redis carries only wake-ups (at-most-once); the log stays the truth,
    // and a periodic tail bounds how late a lost wake-up can make an event.
    const redis = config.redisUrl ? createRedisWakeups(config.redisUrl, { channelPrefix: config.redis.prefix, logger }) : null;
    if (redis) cleanups.push(() => redis.close());
    // Read at scrape time, after `bus` exists.
    const metrics = new Metrics(() => bus.subscriberCount);
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
      requestTimeoutMs: config.provaDeVida.timeoutMs,
      logger: logger.child({ upstream: 'provaDeVida' }),
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
        })
      : null;
    const raw = bull ?? new MemoryPollScheduler(config.poll, logger.child({ component: 'scheduler' }));
    const scheduler: PollScheduler = meteredScheduler(raw, metrics);
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
      client.on('error', (err: Error) => logger.debug({ err: err.message }, 'rate limiter redis error'));
      rlRedis = client;
      cleanups.push(async () => {
        client.disconnect();
      });
    }
    const rateLimiter = new MutationRateLimiter(config.graphql.rateLimit, rlRedis ? { client: rlRedis, prefix: config.redis.prefix } : undefined);
    await scheduler.cron('idempotency-sweep', '17 * * * *', async () => {
      await idempotency.sweep();
    });
    const resumed = { transactions: await proofOfLife.resume(), captures: await captures.resume() };
    const reconciler = new Reconciler({
      scheduler: raw,
      sources: openEntitySources(store, { startGraceMs: config.spid.timeoutMs }),
      intervalMs: config.reconcileIntervalMs,
      coordination: config.redisUrl ? new RedisCoordination(config.redisUrl, config.redis.prefix, logger) : undefined,
      logger: logger.child({ component: 'reconciler' }),
    });
    reconciler.start();
    cleanups.push(() => reconciler.stop());

    const schema = await buildGatewaySchema();
    const server = await startServer({
      schema,
      services: { store, bus, proofOfLife, messages, captures, idempotency, rateLimiter, logger },
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
        // `queue` also waits for a reconcile pass after a Redis outage: until then some flows are not polled.
        return { store: storeOk, ...(redis ? { redis: redisOk } : {}), ...(bull ? { queue: queueOk && reconciler.ready() } : {}) };
      },
    });
    cleanups.push(() => server.close());

    return { server, store, bus, scheduler, simulators, resumed, close };
  } catch (err) {
    await close();
    throw err;
  }
}
