import type { IncomingMessage } from 'node:http';
import type { ApolloServerPlugin } from '@apollo/server';
import { HeaderMap } from '@apollo/server';
import { GraphQLError, parse, type DocumentNode, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import type { AuthUser } from '../auth/jwt';
import { auditRefusedOperation } from '../../resolvers/mutation-guard';
import type { Context, Services } from '../../resolvers/context';
import { operationCost } from './limits';

/**
 * Request-level guards around the field-level mutation guard
 * (`resolvers/mutation-guard.ts`): the query budget, and the audit of
 * mutations refused before any field ran.
 */

function rateLimited(retryAfterMs: number): GraphQLError {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return new GraphQLError(`Query budget exhausted; retry in ${seconds} s`, {
    extensions: { code: 'RATE_LIMITED', retryAfterSeconds: seconds, http: { status: 429, headers: new HeaderMap([['retry-after', String(seconds)]]) } },
  });
}

/**
 * Spends the operation's cost from the caller's query budget (per user,
 * anonymous callers per IP) before it runs. Returns the refusal, if any.
 * Mutations have their own per-call limits; subscriptions their own caps.
 */
export async function chargeQuery(
  services: Services,
  schema: GraphQLSchema,
  who: { user: AuthUser | null; ip: string | null },
  document: DocumentNode,
  operation: OperationDefinitionNode,
): Promise<GraphQLError | null> {
  if (operation.operation !== 'query') return null;
  const key = who.user ? `u:${who.user.sub}` : who.ip ? `ip:${who.ip}` : null;
  if (!key) return null;
  const decision = await services.rateLimiter.consumeQueryCost(key, operationCost(schema, document, operation));
  return decision.ok ? null : rateLimited(decision.retryAfterMs);
}

/** The Apollo (HTTP) side: query budget after the operation is resolved, refusal audit before the response. */
export function guardPlugin(services: Services): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation(rc) {
          if (!rc.operation) return;
          const refusal = await chargeQuery(services, rc.schema, { user: rc.contextValue.user, ip: rc.contextValue.request.ip }, rc.document, rc.operation);
          if (refusal) throw refusal;
        },
        async willSendResponse(rc) {
          if (!rc.document || !rc.errors?.length) return;
          const code = rc.errors[0]?.extensions?.['code'];
          await auditRefusedOperation(
            services,
            { user: rc.contextValue.user, ip: rc.contextValue.request.ip, context: rc.contextValue },
            rc.document,
            rc.request.operationName,
            typeof code === 'string' ? code : 'GRAPHQL_VALIDATION_FAILED',
          );
        },
      };
    },
  };
}

/**
 * A request whose bearer token was refused never reaches Apollo's pipeline:
 * if its body is a mutation, it is still audited (UNAUTHENTICATED).
 */
export async function auditRefusedBody(services: Services, body: unknown, ip: string | null, maxTokens: number, code: string): Promise<void> {
  const b = body as { query?: unknown; operationName?: unknown } | undefined;
  if (typeof b?.query !== 'string') return;
  let document: DocumentNode;
  try {
    document = parse(b.query, { maxTokens });
  } catch {
    return; // not a parseable operation: nothing was attempted
  }
  await auditRefusedOperation(services, { user: null, ip }, document, typeof b.operationName === 'string' ? b.operationName : null, code);
}

/**
 * The client address of a WebSocket upgrade, by express's own `trust proxy`
 * function (HTTP requests get it as `req.ip`): walk `X-Forwarded-For` from the
 * nearest hop while the hop is a trusted proxy.
 */
export function clientIpOf(req: IncomingMessage, trust: (addr: string, hop: number) => boolean): string | null {
  const socketAddr = req.socket.remoteAddress;
  if (!socketAddr) return null;
  const header = req.headers['x-forwarded-for'];
  const forwarded = typeof header === 'string' ? header.split(',').map((s) => s.trim()).filter(Boolean).reverse() : [];
  const chain = [socketAddr, ...forwarded];
  for (let i = 0; i < chain.length - 1; i++) if (!trust(chain[i]!, i)) return chain[i]!;
  return chain[chain.length - 1]!;
}
