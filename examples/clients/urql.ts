import { cacheExchange, type CacheExchangeOpts } from '@urql/exchange-graphcache';
import { relayPagination } from '@urql/exchange-graphcache/extras';
import { persistedExchange } from '@urql/exchange-persisted';
import { Client, fetchExchange, subscriptionExchange } from 'urql';
import schema from './__generated__/introspection';
import { createRealtime, type Realtime, type RealtimeOptions } from './ws';

export interface UrqlOptions extends RealtimeOptions {
  /** http(s):// URL of the gateway's GraphQL path (the socket is the same path over ws(s)://). */
  url: string;
  /** A fetch of your own (tests, SSR); browsers use theirs. */
  fetch?: typeof fetch;
}

/** Object types without an `id` (connections, edges, PageInfo, payloads, values): graphcache stores them inside their parent. */
const roots = [schema.__schema.queryType, schema.__schema.mutationType, schema.__schema.subscriptionType].map((t) => t?.name);
const embedded = schema.__schema.types.filter((t) => t.kind === 'OBJECT' && !roots.includes(t.name) && !t.fields.some((f) => f.name === 'id'));

export const cacheOptions: CacheExchangeOpts = {
  // The schema's shape (codegen's urql-introspection): fragments on `Node` types match exactly.
  schema,
  // Entities are keyed by `id` (global, unique across types) by default; the rest is embedded.
  keys: Object.fromEntries(embedded.map((t) => [t.name, () => null])),
  // Pages of one connection (same filters) merge into one list, forwards and backwards.
  resolvers: {
    Query: { transactions: relayPagination(), captures: relayPagination(), auditLog: relayPagination() },
    Person: { transactions: relayPagination(), captures: relayPagination(), messages: relayPagination() },
  },
};

/** urql 5 + graphcache: POST for queries and mutations, graphql-ws for subscriptions, all by hash. */
export function createUrql({ url, getToken, webSocketImpl, fetch }: UrqlOptions): { urql: Client; realtime: Realtime } {
  const realtime = createRealtime({ url: url.replace(/^http/, 'ws'), getToken, webSocketImpl });
  const base = fetch ?? globalThis.fetch;
  const urql = new Client({
    url,
    fetch: async (input, init) => {
      const headers = new Headers(init?.headers);
      headers.set('authorization', `Bearer ${await getToken()}`);
      return base(input, { ...init, headers });
    },
    // urql sends queries as GET by default; Apollo Server's CSRF prevention refuses a GET
    // without `content-type: application/json` or an `apollo-require-preflight` header.
    // POST is the smaller fix (a custom header would cost a CORS preflight per GET anyway).
    preferGetMethod: false,
    exchanges: [
      cacheExchange(cacheOptions),
      persistedExchange({
        // The hash codegen's client preset embedded in the typed document.
        generateHash: async (_query, document) => (document as { __meta__?: { hash?: string } }).__meta__?.hash?.replace(/^sha256:/, ''),
        preferGetForPersistedQueries: false,
        enforcePersistedQueries: true,
        enableForMutation: true,
        enableForSubscriptions: true,
      }),
      fetchExchange,
      subscriptionExchange({
        forwardSubscription: (request) => ({
          subscribe: (sink) => ({ unsubscribe: realtime.client.subscribe({ ...request, query: request.query || '' }, sink) }),
        }),
      }),
    ],
  });
  return { urql, realtime };
}
