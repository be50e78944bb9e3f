import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from '@apollo/client';
import { SetContextLink } from '@apollo/client/link/context';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { OperationTypeNode, type DocumentNode } from 'graphql';
import { createRealtime, type Realtime, type RealtimeOptions } from './ws';

export interface ApolloOptions extends RealtimeOptions {
  /** http(s):// URL of the gateway's GraphQL path (the socket is the same path over ws(s)://). */
  url: string;
  /** A fetch of your own (tests, SSR); browsers use theirs. */
  fetch?: typeof fetch;
}

/** The hash codegen's client preset embedded in a typed document (`__meta__.hash`), as bare hex. */
export function persistedHash(document: DocumentNode): string {
  const hash = (document as { __meta__?: { hash?: string } }).__meta__?.hash;
  if (!hash) throw new Error('no persisted hash: use the typed documents from codegen');
  return hash.replace(/^sha256:/, '');
}

/** Apollo Client 4: HTTP (POST) for queries and mutations, graphql-ws for subscriptions, all by hash. */
export function createApollo({ url, getToken, webSocketImpl, fetch }: ApolloOptions): { apollo: ApolloClient; realtime: Realtime } {
  const realtime = createRealtime({ url: url.replace(/^http/, 'ws'), getToken, webSocketImpl });
  const auth = new SetContextLink(async ({ headers }) => ({ headers: { ...headers, authorization: `Bearer ${await getToken()}` } }));
  // HttpLink POSTs `application/json`, which no HTML form can send: Apollo Server's CSRF
  // prevention accepts it. (For GET, e.g. `useGETForHashedQueries`, add the header
  // `apollo-require-preflight: true`, or the gateway refuses it as a possible CSRF.)
  const http = new HttpLink({ uri: url, fetch });
  const ws = new GraphQLWsLink(realtime.client);
  // The persisted link goes first, so both transports send the hash; the gateway runs its
  // manifest's text (with PERSISTED_DOCUMENTS_ONLY it refuses anything else).
  const link = ApolloLink.from([
    new PersistedQueryLink({ generateHash: persistedHash }),
    ApolloLink.split((op) => op.operationType === OperationTypeNode.SUBSCRIPTION, ws, auth.concat(http)),
  ]);
  // Every entity implements Node with a global `id`: InMemoryCache normalises them by
  // `__typename` + `id` without typePolicies. Connections stay per argument set.
  return { apollo: new ApolloClient({ link, cache: new InMemoryCache() }), realtime };
}
