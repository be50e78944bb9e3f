import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import cors from 'cors';
import express from 'express';
import { GraphQLError, NoSchemaIntrospectionCustomRule, getOperationAST, validate, type ExecutionResult, type FormattedExecutionResult, type GraphQLSchema } from 'graphql';
import { getVariableValues } from 'graphql/execution/values';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { AuthError, bearerFrom, verifyToken, type AuthUser, type JwtSettings } from '../auth/jwt';
import { createContext, type Context, type Services } from '../../resolvers/context';
import { formatErrorFor } from './errors';
import { createLimits } from './limits';
import { auditRefusedBody, chargeQuery, clientIpOf, guardPlugin } from './guard';
import { auditRefusedOperation } from '../../resolvers/mutation-guard';
import { serveReport } from './reports';
import type { Config } from '../config';
import { graphqlSpanMiddleware, graphqlSpanPlugin } from '../tracing';

export interface ServerOptions {
  schema: GraphQLSchema;
  services: Services;
  jwt: JwtSettings;
  logger: Logger;
  host: string;
  port: number;
  /** Extra liveness/readiness checks (the store ping, Redis, queues). */
  readiness?: () => Promise<Record<string, boolean>>;
  /** Query limits, body size, introspection, CORS (see `Config['graphql']`). */
  graphql: Config['graphql'];
  /** Served at `GET /metrics` (Prometheus text format). */
  metrics?: Registry;
  /** How long `close()` lets in-flight HTTP requests run before cutting their sockets. @default 10000 */
  drainGraceMs?: number;
  /** express `trust proxy` (see `Config['trustProxy']`). @default false */
  trustProxy?: Config['trustProxy'];
}

export interface RunningServer {
  url: string;
  wsUrl: string;
  port: number;
  httpServer: Server;
  /** Stops accepting, closes WebSockets (code 1001), lets in-flight requests finish, closes idle keep-alive sockets. Idempotent. */
  close(): Promise<void>;
  /** What `close()` may still be waiting for (logged when the shutdown bound is exceeded). */
  inFlight(): { httpRequests: number; websockets: number };
}

/** How long a WebSocket client gets to answer the 1001 close frame at shutdown. */
const WS_CLOSE_GRACE_MS = 1000;

type WsExtra = {
  socket: WebSocket;
  request: IncomingMessage;
  user?: AuthUser;
  expiryTimer?: NodeJS.Timeout;
  /** Operation ids of this socket's live subscriptions. */
  subscriptions?: Set<string>;
};

/** graphql-ws connection_init payload: `{ authorization: "Bearer …" }` or `{ token: "…" }`. */
function tokenFromConnectionParams(params: Readonly<Record<string, unknown>> | undefined): string | null {
  if (!params) return null;
  const fromHeader = bearerFrom(params['authorization'] ?? params['Authorization']);
  if (fromHeader) return fromHeader;
  return typeof params['token'] === 'string' && params['token'] ? params['token'] : null;
}

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const { schema, services, jwt, logger } = opts;
  const app = express();
  app.disable('x-powered-by');
  let httpRequests = 0;
  app.use((_req, res, next) => {
    httpRequests++;
    res.once('close', () => httpRequests--);
    next();
  });
  app.set('trust proxy', opts.trustProxy ?? false);
  // The same compiled trust function for WebSocket upgrades, which express never sees.
  const trustFn = app.get('trust proxy fn') as (addr: string, hop: number) => boolean;
  const httpServer = createServer(app);
  const wsServer = new WebSocketServer({ server: httpServer, path: '/graphql' });
  const formatError = formatErrorFor(logger);
  const limits = createLimits(opts.graphql.limits, { hideSuggestions: opts.graphql.hideSuggestions });

  const maskResult = (result: ExecutionResult): FormattedExecutionResult => {
    if (!result.errors?.length) return result as FormattedExecutionResult;
    return { ...result, errors: result.errors.map((e) => formatError(e.toJSON(), e)) } as FormattedExecutionResult;
  };

  // Apollo plugins do not run for graphql-ws: auth, context and error masking are applied here again.
  // Per-user caps: one client (or one leaked token) must not hold the whole server's memory in sockets and queues.
  const connectionsByUser = new Map<string, number>();
  const subscriptionsByUser = new Map<string, number>();
  const bump = (m: Map<string, number>, k: string, by: number) => {
    const n = (m.get(k) ?? 0) + by;
    if (n <= 0) m.delete(k);
    else m.set(k, n);
  };

  const wsCleanup = useServer<Record<string, unknown>, WsExtra>(
    {
      schema,
      onConnect: async (ctx) => {
        const token = tokenFromConnectionParams(ctx.connectionParams);
        if (!token) {
          ctx.extra.socket.close(4401, 'Unauthorized');
          return false;
        }
        try {
          const user = await verifyToken(token, jwt);
          if ((connectionsByUser.get(user.sub) ?? 0) >= opts.graphql.maxConnectionsPerUser) {
            // 4029, not 4429: graphql-ws uses 4429 for a repeated connection_init.
            ctx.extra.socket.close(4029, 'Too many connections for this user');
            return false;
          }
          bump(connectionsByUser, user.sub, 1);
          ctx.extra.user = user;
          ctx.extra.subscriptions = new Set();
          if (user.exp !== null) {
            // A socket lives for hours; the token that opened it does not. Close it when the token expires.
            const ms = Math.max(0, user.exp * 1000 - Date.now());
            ctx.extra.expiryTimer = setTimeout(() => ctx.extra.socket.close(4403, 'Forbidden: token expired'), Math.min(ms, 2 ** 31 - 1));
          }
          return true;
        } catch {
          return false; // graphql-ws closes with 4403 Forbidden
        }
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
        const who = { user: ctx.extra.user ?? null, ip: clientIpOf(ctx.extra.request, trustFn) };
        const checked = limits.checkDocument(schema, payload.query);
        if ('errors' in checked) {
          if (checked.document) await auditRefusedOperation(services, who, checked.document, payload.operationName, 'GRAPHQL_VALIDATION_FAILED');
          return checked.errors;
        }
        if (!opts.graphql.introspection) {
          const errs = validate(schema, checked.document, [NoSchemaIntrospectionCustomRule]);
          if (errs.length) return errs.map((e) => new GraphQLError(e.message, { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }));
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
        return {
          schema,
          document: checked.document,
          variableValues: payload.variables ?? undefined,
          operationName: payload.operationName ?? undefined,
          contextValue: createContext(ctx.extra.user ?? null, services, { ip: who.ip, idempotencyKey: null }),
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
  );

  const apollo = new ApolloServer<Context>({
    schema,
    formatError,
    includeStacktraceInErrorResponses: false,
    introspection: opts.graphql.introspection,
    hideSchemaDetailsFromClientErrors: opts.graphql.hideSuggestions,
    // Fragment spreads can multiply selections far past what depth limits see.
    maxRecursiveSelections: true,
    parseOptions: limits.parseOptions,
    validationRules: limits.apollo.validationRules,
    allowBatchedHttpRequests: false,
    plugins: [
      graphqlSpanPlugin<Context>(),
      ...limits.apollo.plugins,
      guardPlugin(services),
      // Subscriptions live on graphql-ws; over HTTP they would run a resolver without an event.
      {
        async requestDidStart() {
          return {
            async didResolveOperation(rc) {
              if (rc.operation?.operation === 'subscription') {
                throw new GraphQLError('Subscriptions are served over WebSocket (graphql-ws) on this same path', {
                  extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
                });
              }
            },
          };
        },
      },
      // One structured line per operation: name, type, duration, error codes. Never variables
      // (they carry CPFs) nor the query text (it may inline them).
      {
        async requestDidStart() {
          const t0 = performance.now();
          return {
            async willSendResponse(rc) {
              const codes = (rc.errors ?? []).map((e) => String(e.extensions?.['code'] ?? 'ERROR'));
              logger.info(
                {
                  operation: rc.operationName ?? null,
                  type: rc.operation?.operation ?? null,
                  user: rc.contextValue.user?.sub ?? null,
                  durationMs: Math.round(performance.now() - t0),
                  ...(codes.length ? { errors: codes } : {}),
                },
                'graphql operation',
              );
            },
          };
        },
      },
      // Stops accepting, ends idle keep-alive sockets at once and busy ones after their response;
      // past the grace period the rest are cut. WebSockets are closed before this (see close()).
      ApolloServerPluginDrainHttpServer({ httpServer, stopGracePeriodMillis: opts.drainGraceMs ?? 10_000 }),
    ],
    // The process's signal handling is main.ts's (one ordered shutdown). Apollo's own handler would
    // stop the server behind its back, and a second stop() then waits forever on Apollo's barrier.
    stopOnTerminationSignals: false,
  });
  await apollo.start();

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  // Operational, no personal data; meant for the internal network's Prometheus (block it at the edge).
  app.get('/metrics', async (_req, res) => {
    if (!opts.metrics) {
      res.status(404).end();
      return;
    }
    res.set('content-type', opts.metrics.contentType).send(await opts.metrics.metrics());
  });
  app.get('/readyz', async (_req, res) => {
    try {
      const checks = opts.readiness ? await opts.readiness() : {};
      const ok = Object.values(checks).every(Boolean);
      res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'not ready', checks });
    } catch {
      res.status(503).json({ status: 'not ready' });
    }
  });

  // Report PDFs: operator and admin only, an operator within the stations of their token; every download audited.
  app.get('/reports/:captureId', (req, res) => serveReport(req, res, { services, jwt }));

  const origins = opts.graphql.corsOrigins;
  if (origins.length) {
    app.use(cors({ origin: origins.includes('*') ? true : origins, credentials: false, maxAge: 600 }));
  }

  app.use(
    '/graphql',
    express.json({ limit: opts.graphql.bodyLimit }),
    graphqlSpanMiddleware(),
    expressMiddleware(apollo, {
      context: async ({ req }): Promise<Context> => {
        const header = req.headers.authorization;
        let user: AuthUser | null = null;
        if (header !== undefined) {
          const token = bearerFrom(header);
          try {
            if (!token) throw new AuthError('UNAUTHENTICATED', 'Authorization must be "Bearer <token>"');
            user = await verifyToken(token, jwt);
          } catch (err) {
            await auditRefusedBody(services, req.body, req.ip ?? null, opts.graphql.limits.maxTokens, 'UNAUTHENTICATED');
            const message = err instanceof AuthError ? err.message : 'Invalid token';
            throw new GraphQLError(message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
          }
        }
        const key = req.headers['idempotency-key'];
        return createContext(user, services, { ip: req.ip ?? null, idempotencyKey: typeof key === 'string' ? key : null });
      },
    }),
  );

  // Body-parser errors (malformed JSON, too large) would otherwise answer with an HTML stack page.
  app.use((err: unknown, _req: express.Request, res: express.Response, next: express.NextFunction) => {
    if (res.headersSent) return next(err);
    const e = err as { type?: string; status?: number };
    const status = typeof e.status === 'number' && e.status >= 400 && e.status < 500 ? e.status : 500;
    const code = e.type === 'entity.too.large' ? 'PAYLOAD_TOO_LARGE' : status < 500 ? 'BAD_REQUEST' : 'INTERNAL_SERVER_ERROR';
    if (status >= 500) logger.error({ err }, 'unhandled HTTP error');
    res.status(status).json({ errors: [{ message: code === 'PAYLOAD_TOO_LARGE' ? 'Request body too large' : status < 500 ? 'Malformed request' : 'Internal error', extensions: { code } }] });
  });

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(opts.port, opts.host, () => resolve());
  });
  const port = (httpServer.address() as AddressInfo).port;
  let closing: Promise<void> | null = null;
  const shownHost = opts.host === '0.0.0.0' || opts.host === '::' ? 'localhost' : opts.host;
  return {
    url: `http://${shownHost}:${port}/graphql`,
    wsUrl: `ws://${shownHost}:${port}/graphql`,
    port,
    httpServer,
    close() {
      closing ??= (async () => {
        // First the WebSockets, with 1001 "Going away" (clients reconnect elsewhere with afterSeq);
        // the HTTP drain would otherwise end their sockets without a close frame.
        // A client that never answers the close frame would hold its socket for ws's 30 s close timeout.
        const stragglers = setTimeout(() => {
          for (const ws of wsServer.clients) ws.terminate();
        }, WS_CLOSE_GRACE_MS);
        await wsCleanup.dispose();
        clearTimeout(stragglers);
        await apollo.stop();
      })();
      return closing;
    },
    inFlight: () => ({ httpRequests, websockets: wsServer.clients.size }),
  };
}
