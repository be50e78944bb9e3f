import { z } from 'zod';

/**
 * The environment variables the gateway reads: names, formats and defaults,
 * each documented where it is declared. Cross-field rules and the production
 * checks live in `loadConfig` (src/config.ts), which parses with this schema.
 */

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
/** Exactly 32 bytes in standard base64 (43 characters and one `=`). */
const BASE64_32 = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;

export const envSchema = z.object({
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

export type Env = z.input<typeof envSchema>;
