/**
 * HTTP client for gov.br Prova de Vida. Knows the upstream's paths, its
 * OAuth2 token dance and its quirks; callers see only `ProvaDeVidaApi` and the
 * error classes of `../errors.ts`. The token lives in `token.ts`, the pool,
 * timeout, retries and breaker in `transport.ts`, and the mapping of failures
 * onto those error classes in `failures.ts`.
 *
 * Nothing the upstream sends (bodies, status lines) and nothing secret
 * (host, token, client secret) ever reaches an error message or a log line:
 * every message below is a fixed string of ours.
 */
import { BrokenCircuitError, IsolatedCircuitError } from 'cockatiel';
import type { Logger } from 'pino';
import {
  UpstreamAuthError,
  UpstreamConflictError,
  UpstreamError,
  UpstreamNotFoundError,
  UpstreamProtocolError,
  UpstreamUnavailableError,
} from '../errors';
import { parseObserved, type UpstreamObserver } from '../observer';
import { unknownValueReporter } from '../unknown-values';
import { TransientFailure, UNAVAILABLE_MESSAGES, UPSTREAM, mapStatus, parseJson } from './failures';
import { createTokenSource } from './token';
import { createTransport, type HttpMethod, type RawResponse } from './transport';
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
  messageSchema,
  parseCreatedId,
  toCreateTransactionBody,
  toMessage,
  toSendMessageBody,
  toTransaction,
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

const ID_PATTERN = /^[A-Za-z0-9-]{1,100}$/;

interface Operation<T> {
  method: HttpMethod;
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

export function createProvaDeVidaClient(opts: ProvaDeVidaClientOptions): ProvaDeVidaApi {
  const base = new URL(opts.baseUrl);
  const apiVersion: ProvaDeVidaApiVersion = opts.apiVersion ?? 'vbeta2';
  const log = opts.logger?.child({ upstream: UPSTREAM });
  const onUnknown = unknownValueReporter(UPSTREAM, log);
  const legacyVbeta1Create = opts.legacyVbeta1Create ?? false;

  const transport = createTransport({
    origin: base.origin,
    prefix: base.pathname.replace(/\/+$/, ''),
    requestTimeoutMs: opts.requestTimeoutMs ?? 10_000,
    connections: opts.connections ?? 10,
    retry: {
      maxAttempts: opts.retry?.maxAttempts ?? 3,
      initialDelayMs: opts.retry?.initialDelayMs ?? 100,
      maxDelayMs: opts.retry?.maxDelayMs ?? 2000,
    },
    circuitBreaker: {
      threshold: opts.circuitBreaker?.threshold ?? 5,
      halfOpenAfterMs: opts.circuitBreaker?.halfOpenAfterMs ?? 10_000,
    },
    log,
    observer: opts.observer,
  });
  const tokens = createTokenSource(transport.send, {
    clientId: opts.clientId,
    clientSecret: opts.clientSecret,
    refreshMarginMs: (opts.tokenRefreshMarginSeconds ?? 60) * 1000,
    defaultTtlSeconds: opts.defaultTokenTtlSeconds ?? 300,
    now: opts.now ?? Date.now,
    log,
  });
  let closed = false;

  // --- calls ------------------------------------------------------------------

  /** `progress.sent` turns true once the operation's own request (not the token's) may have left. */
  async function attempt<T>(op: Operation<T>, progress: { sent: boolean }): Promise<T> {
    const call = (tok: string) => {
      progress.sent = true;
      return transport.send(op.method, op.path, `Bearer ${tok}`, op.body, op.route);
    };
    let used = await tokens.get();
    let res = await call(used);
    if (res.status === 401) {
      // Tokens can be revoked or expire early upstream: one refresh, one retry.
      // A 401 means the request was not processed, so even a POST may repeat.
      tokens.invalidate(used);
      used = await tokens.get();
      res = await call(used);
      if (res.status === 401) {
        tokens.invalidate(used);
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
    const policy = op.idempotent ? transport.readPolicy : transport.writePolicy;
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
      await transport.close();
    },
  };
}
