import type { IncomingMessage } from 'node:http';
import { GraphQLError, NoSchemaIntrospectionCustomRule, getOperationAST, validate, type ExecutionResult, type FormattedExecutionResult, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import { getVariableValues } from 'graphql/execution/values';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import type { WebSocket, WebSocketServer } from 'ws';
import type { Logger } from 'pino';
import { bearerFrom, verifyTokenCached, type AuthUser, type JwtSettings } from '../auth/jwt';
import { createContext, type Services } from '../../resolvers/context';
import type { Config } from '../config';
import type { createLimits } from './limits';
import { Fanout } from './fanout';
import { chargeQuery, clientIpOf } from './guard';
import { auditRefusedOperation } from '../../resolvers/mutation-guard';
import { originOf, type ReportLinks } from './reports';

export type WsExtra = {
  socket: WebSocket;
  /** The upgrade request: read once at connect (client address), then dropped (see `onConnect`). */
  request?: IncomingMessage;
  /** Client address of the upgrade (express's `trust proxy` rules), kept instead of the request. */
  ip?: string | null;
  /** The origin report links are minted for (PUBLIC_URL or the upgrade's own), also kept instead of the request. */
  origin?: string | null;
  user?: AuthUser;
  expiryTimer?: NodeJS.Timeout;
  /** Operation ids of this socket's live subscriptions. */
  subscriptions?: Set<string>;
  /** `connectionParams.afterSeq`: where every subscription of this socket without its own `afterSeq` resumes. */
  afterSeq?: number | null;
};

export interface GraphqlWsOptions {
  schema: GraphQLSchema;
  services: Services;
  jwt: JwtSettings;
  graphql: Config['graphql'];
  limits: ReturnType<typeof createLimits>;
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  logger?: Logger;
  /** express's compiled `trust proxy` function: the client address of an upgrade, as for HTTP. */
  trustFn: (addr: string, hop: number) => boolean;
  /** Mints `CaptureReport.downloadUrl` for the socket's user. */
  links: ReportLinks;
}

/** Distinct subscription documents kept parsed and validated. */
const DOCUMENT_CACHE_SIZE = 500;

/** graphql-ws connection_init payload: `{ authorization: "Bearer …" }` or `{ token: "…" }`. */
function tokenFromConnectionParams(params: Readonly<Record<string, unknown>> | undefined): string | null {
  if (!params) return null;
  const fromHeader = bearerFrom(params['authorization'] ?? params['Authorization']);
  if (fromHeader) return fromHeader;
  return typeof params['token'] === 'string' && params['token'] ? params['token'] : null;
}

/** Removes the credentials from the connection_init payload graphql-ws keeps for the socket's life. */
function dropToken(params: Readonly<Record<string, unknown>> | undefined): void {
  if (!params) return;
  const p = params as Record<string, unknown>;
  delete p['authorization'];
  delete p['Authorization'];
  delete p['token'];
}

/** `connectionParams.afterSeq`: absent/null → none; a non-negative safe integer (or its decimal string) → it; anything else → invalid. */
export function afterSeqFromConnectionParams(params: Readonly<Record<string, unknown>> | undefined): number | null | 'invalid' {
  const v = params?.['afterSeq'];
  if (v === undefined || v === null) return null;
  const n = typeof v === 'string' && /^\d{1,16}$/.test(v) ? Number(v) : v;
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? n : 'invalid';
}

/**
 * The one clock rule for sockets: a token is usable while `now < exp`, with
 * no tolerance — at connect (refused with 4403 once past `exp`) and for the
 * expiry close alike. Applying a skew at one and not the other let a token up
 * to 30 s past `exp` connect and be closed at once, in a loop.
 * @returns ms left, or 0 when expired; null when the token has no `exp`.
 */
export function tokenMsLeft(user: AuthUser, now = Date.now()): number | null {
  if (user.exp === null) return null;
  return Math.max(0, user.exp * 1000 - now);
}

/**
 * graphql-ws on `wsServer`: auth in connection_init, per-user caps, the same
 * document limits as HTTP (Apollo plugins do not run here), error masking,
 * `connectionParams.afterSeq` resume, and ws-level keepalive.
 */
export function attachGraphqlWs(wsServer: WebSocketServer, opts: GraphqlWsOptions): { fanout: Fanout; dispose(): Promise<void> } {
  const { schema, services, jwt, limits, formatError } = opts;
  const maskResult = (result: ExecutionResult): FormattedExecutionResult => {
    if (!result.errors?.length) return result as FormattedExecutionResult;
    return { ...result, errors: result.errors.map((e) => formatError(e.toJSON(), e)) } as FormattedExecutionResult;
  };

  // Per-user caps: one client (or one leaked token) must not hold the whole server's memory in sockets and queues.
  const connectionsByUser = new Map<string, number>();
  const subscriptionsByUser = new Map<string, number>();
  const bump = (m: Map<string, number>, k: string, by: number) => {
    const n = (m.get(k) ?? 0) + by;
    if (n <= 0) m.delete(k);
    else m.set(k, n);
  };

  /**
   * Parse + validation (armor rules included) cost ~0.6 ms per subscribe and
   * was most of a connect burst's CPU (profiled: 1,000 dashboards reconnecting
   * send the same few documents). The outcome depends only on the text — the
   * schema and rules are fixed — so it is cached by text, errors included.
   */
  type Checked = ReturnType<typeof limits.checkDocument> & { text: string };
  const documents = new Map<string, Checked>();
  const checkedDocument = (query: string): Checked => {
    const hit = documents.get(query);
    if (hit) {
      // Refresh its place: the map's order is least recently used first.
      documents.delete(query);
      documents.set(query, hit);
      return hit;
    }
    let checked = limits.checkDocument(schema, query);
    if (!('errors' in checked) && !opts.graphql.introspection) {
      const errs = validate(schema, checked.document, [NoSchemaIntrospectionCustomRule]);
      if (errs.length) checked = { errors: errs.map((e) => new GraphQLError(e.message, { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } })) };
    }
    const entry: Checked = { ...checked, text: query };
    documents.set(query, entry);
    if (documents.size > DOCUMENT_CACHE_SIZE) documents.delete(documents.keys().next().value as string);
    return entry;
  };

  const keepalive = startKeepalive(wsServer, opts.graphql.ws.keepaliveMs);
  const fanout = new Fanout({
    bus: services.bus,
    store: services.store,
    maxMessages: opts.graphql.ws.queueMaxMessages,
    maxBytes: opts.graphql.ws.queueMaxBytes,
    format: maskResult,
    logger: opts.logger,
  });

  const cleanup = useServer<Record<string, unknown>, WsExtra>(
    {
      schema,
      subscribe: fanout.subscribe,
      // graphql-ws refuses a subscribe without a `query` string (closing the socket with 4400); a
      // persisted-document payload may carry only `documentId` or `extensions.persistedQuery`.
      jsonMessageReviver: (key, value: unknown) => {
        if (key !== '' || !value || typeof value !== 'object') return value;
        const payload = (value as { type?: unknown; payload?: Record<string, unknown> }).payload;
        if ((value as { type?: unknown }).type === 'subscribe' && payload && typeof payload === 'object' && payload['query'] === undefined) {
          if (payload['documentId'] !== undefined || payload['extensions'] !== undefined) payload['query'] = '';
        }
        return value;
      },
      onConnect: async (ctx) => {
        const token = tokenFromConnectionParams(ctx.connectionParams);
        if (!token) {
          ctx.extra.socket.close(CloseCode.Unauthorized, 'Unauthorized');
          return false;
        }
        const afterSeq = afterSeqFromConnectionParams(ctx.connectionParams);
        if (afterSeq === 'invalid') {
          ctx.extra.socket.close(CloseCode.BadRequest, 'connectionParams.afterSeq must be a non-negative integer');
          return false;
        }
        let user: AuthUser;
        try {
          user = await verifyTokenCached(token, jwt);
        } catch {
          return false; // graphql-ws closes with 4403 Forbidden
        }
        const msLeft = tokenMsLeft(user);
        if (msLeft === 0) return false; // past exp: refused here, as the expiry timer would close it at once
        if ((connectionsByUser.get(user.sub) ?? 0) >= opts.graphql.maxConnectionsPerUser) {
          // 4029, not 4429: graphql-ws uses 4429 for a repeated connection_init.
          ctx.extra.socket.close(4029, 'Too many connections for this user');
          return false;
        }
        bump(connectionsByUser, user.sub, 1);
        ctx.extra.ip = ctx.extra.request ? clientIpOf(ctx.extra.request, opts.trustFn) : null;
        ctx.extra.origin = ctx.extra.request ? originOf(ctx.extra.request, opts.trustFn) : null;
        // Memory per idle socket (heap snapshots, bench/fanout/heap.ts): graphql-ws keeps `extra.request`
        // (the upgrade's IncomingMessage, headers and all, ~1.3 KB) and `connectionParams` (the bearer
        // token, ~300 B) for the socket's life. Only the client address and the verified user are needed
        // from here on; dropping the token also keeps a secret out of the heap.
        delete (ctx.extra as { request?: IncomingMessage }).request;
        dropToken(ctx.connectionParams);
        ctx.extra.user = user;
        ctx.extra.subscriptions = new Set();
        ctx.extra.afterSeq = afterSeq;
        if (msLeft !== null) {
          // A socket lives for hours; the token that opened it does not. Close it when the token expires.
          ctx.extra.expiryTimer = setTimeout(() => ctx.extra.socket.close(CloseCode.Forbidden, 'Forbidden: token expired'), Math.min(msLeft, 2 ** 31 - 1));
        }
        return true;
      },
      onClose: (ctx) => {
        if (ctx.extra.expiryTimer) clearTimeout(ctx.extra.expiryTimer);
        const sub = ctx.extra.user?.sub;
        if (sub) {
          bump(connectionsByUser, sub, -1);
          bump(subscriptionsByUser, sub, -(ctx.extra.subscriptions?.size ?? 0));
        }
      },
      // Apollo's parse/validate plugins do not run here: same token cap, armor rules and introspection switch.
      onSubscribe: async (ctx, id, payload) => {
        const sub = ctx.extra.user?.sub;
        if (sub && (subscriptionsByUser.get(sub) ?? 0) >= opts.graphql.maxSubscriptionsPerUser) {
          return [new GraphQLError(`At most ${opts.graphql.maxSubscriptionsPerUser} subscriptions per user`, { extensions: { code: 'TOO_MANY_SUBSCRIPTIONS' } })];
        }
        // A persisted document runs as the manifest's text: one text per document, so its subscribers share one execution.
        const resolved = opts.graphql.persistedDocuments.resolve(payload as typeof payload & { documentId?: unknown }, false);
        if (resolved.kind === 'refused') return [new GraphQLError(resolved.message, { extensions: { code: resolved.code } })];
        const query = resolved.kind === 'persisted' ? resolved.query : payload.query;
        const who = { user: ctx.extra.user ?? null, ip: ctx.extra.ip ?? null };
        const checked = checkedDocument(query);
        // graphql-ws keeps the subscribe message for the operation's life: share one copy of the text
        // (each socket's message is its own string, ~200 B for a dashboard's document).
        (payload as { query: string }).query = checked.text;
        if ('errors' in checked) {
          if (checked.document) await auditRefusedOperation(services, who, checked.document, payload.operationName, 'GRAPHQL_VALIDATION_FAILED');
          return checked.errors;
        }
        // Variables coerced here, as Apollo does on HTTP, so a bad value is BAD_USER_INPUT, not a masked 500.
        const operation = getOperationAST(checked.document, payload.operationName ?? undefined);
        if (!operation) return [new GraphQLError('Operation not found', { extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } })];
        const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], payload.variables ?? {});
        if (coerced.errors) {
          await auditRefusedOperation(services, who, checked.document, payload.operationName, 'BAD_USER_INPUT');
          return coerced.errors.map(
            (e) => new GraphQLError(e.message, { extensions: { ...(e.originalError as { extensions?: object } | undefined)?.extensions, ...e.extensions, code: 'BAD_USER_INPUT' } }),
          );
        }
        const overBudget = await chargeQuery(services, schema, who, checked.document, operation);
        if (overBudget) return [overBudget];
        if (sub) {
          bump(subscriptionsByUser, sub, 1);
          ctx.extra.subscriptions?.add(id);
        }
        const origin = ctx.extra.origin ?? null;
        const contextValue = createContext(ctx.extra.user ?? null, services, {
          ip: who.ip,
          idempotencyKey: null,
          afterSeq: ctx.extra.afterSeq ?? null,
          reportUrl: (captureId, stationId) => opts.links.urlFor(ctx.extra.user ?? null, captureId, stationId, origin),
        });
        fanout.register(contextValue, { socket: ctx.extra.socket, id, query: checked.text });
        return {
          schema,
          document: checked.document,
          variableValues: payload.variables ?? undefined,
          operationName: payload.operationName ?? undefined,
          contextValue,
        };
      },
      onComplete: (ctx, id) => {
        const sub = ctx.extra.user?.sub;
        if (sub && ctx.extra.subscriptions?.delete(id)) bump(subscriptionsByUser, sub, -1);
      },
      onNext: (_ctx, _id, _payload, _args, result) => maskResult(result),
      onError: (_ctx, _id, _payload, errors) => errors.map((e) => formatError(e.toJSON(), e)),
    },
    wsServer,
    // graphql-ws's own keepalive is a timer per socket; ours is one timer for all (startKeepalive).
    0,
  );
  return {
    fanout,
    async dispose() {
      keepalive.stop();
      fanout.stop();
      await cleanup.dispose();
    },
  };
}

/**
 * ws-level pings (answered by every browser and client library without app
 * code): each tick terminates the sockets that did not answer the previous
 * ping and pings the rest. Constant work per socket per tick; a dead peer
 * (a load balancer that dropped it, a laptop that slept) is gone within 2 ticks.
 */
function startKeepalive(wsServer: WebSocketServer, intervalMs: number): { stop(): void } {
  if (!intervalMs) return { stop: () => undefined };
  const alive = new WeakSet<WebSocket>();
  const markAlive = function (this: WebSocket) {
    alive.add(this);
  };
  wsServer.on('connection', (socket) => {
    alive.add(socket);
    socket.on('pong', markAlive);
  });
  const timer = setInterval(() => {
    for (const socket of wsServer.clients) {
      if (!alive.has(socket)) {
        socket.terminate();
        continue;
      }
      alive.delete(socket);
      socket.ping();
    }
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
