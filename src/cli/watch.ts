import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

/**
 * `npm run -s watch -- <token> [ws-url]`: prints every transaction event as it
 * arrives — the smallest possible dashboard, and a copy-paste example of a
 * graphql-ws client with auth in connection_init.
 */
const [token, url = `ws://localhost:${process.env['PORT'] ?? 4000}/graphql`] = process.argv.slice(2);
if (!token) {
  process.stderr.write('usage: npm run -s watch -- <token> [ws://host:port/graphql]\n');
  process.exit(2);
}

const client = createClient({ url, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${token}` } });
const query = `subscription { transactionResponseChanged { seq type at transaction { id cpf status denialReason autoAuthorized } } }`;
client.subscribe(
  { query },
  {
    next: (msg) => process.stdout.write(`${JSON.stringify(msg.data ?? msg.errors)}\n`),
    error: (err) => {
      process.stderr.write(`subscription ended: ${err instanceof Error ? err.message : JSON.stringify(err)}\n`);
      process.exit(1);
    },
    complete: () => process.exit(0),
  },
);
process.stderr.write(`watching ${url} (Ctrl-C to stop)\n`);
