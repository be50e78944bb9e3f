import { join } from 'node:path';
import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { PersistedDocuments } from './server/persisted-documents';

/**
 * Every setting is an environment variable, parsed and validated once at boot.
 * A bad value stops the process with a message naming the variable, because a
 * gateway that starts with a half-understood config fails later, at 3 a.m.,
 * in a place far from the typo.
 */

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
/** Exactly 32 bytes in standard base64 (43 characters and one `=`). */
const BASE64_32 = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;

const schema = z.object({
  /**
   * `production` turns off dev tokens and simulators, and requires a real `JWT_SECRET` (or JWKS) and real
   * Prova de Vida credentials. Unset means development, and the boot log says so.
   * @default 'development'
   */
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  /** HTTP and WebSocket port of the gateway (one port for both). @default 4000 */
  PORT: int(0, 65535).default(4000),
  /**
   * Interface to bind. Outside production the default is loopback, so a laptop's dev gateway (public dev
   * secret, printed admin tokens) is not reachable from the network; any non-loopback bind refuses the dev
   * secret and dev tokens.
   * @default '127.0.0.1' outside production, '0.0.0.0' in production
   */
  HOST: z.string().min(1).optional(),
  /** Where the embedded PGlite store keeps its files (ignored when `DATABASE_URL` is set). @default './data' */
  DATA_DIR: z.string().min(1).default('./data'),
  /**
   * Embedded store only: let V8 recompile PGlite's hot WASM functions with its optimising compiler
   * (TurboFan). Off, PGlite runs on V8's baseline WASM compiler (Liftoff) alone: measured here, an idle
   * PGlite with this store's settings is ≈ 111 MiB resident instead of 140–180 MiB (the optimised code is
   * kept beside the baseline code), at no measurable cost to the read or write benches, which spend their
   * time in JavaScript, not in PostgreSQL. The V8 flag is process-wide: WASM compiled after the store opens
   * also stays on Liftoff — that is undici's HTTP parser (llhttp), which parses every upstream response; the
   * create bench, one upstream response per create, shows no loss. @default false
   */
  PGLITE_WASM_TIER_UP: bool.default(false),
  /**
   * Embedded store only: PostgreSQL's `shared_buffers` inside PGlite (`kB`/`MB`/`GB`). It is resident for the
   * life of the process (PGlite touches its shared memory at startup): measured on an idle production
   * build, 16 MB → 8 MB → 4 MB gave ≈ 166 → 151 → 147 MiB, and the 200-creates bench spent the same CPU
   * within its noise (21.2–21.6 / 21.8 / 22.2 ms per create). Hot pages of this store's indexes fit; the OS
   * page cache holds the rest. Raise it for a data dir of many GB. @default '4MB'
   */
  PGLITE_SHARED_BUFFERS: z.string().regex(/^[1-9]\d{0,6}(kB|MB|GB)$/, 'a size such as 4MB').default('4MB'),
  /** PostgreSQL connection string; unset = embedded PGlite under `DATA_DIR`. @default unset */
  DATABASE_URL: z.string().url().optional(),
  /** Redis connection string for pub/sub and jobs (scale-out); unset = in-process. @default unset */
  REDIS_URL: z.string().url().optional(),
  /** Prefix of every Redis key and channel (queues, wake-ups), so deployments can share a Redis. @default 'idgw' */
  REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/).default('idgw'),
  /** BullMQ lock: a poll held this long by a dead instance is taken over by another. @default 30000 */
  JOB_LOCK_MS: int(500, 600_000).default(30_000),
  /** How often BullMQ looks for stalled polls. @default 30000 */
  JOB_STALLED_CHECK_MS: int(500, 600_000).default(30_000),
  /**
   * Current transaction and person rows kept in memory for reads (LRU; kept exact by the event log, never
   * across restarts). Entries, not bytes: a row is ~1 KB. 0 = every read goes to the store. @default 10000
   */
  ROW_CACHE_ENTRIES: int(0, 10_000_000).default(10_000),
  /** Scale-out: read the event log this often even without a Redis wake-up (Redis pub/sub is at-most-once). @default 1000 */
  EVENT_SAFETY_TAIL_MS: int(50, 60_000).default(1000),
  /**
   * SIGTERM/SIGINT: how long the graceful shutdown may take (WebSockets closed with 1001, in-flight
   * requests and polls finished, simulators and store closed). Past it, what was still pending is
   * logged and the process exits 1. Keep it below the orchestrator's kill grace (Kubernetes: 30 s).
   * @default 5000
   */
  SHUTDOWN_TIMEOUT_MS: int(100, 600_000).default(5000),
  /** Bound on connecting to PostgreSQL and on each statement: past it a request gets STORE_UNAVAILABLE. @default 1000 */
  STORE_TIMEOUT_MS: int(100, 60_000).default(1000),
  /** How often the reconciler re-registers a poll job for every open entity and re-creates the job schedulers (after a Redis loss). @default 5000 */
  RECONCILE_INTERVAL_MS: int(100, 3_600_000).default(5000),
  /** pino level. @default 'info' */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  /** Deepest selection nesting accepted (HTTP and WebSocket). @default 10 */
  GRAPHQL_MAX_DEPTH: int(1, 100).default(10),
  /** Aliases per operation. @default 15 */
  GRAPHQL_MAX_ALIASES: int(0, 1000).default(15),
  /** graphql-armor cost limit per operation. @default 5000 */
  GRAPHQL_MAX_COST: int(1, 1_000_000).default(5000),
  /** Lexer tokens per document. @default 2000 */
  GRAPHQL_MAX_TOKENS: int(10, 1_000_000).default(2000),
  /** Directives per operation. @default 20 */
  GRAPHQL_MAX_DIRECTIVES: int(0, 1000).default(20),
  /** Largest JSON body of a GraphQL HTTP request, e.g. `100kb`. @default '100kb' */
  GRAPHQL_BODY_LIMIT: z.string().regex(/^\d+(b|kb|mb)$/i, 'a size like 100kb').default('100kb'),
  /** Schema introspection. @default true outside production, false in production */
  INTROSPECTION: bool.optional(),
  /**
   * The offline explorer (GraphiQL bundled from npm, served by the gateway): `GET /graphql` from a browser,
   * assets under `/_ui/explorer/`. Outside production its headers pane is pre-filled with a dev viewer token
   * (only where dev tokens exist). Off: a browser gets Apollo's plain answer, no HTML.
   * @default true outside production, false in production
   */
  EXPLORER_ENABLED: bool.optional(),
  /** WebSocket connections one user (token `sub`) may hold at once; more are closed with 4429. @default 20 */
  WS_MAX_CONNECTIONS_PER_USER: int(1, 10_000).default(20),
  /** Live subscriptions one user may hold across their sockets; more get TOO_MANY_SUBSCRIPTIONS. @default 100 */
  WS_MAX_SUBSCRIPTIONS_PER_USER: int(1, 100_000).default(100),
  /** WebSocket ping interval; a socket that has not answered the previous ping is terminated, so a dead peer is dropped within 2× this. 0 = off. @default 30000 */
  WS_KEEPALIVE_MS: int(0, 3_600_000).default(30_000),
  /** Messages waiting on one WebSocket before its subscriptions are ended with SUBSCRIBER_TOO_SLOW (and the seq to resume after). @default 1000 */
  WS_QUEUE_MAX_MESSAGES: int(1, 1_000_000).default(1000),
  /** Bytes waiting on one WebSocket before its subscriptions are ended with SUBSCRIBER_TOO_SLOW. @default 4194304 (4 MiB) */
  WS_QUEUE_MAX_BYTES: int(1024, 1_073_741_824).default(4 * 1024 * 1024),
  /** Mutations per user per minute (then RATE_LIMITED with retry-after). @default 60 */
  RATE_LIMIT_USER_PER_MINUTE: int(1, 1_000_000).default(60),
  /** Mutations per client IP per minute. @default 120 */
  RATE_LIMIT_IP_PER_MINUTE: int(1, 1_000_000).default(120),
  /**
   * Query budget per user (anonymous: per IP) per minute, in cost units: 1 per selected field
   * (no field calls an upstream); past it RATE_LIMITED.
   * @default 20000
   */
  RATE_LIMIT_QUERY_COST_PER_MINUTE: int(1, 100_000_000).default(20_000),
  /**
   * Which proxies to believe for the client address (express `trust proxy`), so per-IP limits and the audit
   * see the real client behind a load balancer via `X-Forwarded-For`: a hop count (`1` = one load balancer in
   * front), or a comma-separated list of proxy addresses/subnets (`10.0.0.0/8,loopback`). `true` (trust any
   * sender) is refused: every client could pick its own address.
   * @default unset: X-Forwarded-For is ignored, the socket address is the client
   */
  TRUST_PROXY: z
    .string()
    .regex(/^(\d{1,2}|false|[0-9A-Za-z.:/]+(,[0-9A-Za-z.:/]+)*)$/, 'a hop count, or a comma-separated list of addresses/subnets')
    .refine((v) => v !== 'true', 'true would trust any client; give a hop count or the proxy subnets')
    .optional(),
  /** Browser origins allowed by CORS, comma-separated (`*` for any). @default unset: no CORS headers (same-origin only) */
  CORS_ORIGINS: z.string().optional(),
  /**
   * Persisted-document manifests, comma-separated paths of JSON files `{ "sha256:<hex>": "<document>" }`
   * (graphql-codegen client-preset `persistedDocuments` output), read at boot; a request may then send
   * `documentId` (or Apollo's `extensions.persistedQuery`) instead of the document. @default unset
   */
  PERSISTED_DOCUMENTS: z.string().optional(),
  /**
   * Run only documents from `PERSISTED_DOCUMENTS` (a safelist; recommended in production): a raw `query`
   * is refused with PERSISTED_DOCUMENT_REQUIRED, an unknown hash with PERSISTED_DOCUMENT_NOT_FOUND,
   * over HTTP and WebSocket, and Apollo's APQ registry is off. @default false
   */
  PERSISTED_DOCUMENTS_ONLY: bool.default(false),
  /**
   * This gateway's public origin as browsers reach it (`https://gw.example.gov.br`), used for absolute
   * links such as `CaptureReport.downloadUrl`. @default unset: the request's own origin (scheme and host,
   * from X-Forwarded-Proto/-Host only when `TRUST_PROXY` trusts the sender)
   */
  PUBLIC_URL: z.string().url().optional(),
  /**
   * HMAC key of signed report links (`CaptureReport.downloadUrl`), min 32 characters; required in
   * production. Every instance must share it. @default derived from `JWT_SECRET` outside production
   */
  REPORT_LINK_KEY: z.string().min(32).optional(),
  /** Lifetime of a signed report link, in seconds. @default 300 */
  REPORT_LINK_TTL_SECONDS: int(10, 86_400).default(300),
  /** HS256 secret for bearer tokens; required in production (min 32 chars). @default a fixed dev secret outside production */
  JWT_SECRET: z.string().min(32).optional(),
  /** JWKS URL of an OIDC provider (e.g. gov.br Login Único); when set, tokens are verified against it, not `JWT_SECRET`. @default unset */
  JWT_JWKS_URL: z.string().url().optional(),
  /** Algorithms accepted with `JWT_JWKS_URL`, comma-separated. @default 'RS256,ES256' */
  JWT_ALGORITHMS: z.string().regex(/^(RS|PS|ES)(256|384|512)(,(RS|PS|ES)(256|384|512))*$/, 'asymmetric JWS algorithms, e.g. RS256,ES256').default('RS256,ES256'),
  /** Expected `iss` of tokens. @default 'identity-flows-gateway' */
  JWT_ISSUER: z.string().min(1).default('identity-flows-gateway'),
  /** Expected `aud` of tokens. @default 'identity-flows-gateway' */
  JWT_AUDIENCE: z.string().min(1).default('identity-flows-gateway'),

  /** First delay between two polls of an open entity. @default 2000 */
  POLL_INTERVAL_MS: int(50, 3_600_000).default(2000),
  /** Each poll that sees no change multiplies the delay by this. @default 1.5 */
  POLL_BACKOFF_FACTOR: z.coerce.number().min(1).max(10).default(1.5),
  /** The delay never grows beyond this. @default 30000 */
  POLL_MAX_INTERVAL_MS: int(50, 86_400_000).default(30_000),

  /** Start the built-in upstream simulators in-process (`npm start`). @default true outside production, false in production */
  SIMULATORS: bool.optional(),
  /** Port of the in-process Prova de Vida simulator (0 = any free port). @default 4010 */
  SIMULATOR_PDV_PORT: int(0, 65535).default(4010),
  /** Port of the Prova de Vida simulator's control API. @default 4011 */
  SIMULATOR_PDV_CONTROL_PORT: int(0, 65535).default(4011),
  /**
   * Where the simulators keep their state (JSON files, written atomically) so that a restart — even
   * after kill -9 — completes every open flow. @default `DATA_DIR/simulators` for the in-process
   * simulators (`npm start`; none with `DATA_DIR=memory://`); memory only for `npm run simulators`
   */
  SIMULATOR_STATE_DIR: z.string().min(1).optional(),
  /** Seconds before a simulated citizen answers. @default 5 */
  SIMULATOR_ANSWER_AFTER_SECONDS: z.coerce.number().min(0).max(3600).default(5),

  /**
   * Prova de Vida base URL (no `/api`); with simulators on, the simulator's URL is used. Homologation per the
   * 2025-12 manual: `https://h.meugov.np.estaleiro.serpro.gov.br` (the former `h.meugov.estaleiro…` host was
   * announced only until 31/12/2025); production is not in the manual.
   * @default unset
   */
  PDV_BASE_URL: z.string().url().optional(),
  /** OAuth2 client id issued by gov.br; production refuses the simulator's. @default 'gateway-dev' (the simulator's) */
  PDV_CLIENT_ID: z.string().min(1).default('gateway-dev'),
  /** OAuth2 client secret issued by gov.br; production refuses the simulator's. @default 'gateway-dev-secret' (the simulator's) */
  PDV_CLIENT_SECRET: z.string().min(1).default('gateway-dev-secret'),
  /** `vbeta2` (the seed) or `vbeta4` (current manual: categories, denial reasons, cancel). @default 'vbeta4' */
  PDV_API_VERSION: z.enum(['vbeta2', 'vbeta4']).default('vbeta4'),
  /**
   * Legacy: a request without a seal window goes to `POST /api/vbeta1/transacoes`
   * (the simplified transaction, removed from the manual in 2021). Off: it goes
   * to `PDV_API_VERSION` without `selogovbr_reuso_em`, as the current manual says.
   * @default false
   */
  PDV_LEGACY_VBETA1_CREATE: bool.default(false),
  /** Upstream request timeout. @default 10000 */
  PDV_TIMEOUT_MS: int(100, 120_000).default(10_000),
  /** Requester CNPJ sent in every transaction and message. @default '33.683.111/0001-07' */
  PDV_REQUESTER_CNPJ: z.string().regex(/^\d{2}\.?\d{3}\.?\d{3}\/?\d{4}-?\d{2}$/, 'a CNPJ').default('33.683.111/0001-07'),
  /** Requester (organ) name. @default 'Secretaria de Governo Digital' */
  PDV_REQUESTER_NAME: z.string().min(1).default('Secretaria de Governo Digital'),
  /** Requester service name. @default 'AppGovBr' */
  PDV_REQUESTER_SERVICE: z.string().min(1).default('AppGovBr'),

  /**
   * SPID stations as JSON: `[{"id":"desk-1","name":"Desk 1","baseUrl":"http://10.0.0.5:19980/gbs-spid-services/api","token":"…"}]`
   * (`token` optional). With simulators on and this unset, the simulator's stations.
   * @default unset
   */
  SPID_STATIONS: z
    .string()
    .transform((s, ctx) => {
      try {
        return JSON.parse(s) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be JSON' });
        return z.NEVER;
      }
    })
    .pipe(
      z
        .array(
          z.object({
            id: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/),
            name: z.string().min(1),
            baseUrl: z.string().url(),
            token: z.string().min(1).optional(),
          }),
        )
        .min(1),
    )
    .optional(),
  /** SPID station request timeout. @default 10000 */
  SPID_TIMEOUT_MS: int(100, 120_000).default(10_000),
  /** Cron expression of the Capture Resend All job (the seed recommends daily). @default '0 3 * * *' */
  SPID_RESEND_CRON: z.string().min(9).default('0 3 * * *'),
  /** Enroll results (which may take hours) and pending sends are polled no more often than this. @default 30000 */
  SPID_SLOW_POLL_MS: int(50, 86_400_000).default(30_000),
  /**
   * Each station's Login Status is polled this often (one poll per station
   * cluster-wide): online/offline and operator changes are recorded as
   * station events at most this late (logins through the API at once).
   * @default 5000
   */
  STATION_POLL_INTERVAL_MS: int(100, 3_600_000).default(5000),
  /**
   * Days a finished flow (answered/expired/cancelled transaction, message,
   * final capture with its report) keeps its CPF and report PDF; after that the
   * privacy job deletes the PDF and replaces the CPF by a keyed pseudonym.
   * @default 365
   */
  RETENTION_DAYS: int(1, 36_500).default(365),
  /** Cron expression of the privacy job (retention, re-sealing reports under the current key); one run per cluster. @default '40 3 * * *' */
  RETENTION_CRON: z.string().min(9).default('40 3 * * *'),
  /** HMAC key of CPF pseudonyms (min 32 chars); required in production. Changing it breaks linkability with older pseudonyms. @default a fixed dev key outside production */
  PSEUDONYM_KEY: z.string().min(32).optional(),
  /** AES-256-GCM key of report PDFs at rest: base64 of 32 bytes (`openssl rand -base64 32`); required in production. @default a fixed dev key outside production */
  REPORT_ENCRYPTION_KEY: z.string().regex(BASE64_32, 'base64 of exactly 32 bytes').optional(),
  /** Previous report keys, comma-separated base64 (each 32 bytes), kept only to read blobs sealed before a rotation. @default unset */
  REPORT_ENCRYPTION_OLD_KEYS: z
    .string()
    .refine((s) => s.split(',').every((k) => BASE64_32.test(k.trim())), 'comma-separated base64 keys of exactly 32 bytes each')
    .optional(),
  /** Number of simulated stations. @default 3 */
  SIMULATOR_SPID_STATIONS: int(1, 20).default(3),
  /** First port of the simulated stations (one port each). @default 4020 */
  SIMULATOR_SPID_BASE_PORT: int(0, 65535).default(4020),
  /** Port of the SPID simulator's control API. @default 4040 */
  SIMULATOR_SPID_CONTROL_PORT: int(0, 65535).default(4040),
  /** Port of the simulated remote-capture service (the URLs handed to citizens). @default 4041 */
  SIMULATOR_SPID_REMOTE_PORT: int(0, 65535).default(4041),

  /**
   * OpenTelemetry: OTLP/HTTP collector base URL (spans go to `<url>/v1/traces`,
   * headers from `OTEL_EXPORTER_OTLP_HEADERS`); unset = no tracing. @default unset
   */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().optional(),
  /** `service.name` of the spans. @default 'identity-flows-gateway' */
  OTEL_SERVICE_NAME: z.string().min(1).default('identity-flows-gateway'),
});

export type Env = z.input<typeof schema>;

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
  const parsed = schema.safeParse(cleaned);
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
