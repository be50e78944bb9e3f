import { join } from 'node:path';
import { createHmac } from 'node:crypto';
import { PersistedDocuments } from './server/persisted-documents';
import { envSchema } from './config.env';

/**
 * Every setting is an environment variable, parsed and validated once at boot.
 * A bad value stops the process with a message naming the variable, because a
 * gateway that starts with a half-understood config fails later, at 3 a.m.,
 * in a place far from the typo. The variables themselves, with their formats
 * and defaults, are declared in src/config.env.ts.
 */
export type { Env } from './config.env';

export interface Config {
  nodeEnv: 'development' | 'production' | 'test';
  /** Why this mode and bind, for the boot log: e.g. `mode: development (NODE_ENV unset), bound to loopback`. */
  modeSummary: string;
  port: number;
  host: string;
  /** express `trust proxy`: false, a hop count, or proxy addresses/subnets. */
  trustProxy: false | number | string[];
  dataDir: string;
  /** See `ROW_CACHE_ENTRIES`. */
  rowCacheEntries: number;
  /** `PGLITE_WASM_TIER_UP`: optimised (TurboFan) WASM code for PGlite; off = Liftoff only, a smaller process. */
  pgliteWasmTierUp: boolean;
  /** `PGLITE_SHARED_BUFFERS`: PostgreSQL's `shared_buffers` inside PGlite, e.g. '4MB'. */
  pgliteSharedBuffers: string;
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  redis: { prefix: string; jobLockMs: number; stalledCheckMs: number; safetyTailMs: number };
  storeTimeoutMs: number;
  reconcileIntervalMs: number;
  logLevel: string;
  /** Bound of the graceful shutdown (`SHUTDOWN_TIMEOUT_MS`). */
  shutdownTimeoutMs: number;
  jwt: { secret: string; jwksUrl: string | undefined; jwksAlgorithms: string[]; issuer: string; audience: string; devTokens: boolean };
  graphql: {
    limits: { maxDepth: number; maxAliases: number; maxCost: number; maxTokens: number; maxDirectives: number };
    bodyLimit: string;
    introspection: boolean;
    /** Hide "Did you mean …?" schema hints (production). */
    hideSuggestions: boolean;
    /** The offline explorer (`EXPLORER_ENABLED`); `devToken`: pre-fill a dev viewer token (dev tokens on, never production). */
    explorer: { enabled: boolean; devToken: boolean };
    corsOrigins: string[];
    maxConnectionsPerUser: number;
    maxSubscriptionsPerUser: number;
    /** graphql-ws sockets: ping interval (0 = off) and the bounds of each socket's send queue. */
    ws: { keepaliveMs: number; queueMaxMessages: number; queueMaxBytes: number };
    rateLimit: { perUserPerMinute: number; perIpPerMinute: number; queryCostPerMinute: number };
    /** The manifests of `PERSISTED_DOCUMENTS` (empty when unset) and `PERSISTED_DOCUMENTS_ONLY`. */
    persistedDocuments: PersistedDocuments;
  };
  /** Signed report links (`REPORT_LINK_KEY`, `REPORT_LINK_TTL_SECONDS`) and `PUBLIC_URL`. */
  reports: { linkKey: string; linkTtlSeconds: number; publicUrl: string | undefined };
  poll: { intervalMs: number; factor: number; maxIntervalMs: number };
  simulators: {
    enabled: boolean;
    pdvPort: number;
    pdvControlPort: number;
    answerAfterMs: number;
    /** `SIMULATOR_STATE_DIR` as given (unset: see `simulatorStateDir`). */
    stateDir: string | undefined;
    spidStations: number;
    spidBasePort: number;
    spidControlPort: number;
    spidRemotePort: number;
  };
  spid: {
    stations: { id: string; name: string; baseUrl: string; token?: string | undefined }[] | undefined;
    timeoutMs: number;
    resendCron: string;
    slowPollMs: number;
    stationPollIntervalMs: number;
  };
  privacy: {
    retentionDays: number;
    retentionCron: string;
    pseudonymKey: string;
    /** Current report key (32 bytes) and older ones kept for reading. */
    reportKey: Buffer;
    reportOldKeys: Buffer[];
  };
  provaDeVida: {
    baseUrl: string | undefined;
    clientId: string;
    clientSecret: string;
    apiVersion: 'vbeta2' | 'vbeta4';
    legacyVbeta1Create: boolean;
    timeoutMs: number;
    requester: { cnpj: string; name: string; service: string };
  };
  tracing: { otlpEndpoint: string | undefined; serviceName: string };
}

/** Only for development: printed tokens signed with it are worthless anywhere else. */
export const DEV_JWT_SECRET = 'dev-only-secret-do-not-use-in-production-0123456789';

/** Development only, like DEV_JWT_SECRET: public, so pseudonyms made with it protect nothing. */
export const DEV_PSEUDONYM_KEY = 'dev-only-pseudonym-key-do-not-use-in-production';
/** Development only (base64 of 32 bytes): reports sealed with it are readable by anyone with this source. */
export const DEV_REPORT_ENCRYPTION_KEY = 'ZGV2LW9ubHktcmVwb3J0LWtleS1ub3QtZm9yLXByb2Q=';
/** The Prova de Vida simulator's OAuth2 client: fine against the simulator, a leak anywhere else. */
export const SIMULATOR_PDV_CLIENT = { id: 'gateway-dev', secret: 'gateway-dev-secret' } as const;

export class ConfigError extends Error {}

/** 127.0.0.0/8, ::1 and `localhost`: nobody else on the network can connect. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^(::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

function parseTrustProxy(v: string | undefined): false | number | string[] {
  if (v === undefined || v === 'false') return false;
  if (/^\d{1,2}$/.test(v)) return Number(v);
  return v.split(',');
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // Empty strings mean "unset": shells and compose files produce them easily.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  // Every problem in one report: schema issues and cross-field rules alike, so
  // an operator fixes them all in one go instead of one per start.
  const problems = parsed.success ? [] : parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
  const production = (cleaned['NODE_ENV'] ?? 'development') === 'production';
  const flag = cleaned['SIMULATORS']?.toLowerCase();
  const simulators = flag === undefined || !['true', 'false', '1', '0', 'yes', 'no'].includes(flag) ? !production : ['true', '1', 'yes'].includes(flag);
  const boundTo = cleaned['HOST'] ?? (production ? '0.0.0.0' : '127.0.0.1');
  const devSecret = !cleaned['JWT_JWKS_URL'] && (cleaned['JWT_SECRET'] === undefined || cleaned['JWT_SECRET'] === DEV_JWT_SECRET);
  if (production && devSecret) {
    problems.push('  JWT_SECRET: required in production (or JWT_JWKS_URL), and not the public dev secret');
  } else if (!isLoopback(boundTo) && devSecret) {
    problems.push(
      `  JWT_SECRET: the public dev secret (and dev tokens) are refused on a non-loopback HOST (${boundTo}); set JWT_SECRET or JWT_JWKS_URL, or bind 127.0.0.1`,
    );
  }
  if (production && ((cleaned['PDV_CLIENT_ID'] ?? SIMULATOR_PDV_CLIENT.id) === SIMULATOR_PDV_CLIENT.id || (cleaned['PDV_CLIENT_SECRET'] ?? SIMULATOR_PDV_CLIENT.secret) === SIMULATOR_PDV_CLIENT.secret)) {
    problems.push("  PDV_CLIENT_ID/PDV_CLIENT_SECRET: the simulator's credentials are refused in production; set the ones gov.br issued");
  }
  if (!simulators && !cleaned['PDV_BASE_URL']) problems.push('  PDV_BASE_URL: required when SIMULATORS=false');
  if (!simulators && !cleaned['SPID_STATIONS']) problems.push('  SPID_STATIONS: required when SIMULATORS=false');
  // Personal data protection keys: the dev ones are public, so production must bring its own.
  if (production && (!cleaned['PSEUDONYM_KEY'] || cleaned['PSEUDONYM_KEY'] === DEV_PSEUDONYM_KEY)) {
    problems.push('  PSEUDONYM_KEY: required in production (min 32 characters, not the dev key)');
  }
  if (production && (!cleaned['REPORT_ENCRYPTION_KEY'] || cleaned['REPORT_ENCRYPTION_KEY'] === DEV_REPORT_ENCRYPTION_KEY)) {
    problems.push('  REPORT_ENCRYPTION_KEY: required in production (base64 of 32 bytes, not the dev key)');
  }
  if (production && !cleaned['REPORT_LINK_KEY']) {
    problems.push('  REPORT_LINK_KEY: required in production (min 32 characters)');
  }
  let persisted = new PersistedDocuments(new Map(), false);
  if (parsed.success) {
    const paths = (parsed.data.PERSISTED_DOCUMENTS ?? '').split(',').map((p) => p.trim()).filter(Boolean);
    if (parsed.data.PERSISTED_DOCUMENTS_ONLY && !paths.length) problems.push('  PERSISTED_DOCUMENTS_ONLY: needs PERSISTED_DOCUMENTS (the manifests to run)');
    try {
      persisted = PersistedDocuments.load(paths, parsed.data.PERSISTED_DOCUMENTS_ONLY);
    } catch (err) {
      problems.push(`  PERSISTED_DOCUMENTS: ${(err as Error).message}`);
    }
  }
  if (parsed.success && parsed.data.POLL_MAX_INTERVAL_MS < parsed.data.POLL_INTERVAL_MS) {
    problems.push('  POLL_MAX_INTERVAL_MS: must be >= POLL_INTERVAL_MS');
  }
  if (!parsed.success || problems.length) throw new ConfigError(`Invalid configuration:\n${problems.join('\n')}`);
  const e = parsed.data;
  const host = e.HOST ?? (production ? '0.0.0.0' : '127.0.0.1');
  const loopback = isLoopback(host);
  return {
    nodeEnv: e.NODE_ENV,
    modeSummary:
      `mode: ${e.NODE_ENV} (${env['NODE_ENV'] ? 'NODE_ENV set' : 'NODE_ENV unset'}), ` +
      `bound to ${loopback ? 'loopback' : `${host} (network)`}${e.HOST ? '' : ' (HOST unset)'}`,
    port: e.PORT,
    host,
    trustProxy: parseTrustProxy(e.TRUST_PROXY),
    dataDir: e.DATA_DIR,
    databaseUrl: e.DATABASE_URL,
    rowCacheEntries: e.ROW_CACHE_ENTRIES,
    pgliteWasmTierUp: e.PGLITE_WASM_TIER_UP,
    pgliteSharedBuffers: e.PGLITE_SHARED_BUFFERS,
    redisUrl: e.REDIS_URL,
    redis: { prefix: e.REDIS_PREFIX, jobLockMs: e.JOB_LOCK_MS, stalledCheckMs: e.JOB_STALLED_CHECK_MS, safetyTailMs: e.EVENT_SAFETY_TAIL_MS },
    storeTimeoutMs: e.STORE_TIMEOUT_MS,
    reconcileIntervalMs: e.RECONCILE_INTERVAL_MS,
    logLevel: e.LOG_LEVEL,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    jwt: {
      secret: e.JWT_SECRET ?? DEV_JWT_SECRET,
      jwksUrl: e.JWT_JWKS_URL,
      jwksAlgorithms: e.JWT_ALGORITHMS.split(','),
      issuer: e.JWT_ISSUER,
      audience: e.JWT_AUDIENCE,
      // Dev tokens are signed with the secret: pointless (and refused) once tokens come from a JWKS.
      // Loopback only: a token printed on a console must not open a gateway others can reach.
      devTokens: !production && !e.JWT_JWKS_URL && loopback,
    },
    graphql: {
      limits: {
        maxDepth: e.GRAPHQL_MAX_DEPTH,
        maxAliases: e.GRAPHQL_MAX_ALIASES,
        maxCost: e.GRAPHQL_MAX_COST,
        maxTokens: e.GRAPHQL_MAX_TOKENS,
        maxDirectives: e.GRAPHQL_MAX_DIRECTIVES,
      },
      bodyLimit: e.GRAPHQL_BODY_LIMIT,
      introspection: e.INTROSPECTION ?? !production,
      hideSuggestions: production,
      explorer: {
        enabled: e.EXPLORER_ENABLED ?? !production,
        devToken: (e.EXPLORER_ENABLED ?? !production) && !production && !e.JWT_JWKS_URL && loopback,
      },
      corsOrigins: (e.CORS_ORIGINS ?? '').split(',').map((o) => o.trim()).filter(Boolean),
      maxConnectionsPerUser: e.WS_MAX_CONNECTIONS_PER_USER,
      maxSubscriptionsPerUser: e.WS_MAX_SUBSCRIPTIONS_PER_USER,
      ws: { keepaliveMs: e.WS_KEEPALIVE_MS, queueMaxMessages: e.WS_QUEUE_MAX_MESSAGES, queueMaxBytes: e.WS_QUEUE_MAX_BYTES },
      rateLimit: {
        perUserPerMinute: e.RATE_LIMIT_USER_PER_MINUTE,
        perIpPerMinute: e.RATE_LIMIT_IP_PER_MINUTE,
        queryCostPerMinute: e.RATE_LIMIT_QUERY_COST_PER_MINUTE,
      },
      persistedDocuments: persisted,
    },
    reports: {
      // Outside production a key derived from the JWT secret: stable across restarts and shared by
      // instances that share the secret, and (like the dev secret itself) worthless elsewhere.
      linkKey: e.REPORT_LINK_KEY ?? createHmac('sha256', e.JWT_SECRET ?? DEV_JWT_SECRET).update('report-link-key').digest('base64'),
      linkTtlSeconds: e.REPORT_LINK_TTL_SECONDS,
      publicUrl: e.PUBLIC_URL?.replace(/\/+$/, ''),
    },
    poll: { intervalMs: e.POLL_INTERVAL_MS, factor: e.POLL_BACKOFF_FACTOR, maxIntervalMs: e.POLL_MAX_INTERVAL_MS },
    simulators: {
      enabled: simulators,
      pdvPort: e.SIMULATOR_PDV_PORT,
      pdvControlPort: e.SIMULATOR_PDV_CONTROL_PORT,
      answerAfterMs: Math.round(e.SIMULATOR_ANSWER_AFTER_SECONDS * 1000),
      stateDir: e.SIMULATOR_STATE_DIR,
      spidStations: e.SIMULATOR_SPID_STATIONS,
      spidBasePort: e.SIMULATOR_SPID_BASE_PORT,
      spidControlPort: e.SIMULATOR_SPID_CONTROL_PORT,
      spidRemotePort: e.SIMULATOR_SPID_REMOTE_PORT,
    },
    spid: { stations: e.SPID_STATIONS, timeoutMs: e.SPID_TIMEOUT_MS, resendCron: e.SPID_RESEND_CRON, slowPollMs: e.SPID_SLOW_POLL_MS, stationPollIntervalMs: e.STATION_POLL_INTERVAL_MS },
    privacy: {
      retentionDays: e.RETENTION_DAYS,
      retentionCron: e.RETENTION_CRON,
      pseudonymKey: e.PSEUDONYM_KEY ?? DEV_PSEUDONYM_KEY,
      reportKey: Buffer.from(e.REPORT_ENCRYPTION_KEY ?? DEV_REPORT_ENCRYPTION_KEY, 'base64'),
      reportOldKeys: (e.REPORT_ENCRYPTION_OLD_KEYS ?? '').split(',').map((k) => k.trim()).filter(Boolean).map((k) => Buffer.from(k, 'base64')),
    },
    provaDeVida: {
      baseUrl: e.PDV_BASE_URL,
      clientId: e.PDV_CLIENT_ID,
      clientSecret: e.PDV_CLIENT_SECRET,
      apiVersion: e.PDV_API_VERSION,
      legacyVbeta1Create: e.PDV_LEGACY_VBETA1_CREATE,
      timeoutMs: e.PDV_TIMEOUT_MS,
      requester: { cnpj: e.PDV_REQUESTER_CNPJ, name: e.PDV_REQUESTER_NAME, service: e.PDV_REQUESTER_SERVICE },
    },
    tracing: { otlpEndpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName: e.OTEL_SERVICE_NAME },
  };
}

/** Where the in-process simulators keep their state: `SIMULATOR_STATE_DIR`, else `DATA_DIR/simulators`; none for a memory store. */
export function simulatorStateDir(config: Pick<Config, 'dataDir' | 'simulators'>): string | undefined {
  if (config.simulators.stateDir) return config.simulators.stateDir;
  return config.dataDir.startsWith('memory://') ? undefined : join(config.dataDir, 'simulators');
}
