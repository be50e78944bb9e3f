import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

/**
 * `npm run -s watch -- <token> [ws-url]`: prints every transaction event as it
 * arrives — the smallest possible dashboard, and a copy-paste example of the
 * reconnect recipe: keep the highest `seq` seen and hand it over in
 * `connectionParams` (a function: graphql-ws calls it again on every
 * reconnect), so a dropped socket or a gateway restart loses nothing and
 * repeats nothing.
 */
const [token, url = `ws://localhost:${process.env['PORT'] ?? 4000}/graphql`] = process.argv.slice(2);
if (!token) {
  process.stderr.write('usage: npm run -s watch -- <token> [ws://host:port/graphql]\n');
  process.exit(2);
}

let lastSeq: number | undefined;
const client = createClient({
  url,
  webSocketImpl: WebSocket,
  connectionParams: () => ({ authorization: `Bearer ${token}`, afterSeq: lastSeq }),
  // By default graphql-ws retries only after a close; "connection refused" during a restart would end the watch.
  shouldRetry: () => true,
  retryAttempts: Infinity,
  retryWait: (retries) => new Promise((r) => setTimeout(r, Math.min(1000 * 2 ** retries, 8000) + Math.random() * 1000)),
});
client.on('closed', () => process.stderr.write(`disconnected; resuming after seq ${lastSeq ?? '(none yet)'}\n`));
const query = `subscription { transactionResponseChanged { seq type at transaction { id cpf status denialReason autoAuthorized } } }`;
client.subscribe<{ transactionResponseChanged: { seq: number } }>(
  { query },
  {
    next: (msg) => {
      const seq = msg.data?.transactionResponseChanged.seq;
      if (seq !== undefined) lastSeq = Math.max(lastSeq ?? 0, seq);
      process.stdout.write(`${JSON.stringify(msg.data ?? msg.errors)}\n`);
    },
    error: (err) => {
      process.stderr.write(`subscription ended: ${err instanceof Error ? err.message : JSON.stringify(err)}\n`);
      process.exit(1);
    },
    complete: () => process.exit(0),
  },
);
process.stderr.write(`watching ${url} (Ctrl-C to stop)\n`);
