import { createClient, type Client } from 'graphql-ws';

export interface RealtimeOptions {
  /** ws:// or wss:// URL of the gateway's GraphQL path. */
  url: string;
  /** Called on every (re)connect, so a refreshed token is picked up. */
  getToken: () => string | Promise<string>;
  /** Browsers have WebSocket; in Node pass `ws`'s. */
  webSocketImpl?: unknown;
}

/** One graphql-ws socket that resumes after any disconnect from the highest event `seq` seen. */
export interface Realtime {
  client: Client;
  /** Call with every event's `seq` (and with `Query.eventCursor` of your first snapshot). */
  saw(seq: number): void;
  lastSeq(): number | undefined;
}

export function createRealtime({ url, getToken, webSocketImpl }: RealtimeOptions): Realtime {
  let lastSeq: number | undefined;
  const client = createClient({
    url,
    webSocketImpl,
    // A function: graphql-ws calls it again on every reconnect, so the gateway replays
    // every event after lastSeq before tailing live (no gap, no duplicate).
    connectionParams: async () => ({ authorization: `Bearer ${await getToken()}`, afterSeq: lastSeq }),
    // By default graphql-ws retries only after a close; "connection refused" while the
    // gateway restarts would end every subscription. Retry everything, capped and jittered.
    shouldRetry: () => true,
    retryAttempts: Infinity,
    retryWait: (n) => new Promise((r) => setTimeout(r, Math.min(1000 * 2 ** n, 8000) + Math.random() * 1000)),
  });
  return {
    client,
    saw: (seq) => {
      lastSeq = Math.max(lastSeq ?? 0, seq);
    },
    lastSeq: () => lastSeq,
  };
}
