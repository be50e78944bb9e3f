import WebSocket from 'ws';
import { createApollo } from '../../examples/clients/apollo';
import { createUrql } from '../../examples/clients/urql';
import type { Realtime } from '../../examples/clients/ws';
import { TransactionChangedDocument, type TransactionChangedSubscription } from '../../examples/clients/__generated__/graphql';

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

/**
 * The README's client recipes (examples/clients) as shipped: the only state is the highest seq
 * seen, handed over in `connectionParams` on every reconnect; retry on everything.
 * The gateway must know examples/clients' persisted documents (PERSISTED_DOCUMENTS).
 */
function collector(realtime: Realtime) {
  let connects = 0;
  realtime.client.on('connected', () => {
    connects++;
  });
  const events: SeenEvent[] = [];
  const errors: unknown[] = [];
  const onData = (data: TransactionChangedSubscription | null | undefined) => {
    const e = data?.transactionResponseChanged;
    if (!e) return;
    events.push({ seq: e.seq, type: e.type, transactionId: e.transaction.id, status: e.transaction.status });
    realtime.saw(e.seq);
  };
  const client: ResumingClient = { events, errors, connects: () => connects, stop: async () => {
    await realtime.client.dispose();
  } };
  return { client, onData, errors };
}

const httpOf = (wsUrl: string) => wsUrl.replace(/^ws/, 'http');

/** Apollo Client 4: `GraphQLWsLink` over the recipe's graphql-ws client. */
export function apolloFeed(url: string, token: string): ResumingClient {
  const { apollo, realtime } = createApollo({ url: httpOf(url), getToken: () => token, webSocketImpl: WebSocket });
  const { client, onData, errors } = collector(realtime);
  const sub = apollo.subscribe({ query: TransactionChangedDocument }).subscribe({
    next: (r) => {
      if (r.error) errors.push(r.error);
      onData(r.data);
    },
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
  const { urql, realtime } = createUrql({ url: httpOf(url), getToken: () => token, webSocketImpl: WebSocket });
  const { client, onData, errors } = collector(realtime);
  const sub = urql.subscription(TransactionChangedDocument, {}).subscribe((r) => {
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
