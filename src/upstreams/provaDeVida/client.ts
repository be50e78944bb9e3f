/**
 * HTTP client for gov.br Prova de Vida. Knows the upstream's paths, its
 * OAuth2 token dance and its quirks; callers see only `ProvaDeVidaApi` and the
 * error classes of `../errors.ts`.
 *
 * Nothing the upstream sends (bodies, status lines) and nothing secret
 * (host, token, client secret) ever reaches an error message or a log line:
 * every message below is a fixed string of ours.
 */
import {
  BrokenCircuitError,
  ConsecutiveBreaker,
  ExponentialBackoff,
  IsolatedCircuitError,
  TaskCancelledError,
  TimeoutStrategy,
  circuitBreaker,
  handleWhen,
  retry,
  timeout,
  wrap,
  type IPolicy,
} from 'cockatiel';
import type { Logger } from 'pino';
import { Pool } from 'undici';
import {
  UpstreamAuthError,
  UpstreamConflictError,
  UpstreamError,
  UpstreamNotFoundError,
  UpstreamProtocolError,
  UpstreamUnavailableError,
  UpstreamValidationError,
} from '../errors';
import { observed, parseObserved, watchBreaker, type UpstreamObserver, type UpstreamOutcome } from '../observer';
import { unknownValueReporter } from '../unknown-values';
import type {
  CreateProofOfLifeRequest,
  CreatedTransaction,
  ProvaDeVidaApi,
  ProvaDeVidaApiVersion,
  SendMessageRequest,
  UpstreamMessage,
  UpstreamTransaction,
} from './types';
import {
  inferUnprocessableFields,
  mapBadRequestFields,
  messageSchema,
  parseCreatedId,
  toCreateTransactionBody,
  toMessage,
  toSendMessageBody,
  toTransaction,
  tokenResponseSchema,
  transactionSchema,
  upstreamIdSchema,
} from './wire';

export interface ProvaDeVidaClientOptions {
  /**
   * Base URL without trailing slash. Homologation in the 2025-12 manual:
   * `https://h.meugov.np.estaleiro.serpro.gov.br` (the former
   * `h.meugov.estaleiro…` host was announced as available only until
   * 31/12/2025); production is not in the manual. A path prefix is kept.
   */
  baseUrl: string;
  /** OAuth2 client id issued by SGD. */
  clientId: string;
  /** OAuth2 client secret issued by SGD. */
  clientSecret: string;
  /**
   * Path version for creates (with or without a seal window), reads and
   * cancels. Messages always use `vbeta1`.
   * @default 'vbeta2'
   */
  apiVersion?: ProvaDeVidaApiVersion;
  /**
   * Legacy only: send a create without a seal window to `POST /api/vbeta1/transacoes`
   * (the simplified transaction the manual removed in 2021), answered by a bare
   * UUID. Off: such a create goes to `apiVersion` without `selogovbr_reuso_em`.
   * @default false
   */
  legacyVbeta1Create?: boolean;
  /** Per-request timeout (headers + body), in milliseconds. @default 10000 */
  requestTimeoutMs?: number;
  /** Refresh the token this many seconds before `expires_in` runs out. @default 60 */
  tokenRefreshMarginSeconds?: number;
  /** Token lifetime assumed when the token answer has no readable `expires_in`. @default 300 */
  defaultTokenTtlSeconds?: number;
  /**
   * Retries of idempotent reads (GET) on 5xx/timeout/reset/malformed body.
   * `maxAttempts` counts the first try: 3 means at most 2 retries.
   * @default { maxAttempts: 3, initialDelayMs: 100, maxDelayMs: 2000 }
   */
  retry?: {
    /** @default 3 */
    maxAttempts?: number;
    /** @default 100 */
    initialDelayMs?: number;
    /** @default 2000 */
    maxDelayMs?: number;
  };
  /**
   * Consecutive failures (5xx/timeout/reset/malformed) before the circuit
   * opens, and how long it stays open before one trial call.
   * @default { threshold: 5, halfOpenAfterMs: 10000 }
   */
  circuitBreaker?: {
    /** @default 5 */
    threshold?: number;
    /** @default 10000 */
    halfOpenAfterMs?: number;
  };
  /** Optional pino logger; never logs CPFs unmasked, tokens, secrets or upstream bodies. @default undefined (silent) */
  logger?: Logger;
  /** Keep-alive connections per origin. @default 10 */
  connections?: number;
  /** Clock in epoch milliseconds, for token expiry (tests inject one). @default Date.now */
  now?: () => number;
  /** Told about every HTTP attempt and breaker transition (metrics, traces). @default undefined */
  observer?: UpstreamObserver;
}

const UPSTREAM = 'provaDeVida' as const;
/** Bodies above this are not what the API documents; reading on would only cost memory. */
const MAX_BODY_BYTES = 1024 * 1024;
const ID_PATTERN = /^[A-Za-z0-9-]{1,100}$/;

/** `refused`: the connection was refused, so the request provably never reached the upstream. */
type FailureKind = 'status' | 'timeout' | 'network' | 'refused' | 'malformed';

/**
 * Internal: a failure worth retrying (for reads) and counting (for the
 * breaker). Never escapes the client; converted to UpstreamUnavailableError.
 */
class TransientFailure extends Error {
  constructor(
    readonly kind: FailureKind,
    readonly status?: number,
  ) {
    super(`transient ${kind}`);
  }
}

const isTransient = (e: Error): boolean => e instanceof TransientFailure;

const UNAVAILABLE_MESSAGES: Record<FailureKind, string> = {
  status: 'Prova de Vida answered with a server error',
  timeout: 'Prova de Vida did not answer in time',
  network: 'Could not talk to Prova de Vida',
  refused: 'Could not talk to Prova de Vida',
  malformed: 'Prova de Vida sent a response we could not read',
};

interface RawResponse {
  status: number;
  text: string;
}

interface Operation<T> {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  /** Path template for logs: ids and versions vary, routes do not. */
  route: string;
  body?: unknown;
  idempotent: boolean;
  /** Called for 2xx only; throws TransientFailure('malformed') when the body does not parse. */
  parse: (res: RawResponse) => T;
  /** Maps a status before the generic mapping; return undefined to fall through. */
  onError?: (status: number) => UpstreamError | undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new TransientFailure('malformed');
  }
}

function parseJsonOrNull(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

function errorCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) return String((err as { code: unknown }).code);
  return undefined;
}

function networkKind(err: unknown, signal: AbortSignal): FailureKind {
  if (signal.aborted) return 'timeout';
  const code = errorCode(err);
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
    return 'timeout';
  }
  return code === 'ECONNREFUSED' ? 'refused' : 'network';
}

function failureOutcome(err: unknown): UpstreamOutcome {
  if (err instanceof TaskCancelledError) return { failure: 'timeout' };
  // A refused connection is a network failure to the metrics (the distinction matters only to intent rows).
  if (err instanceof TransientFailure && err.kind !== 'status' && err.kind !== 'refused') return { failure: err.kind };
  return { failure: 'network' };
}

export function createProvaDeVidaClient(opts: ProvaDeVidaClientOptions): ProvaDeVidaApi {
  const base = new URL(opts.baseUrl);
  const origin = base.origin;
  const prefix = base.pathname.replace(/\/+$/, '');
  const apiVersion: ProvaDeVidaApiVersion = opts.apiVersion ?? 'vbeta2';
  const requestTimeoutMs = opts.requestTimeoutMs ?? 10_000;
  const marginMs = (opts.tokenRefreshMarginSeconds ?? 60) * 1000;
  const now = opts.now ?? Date.now;
  const log = opts.logger?.child({ upstream: UPSTREAM });
  const onUnknown = unknownValueReporter(UPSTREAM, log);
  const legacyVbeta1Create = opts.legacyVbeta1Create ?? false;
  const defaultTtlSeconds = opts.defaultTokenTtlSeconds ?? 300;
  const basic = Buffer.from(`${opts.clientId}:${opts.clientSecret}`, 'utf8').toString('base64');

  const pool = new Pool(origin, {
    connections: opts.connections ?? 10,
    headersTimeout: requestTimeoutMs,
    bodyTimeout: requestTimeoutMs,
    keepAliveTimeout: 30_000,
  });
  let closed = false;

  // --- policies ------------------------------------------------------------

  // Cooperative: the signal is handed to undici, which aborts the socket read,
  // so a late body cannot arrive after we already reported a timeout.
  const timeoutPolicy = timeout(requestTimeoutMs, TimeoutStrategy.Cooperative);
  const breaker = circuitBreaker(handleWhen(isTransient), {
    halfOpenAfter: opts.circuitBreaker?.halfOpenAfterMs ?? 10_000,
    breaker: new ConsecutiveBreaker(opts.circuitBreaker?.threshold ?? 5),
  });
  const retryPolicy = retry(handleWhen(isTransient), {
    maxAttempts: Math.max(0, (opts.retry?.maxAttempts ?? 3) - 1),
    backoff: new ExponentialBackoff({
      initialDelay: opts.retry?.initialDelayMs ?? 100,
      maxDelay: opts.retry?.maxDelayMs ?? 2000,
    }),
  });
  const readPolicy: IPolicy = wrap(retryPolicy, breaker);
  // Creating a transaction or sending a message notifies the citizen: a lost
  // answer does not mean a lost request, so writes are never retried.
  const writePolicy: IPolicy = breaker;

  const subscriptions = [
    breaker.onBreak(() => log?.warn({ event: 'circuit_open' }, 'Prova de Vida circuit opened')),
    breaker.onReset(() => log?.info({ event: 'circuit_closed' }, 'Prova de Vida circuit closed')),
    retryPolicy.onRetry((e) =>
      log?.warn(
        {
          event: 'retry',
          attempt: e.attempt,
          delayMs: Math.round(e.delay),
          failure: 'error' in e && e.error instanceof TransientFailure ? e.error.kind : 'unknown',
        },
        'retrying Prova de Vida read',
      ),
    ),
    watchBreaker(opts.observer, { upstream: UPSTREAM }, breaker),
  ];

  // --- HTTP ----------------------------------------------------------------

  async function rawSend(
    method: Operation<unknown>['method'],
    path: string,
    authorization: string,
    body: unknown,
    route: string,
    signal: AbortSignal,
  ): Promise<RawResponse> {
    const started = performance.now();
    const headers: Record<string, string> = {
      authorization,
      accept: 'application/json, text/plain;q=0.9, */*;q=0.1',
    };
    let payload: string | undefined;
    if (body !== undefined) {
      payload = JSON.stringify(body);
      headers['content-type'] = 'application/json';
    }
    try {
      const res = await pool.request({ path: prefix + path, method, headers, body: payload, signal });
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body) {
        const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
        size += buf.length;
        if (size > MAX_BODY_BYTES) {
          res.body.destroy();
          throw new TransientFailure('malformed');
        }
        chunks.push(buf);
      }
      const text = Buffer.concat(chunks).toString('utf8');
      log?.debug({ event: 'request', method, route, status: res.statusCode, ms: Math.round(performance.now() - started) });
      return { status: res.statusCode, text };
    } catch (err) {
      if (err instanceof TransientFailure) throw err;
      const kind = networkKind(err, signal);
      log?.warn(
        { event: 'request_failed', method, route, failure: kind, code: errorCode(err), ms: Math.round(performance.now() - started) },
        'Prova de Vida request failed',
      );
      throw new TransientFailure(kind);
    }
  }

  function send(
    method: Operation<unknown>['method'],
    path: string,
    authorization: string,
    body: unknown,
    route: string,
  ): Promise<RawResponse> {
    return observed(
      opts.observer,
      { upstream: UPSTREAM, method, route },
      async (report) => {
        const res = await timeoutPolicy.execute(({ signal }) => rawSend(method, path, authorization, body, route, signal));
        report({ status: res.status });
        return res;
      },
      failureOutcome,
    );
  }

  // --- token -----------------------------------------------------------------

  let token: { value: string; refreshAt: number } | null = null;
  let inflight: Promise<string> | null = null;

  async function fetchToken(): Promise<string> {
    const res = await send(
      'POST',
      '/auth/oauth/token?grant_type=client_credentials',
      `Basic ${basic}`,
      undefined,
      'POST /auth/oauth/token',
    );
    if (res.status === 400 || res.status === 401 || res.status === 403) {
      throw new UpstreamAuthError(UPSTREAM, 'Prova de Vida refused our client credentials');
    }
    if (res.status < 200 || res.status >= 300) throw new TransientFailure('status', res.status);
    const parsed = tokenResponseSchema.safeParse(parseJson(res.text));
    if (!parsed.success) throw new TransientFailure('malformed');
    const ttlMs = (parsed.data.expires_in ?? defaultTtlSeconds) * 1000;
    // A margin as long as the lifetime would refresh on every call: then keep
    // the token for half its life instead.
    const keepMs = ttlMs > marginMs ? ttlMs - marginMs : ttlMs / 2;
    token = { value: parsed.data.access_token, refreshAt: now() + keepMs };
    log?.debug({ event: 'token_refreshed', keepSeconds: Math.round(keepMs / 1000) });
    return parsed.data.access_token;
  }

  /** One refresh in flight for every concurrent caller. */
  function getToken(): Promise<string> {
    if (token && now() < token.refreshAt) return Promise.resolve(token.value);
    if (!inflight) {
      inflight = fetchToken().finally(() => {
        inflight = null;
      });
    }
    return inflight;
  }

  /** Drops the token only if nobody has replaced it since `used` was sent. */
  function invalidate(used: string): void {
    if (token?.value === used) token = null;
  }

  // --- calls ------------------------------------------------------------------

  function mapStatus(status: number, text: string, onError: Operation<unknown>['onError']): Error {
    const specific = onError?.(status);
    if (specific) return specific;
    if (status >= 500 || status === 429 || status === 408) return new TransientFailure('status', status);
    if (status === 400) {
      const fields = mapBadRequestFields(parseJsonOrNull(text)) ?? { _: 'rejected by upstream' };
      return new UpstreamValidationError(UPSTREAM, fields);
    }
    if (status === 422) return new UpstreamValidationError(UPSTREAM, inferUnprocessableFields(parseJsonOrNull(text)));
    if (status === 403) return new UpstreamAuthError(UPSTREAM, 'Prova de Vida refused our credentials');
    if (status === 404) return new UpstreamNotFoundError(UPSTREAM, 'Prova de Vida does not know this id');
    if (status === 409) return new UpstreamConflictError(UPSTREAM, 'Prova de Vida refused in the current state', 'WRONG_STATE');
    return new UpstreamUnavailableError(UPSTREAM, 'Prova de Vida answered with an unexpected status');
  }

  /** `progress.sent` turns true once the operation's own request (not the token's) may have left. */
  async function attempt<T>(op: Operation<T>, progress: { sent: boolean }): Promise<T> {
    const call = (tok: string) => {
      progress.sent = true;
      return send(op.method, op.path, `Bearer ${tok}`, op.body, op.route);
    };
    let used = await getToken();
    let res = await call(used);
    if (res.status === 401) {
      // Tokens can be revoked or expire early upstream: one refresh, one retry.
      // A 401 means the request was not processed, so even a POST may repeat.
      invalidate(used);
      used = await getToken();
      res = await call(used);
      if (res.status === 401) {
        invalidate(used);
        throw new UpstreamAuthError(UPSTREAM, 'Prova de Vida refused our credentials');
      }
    }
    if (res.status >= 200 && res.status < 300) {
      const req = { upstream: UPSTREAM, method: op.method, route: op.route };
      return parseObserved(opts.observer, req, () => op.parse(res), (e) => e instanceof TransientFailure);
    }
    throw mapStatus(res.status, res.text, op.onError);
  }

  async function run<T>(op: Operation<T>): Promise<T> {
    if (closed) throw new UpstreamUnavailableError(UPSTREAM, 'The Prova de Vida client is closed');
    const policy = op.idempotent ? readPolicy : writePolicy;
    const progress = { sent: false };
    try {
      return await policy.execute(() => attempt(op, progress));
    } catch (err) {
      if (err instanceof UpstreamError) throw err;
      if (err instanceof TransientFailure) {
        // A create that failed before its request left (token call, refused connection) did nothing upstream.
        const notSent = !progress.sent || err.kind === 'refused';
        throw new UpstreamUnavailableError(UPSTREAM, UNAVAILABLE_MESSAGES[err.kind], { notSent });
      }
      if (err instanceof BrokenCircuitError || err instanceof IsolatedCircuitError) {
        opts.observer?.request({ upstream: UPSTREAM, method: op.method, route: op.route })({ failure: 'circuit_open' });
        throw new UpstreamUnavailableError(UPSTREAM, 'Prova de Vida is failing; calls are paused', { notSent: true });
      }
      // Anything else is our bug or undici's; its message may name the host.
      log?.error({ event: 'unexpected_error', route: op.route, name: err instanceof Error ? err.name : typeof err });
      throw new UpstreamUnavailableError(UPSTREAM, 'Prova de Vida call failed');
    }
  }

  function checkId(id: string, what: string): string {
    // Ids go into the path: anything but a UUID-like token cannot be known upstream.
    if (typeof id !== 'string' || !ID_PATTERN.test(id)) {
      throw new UpstreamNotFoundError(UPSTREAM, `Prova de Vida does not know this ${what}`);
    }
    return encodeURIComponent(id);
  }

  /** Thrown from a parser: passes the retry and breaker policies untouched (not transient). */
  const notUuid = (what: string) => new UpstreamProtocolError(UPSTREAM, `Prova de Vida sent a ${what} id that is not a UUID`);

  const parseTransaction = (res: RawResponse): UpstreamTransaction => {
    const parsed = transactionSchema.safeParse(parseJson(res.text));
    if (!parsed.success) throw new TransientFailure('malformed');
    if (!upstreamIdSchema.safeParse(parsed.data.id).success) throw notUuid('transaction');
    return toTransaction(parsed.data, onUnknown);
  };

  /** A 201 whose body is only the id (vbeta1 create, message create). */
  const parseIdBody = (res: RawResponse, what: string): string => {
    // Bare UUID, JSON string or the manual's `{"uuid"}`: see parseCreatedId.
    const id = parseCreatedId(res.text);
    if (id !== null) return id;
    if (res.text.trim() === '') throw new TransientFailure('malformed');
    throw notUuid(what);
  };

  return {
    async createTransaction(req: CreateProofOfLifeRequest): Promise<CreatedTransaction> {
      if (req.sealReuseWindowMinutes === undefined && legacyVbeta1Create) {
        return run({
          method: 'POST',
          path: '/api/vbeta1/transacoes',
          route: 'POST /api/vbeta1/transacoes',
          body: toCreateTransactionBody(req, 'vbeta1'),
          idempotent: false,
          // vbeta1 answers 201 with the bare UUID as text, not JSON.
          parse: (res): CreatedTransaction => ({ id: parseIdBody(res, 'transaction'), version: 'vbeta1', transaction: null }),
        });
      }
      // With or without a seal window: the manual makes `selogovbr_reuso_em` optional on vbeta2+.
      return run({
        method: 'POST',
        path: `/api/${apiVersion}/transacoes`,
        route: `POST /api/${apiVersion}/transacoes`,
        body: toCreateTransactionBody(req, apiVersion),
        idempotent: false,
        parse: (res): CreatedTransaction => {
          const transaction = parseTransaction(res);
          return { id: transaction.id, version: apiVersion, transaction };
        },
      });
    },

    async getTransaction(id: string): Promise<UpstreamTransaction> {
      const safeId = checkId(id, 'transaction');
      return run({
        method: 'GET',
        path: `/api/${apiVersion}/transacoes/${safeId}`,
        route: 'GET /api/:version/transacoes/:id',
        idempotent: true,
        parse: parseTransaction,
      });
    },

    async cancelTransaction(id: string): Promise<void> {
      if (apiVersion !== 'vbeta4') {
        throw new UpstreamConflictError(UPSTREAM, 'Cancelling needs Prova de Vida vbeta4', 'UNSUPPORTED');
      }
      const safeId = checkId(id, 'transaction');
      return run({
        method: 'PUT',
        path: `/api/vbeta4/transacoes/${safeId}/cancelar`,
        route: 'PUT /api/vbeta4/transacoes/:id/cancelar',
        idempotent: false,
        parse: () => undefined,
        onError: (status) =>
          status === 409 || status === 422
            ? new UpstreamConflictError(UPSTREAM, 'The transaction was already answered', 'ALREADY_ANSWERED')
            : undefined,
      });
    },

    async sendMessage(req: SendMessageRequest): Promise<string> {
      return run({
        method: 'POST',
        path: '/api/vbeta1/mensagens',
        route: 'POST /api/vbeta1/mensagens',
        body: toSendMessageBody(req),
        idempotent: false,
        parse: (res) => parseIdBody(res, 'message'),
      });
    },

    async getMessage(id: string): Promise<UpstreamMessage> {
      const safeId = checkId(id, 'message');
      return run({
        method: 'GET',
        path: `/api/vbeta1/mensagens/${safeId}`,
        route: 'GET /api/vbeta1/mensagens/:id',
        idempotent: true,
        parse: (res) => {
          const parsed = messageSchema.safeParse(parseJson(res.text));
          if (!parsed.success) throw new TransientFailure('malformed');
          if (!upstreamIdSchema.safeParse(parsed.data.id).success) throw notUuid('message');
          return toMessage(parsed.data, onUnknown);
        },
      });
    },

    async deleteMessage(id: string): Promise<void> {
      const safeId = checkId(id, 'message');
      return run({
        method: 'DELETE',
        path: `/api/vbeta1/mensagens/${safeId}`,
        route: 'DELETE /api/vbeta1/mensagens/:id',
        idempotent: false,
        parse: () => undefined,
      });
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      for (const s of subscriptions) s.dispose();
      await pool.close();
    },
  };
}
