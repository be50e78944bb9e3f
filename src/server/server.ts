import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import cors from 'cors';
import express from 'express';
import { GraphQLError, type GraphQLSchema } from 'graphql';
import { WebSocketServer } from 'ws';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { AuthError, bearerFrom, verifyTokenCached, type AuthUser, type JwtSettings } from '../auth/jwt';
import { createContext, type Context, type Services } from '../../resolvers/context';
import { formatErrorFor } from './errors';
import { createLimits } from './limits';
import { auditRefusedBody, guardPlugin } from './guard';
import { originOf, ReportLinks, serveReport } from './reports';
import { mountUi } from './ui';
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
  /** How long `close()` lets in-flight HTTP requests run before cutting their sockets. @default 10000 */
  drainGraceMs?: number;
  /** express `trust proxy` (see `Config['trustProxy']`). @default false */
  trustProxy?: Config['trustProxy'];
  /** Signed report links and the public origin (see `Config['reports']`). */
  reports: Config['reports'];
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
  /** Stops accepting, closes WebSockets (code 1001), lets in-flight requests finish, closes idle keep-alive sockets. Idempotent. */
  close(): Promise<void>;
  /** What `close()` may still be waiting for (logged when the shutdown bound is exceeded). */
  inFlight(): { httpRequests: number; websockets: number };
}

/** How long a WebSocket client gets to answer the 1001 close frame at shutdown. */
const WS_CLOSE_GRACE_MS = 1000;

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
  const links = new ReportLinks(opts.reports);
  const persisted = opts.graphql.persistedDocuments;

  // Apollo plugins do not run for graphql-ws: auth, limits, budget, audit of refusals, error masking,
  // resume and keepalive live in ws.ts.
  const wsCleanup = attachGraphqlWs(wsServer, { schema, services, jwt, graphql: opts.graphql, limits, formatError, logger, trustFn, links });

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
    // Apollo's APQ lets any client register a document under its hash: with PERSISTED_DOCUMENTS_ONLY
    // only the manifests may name documents (persisted-documents.ts swaps their text in before Apollo).
    ...(persisted.only ? { persistedQueries: false as const } : {}),
    plugins: [
      // Apollo's own landing page (Sandbox) loads from a CDN with web fonts and telemetry: a blank page on
      // a closed network. The explorer is ours (./ui.ts), mounted before this middleware.
      ApolloServerPluginLandingPageDisabled(),
      // No field sets a cache hint (every answer is per user and live), and the default cache-control
      // plugin wraps every resolver to compute one: ≈2 % of a data query's CPU for a header nobody reads.
      ApolloServerPluginCacheControlDisabled(),
      graphqlSpanPlugin<Context>(),
      eventCursorPlugin(),
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

  // Browser pages (the explorer at GET /graphql for a browser): same-origin only, so before CORS.
  mountUi(app, { explorer: opts.graphql.explorer, jwt, logger, persisted });

  // Before the routes it serves: a browser app reads reports (signed links) as it reads /graphql.
  const origins = opts.graphql.corsOrigins;
  if (origins.length) {
    app.use(['/graphql', '/reports'], cors({ origin: origins.includes('*') ? true : origins, credentials: false, maxAge: 600 }));
  }

  // Report PDFs: operator and admin only, an operator within the stations of their token; every download audited.
  app.get('/reports/:captureId', (req, res) => serveReport(req, res, { services, jwt, links }));

  app.use(
    '/graphql',
    express.json({ limit: opts.graphql.bodyLimit }),
    persisted.middleware(),
    graphqlSpanMiddleware(),
    expressMiddleware(apollo, {
      context: async ({ req }): Promise<Context> => {
        const header = req.headers.authorization;
        let user: AuthUser | null = null;
        if (header !== undefined) {
          const token = bearerFrom(header);
          try {
            if (!token) throw new AuthError('UNAUTHENTICATED', 'Authorization must be "Bearer <token>"');
            user = await verifyTokenCached(token, jwt);
          } catch (err) {
            await auditRefusedBody(services, req.body, req.ip ?? null, opts.graphql.limits.maxTokens, 'UNAUTHENTICATED');
            const message = err instanceof AuthError ? err.message : 'Invalid token';
            throw new GraphQLError(message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
          }
        }
        const key = req.headers['idempotency-key'];
        const origin = originOf(req, trustFn);
        return createContext(user, services, {
          ip: req.ip ?? null,
          idempotencyKey: typeof key === 'string' ? key : null,
          reportUrl: (captureId, stationId) => links.urlFor(user, captureId, stationId, origin),
        });
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
    wsServer,
    fanout: wsCleanup.fanout,
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
