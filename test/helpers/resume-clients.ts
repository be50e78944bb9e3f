import { ApolloClient, InMemoryCache, gql } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { createClient, type Client } from 'graphql-ws';
import { Client as UrqlClient, subscriptionExchange } from 'urql';
import WebSocket from 'ws';

export interface SeenEvent {
  seq: number;
  type: string;
  transactionId: string;
  status: string;
}

/** What a dashboard keeps: every event it got, and how many times its socket (re)connected. */
export interface ResumingClient {
  readonly events: SeenEvent[];
  readonly errors: unknown[];
  /** Times the socket was acknowledged (1 + reconnects). */
  connects(): number;
  stop(): Promise<void>;
}

const FEED = `subscription Feed { transactionResponseChanged { seq type transaction { id status } } }`;

type FeedData = { transactionResponseChanged: { seq: number; type: string; transaction: { id: string; status: string } } };

/**
 * The README's reconnect recipe: the only state is the highest seq seen, and
 * graphql-ws calls `connectionParams` again on every reconnect. Retries are
 * left as the libraries ship them.
 */
function recipeWsClient(url: string, token: string, state: { lastSeq: number | undefined; connects: number }): Client {
  const client = createClient({
    url,
    webSocketImpl: WebSocket,
    connectionParams: () => ({ authorization: `Bearer ${token}`, afterSeq: state.lastSeq }),
    // graphql-ws retries only close events by default: "connection refused" while the gateway
    // restarts would end every subscription. Retry everything, with capped, jittered backoff.
    shouldRetry: () => true,
    retryAttempts: Infinity,
    retryWait: (retries) => new Promise((r) => setTimeout(r, Math.min(1000 * 2 ** retries, 8000) + Math.random() * 1000)),
  });
  client.on('connected', () => {
    state.connects++;
  });
  return client;
}

function collector(state: { lastSeq: number | undefined; connects: number }, wsClient: Client) {
  const events: SeenEvent[] = [];
  const errors: unknown[] = [];
  const onData = (data: FeedData | null | undefined) => {
    const e = data?.transactionResponseChanged;
    if (!e) return;
    events.push({ seq: e.seq, type: e.type, transactionId: e.transaction.id, status: e.transaction.status });
    state.lastSeq = Math.max(state.lastSeq ?? 0, e.seq);
  };
  const client: ResumingClient = {
    events,
    errors,
    connects: () => state.connects,
    stop: async () => {
      await wsClient.dispose();
    },
  };
  return { client, onData, errors };
}

/** Apollo Client 4: `GraphQLWsLink` over the recipe's graphql-ws client. */
export function apolloFeed(url: string, token: string): ResumingClient {
  const state = { lastSeq: undefined as number | undefined, connects: 0 };
  const wsClient = recipeWsClient(url, token, state);
  const { client, onData, errors } = collector(state, wsClient);
  const apollo = new ApolloClient({ link: new GraphQLWsLink(wsClient), cache: new InMemoryCache() });
  const sub = apollo.subscribe<FeedData>({ query: gql(FEED) }).subscribe({
    next: (r) => onData(r.data as FeedData | undefined),
    error: (err) => errors.push(err),
  });
  const stop = client.stop;
  client.stop = async () => {
    sub.unsubscribe();
    apollo.stop();
    await stop();
  };
  return client;
}

/** urql 5: `subscriptionExchange` forwarding to the recipe's graphql-ws client. */
export function urqlFeed(url: string, token: string): ResumingClient {
  const state = { lastSeq: undefined as number | undefined, connects: 0 };
  const wsClient = recipeWsClient(url, token, state);
  const { client, onData, errors } = collector(state, wsClient);
  const urql = new UrqlClient({
    url: url.replace(/^ws/, 'http'),
    exchanges: [
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query || '' };
          return {
            subscribe(sink) {
              const unsubscribe = wsClient.subscribe(input, sink);
              return { unsubscribe };
            },
          };
        },
      }),
    ],
  });
  const sub = urql.subscription<FeedData>(FEED, {}).subscribe((r) => {
    if (r.error) errors.push(r.error);
    onData(r.data);
  });
  const stop = client.stop;
  client.stop = async () => {
    sub.unsubscribe();
    await stop();
  };
  return client;
}
