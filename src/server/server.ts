import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import cors from 'cors';
import express from 'express';
import { GraphQLError, type GraphQLSchema } from 'graphql';
import { WebSocketServer } from 'ws';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { AuthError, bearerFrom, verifyToken, type AuthUser, type JwtSettings } from '../auth/jwt';
import { createContext, type Context, type Services } from '../../resolvers/context';
import { formatErrorFor } from './errors';
import { createLimits } from './limits';
import { attachGraphqlWs } from './ws';
import type { Fanout } from './fanout';
import { eventCursorPlugin } from './event-cursor';
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
}

export interface RunningServer {
  url: string;
  wsUrl: string;
  port: number;
  httpServer: Server;
  /** The graphql-ws sockets (tests drop them server-side). */
  wsServer: WebSocketServer;
  /** Shared subscription execution (groups and their members). */
  fanout: Fanout;
  /** Stops accepting, lets in-flight requests finish, closes sockets (code 1001). */
  close(): Promise<void>;
}

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const { schema, services, jwt, logger } = opts;
  const app = express();
  app.disable('x-powered-by');
  const httpServer = createServer(app);
  const wsServer = new WebSocketServer({ server: httpServer, path: '/graphql' });
  const formatError = formatErrorFor(logger);
  const limits = createLimits(opts.graphql.limits, { hideSuggestions: opts.graphql.hideSuggestions });

  // Apollo plugins do not run for graphql-ws: auth, limits, error masking, resume and keepalive live in ws.ts.
  const wsCleanup = attachGraphqlWs(wsServer, { schema, services, jwt, graphql: opts.graphql, limits, formatError, logger });

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
      eventCursorPlugin(),
      ...limits.apollo.plugins,
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
      ApolloServerPluginDrainHttpServer({ httpServer }),
      {
        async serverWillStart() {
          return {
            async drainServer() {
              await wsCleanup.dispose();
            },
          };
        },
      },
    ],
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

  // Report PDFs: same bearer auth as GraphQL (viewer and up); served from the store, never proxied.
  app.get('/reports/:captureId', async (req, res) => {
    const token = bearerFrom(req.headers.authorization);
    try {
      if (!token) throw new AuthError('UNAUTHENTICATED', 'Authentication required: send a bearer token');
      await verifyToken(token, jwt);
    } catch (err) {
      res.status(401).set('www-authenticate', 'Bearer').json({ error: err instanceof AuthError ? err.message : 'Invalid token' });
      return;
    }
    const id = String(req.params['captureId']).toLowerCase();
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id)) {
      res.status(400).json({ error: 'captureId must be a UUID' });
      return;
    }
    const pdf = await services.store.report(id);
    if (!pdf) {
      res.status(404).json({ error: 'No report for this capture (yet)' });
      return;
    }
    res.status(200).set({ 'content-type': 'application/pdf', 'content-disposition': `attachment; filename="capture-${id}.pdf"`, 'cache-control': 'private, no-store' }).send(pdf);
  });

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
  const shownHost = opts.host === '0.0.0.0' || opts.host === '::' ? 'localhost' : opts.host;
  return {
    url: `http://${shownHost}:${port}/graphql`,
    wsUrl: `ws://${shownHost}:${port}/graphql`,
    port,
    httpServer,
    wsServer,
    fanout: wsCleanup.fanout,
    async close() {
      await apollo.stop();
    },
  };
}
