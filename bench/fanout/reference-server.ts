/**
 * The floor for `npm run bench -- fanout`: a bare graphql-ws server (graphql-js
 * + ws, no auth, no store), the same subscription shape as the gateway's
 * `transactionResponseChanged`, and graphql-ws's default execution: every
 * event executed and serialized once per subscriber. `POST /publish` publishes
 * one event. Prints `{"port": N}` when listening.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';

const schema = buildSchema(`
  type Transaction { id: ID! cpf: String! status: String! kind: String! reason: String! autoAuthorized: Boolean! createdAt: String! updatedAt: String! version: Int! }
  type TransactionEvent { seq: Int! type: String! at: String! transaction: Transaction! }
  type Query { ok: Boolean }
  type Subscription { transactionResponseChanged: TransactionEvent }
`);

type Event = { seq: number; type: string; at: string; transaction: Record<string, unknown> };
const subscribers = new Set<(e: Event) => void>();

/** One async iterator per subscriber, as a plain PubSub gives. */
function subscribe(): AsyncGenerator<{ transactionResponseChanged: Event }> {
  const queue: Event[] = [];
  let wake: (() => void) | null = null;
  const push = (e: Event) => {
    queue.push(e);
    wake?.();
  };
  subscribers.add(push);
  return (async function* () {
    try {
      for (;;) {
        while (queue.length) yield { transactionResponseChanged: queue.shift()! };
        await new Promise<void>((r) => (wake = r));
        wake = null;
      }
    } finally {
      subscribers.delete(push);
    }
  })();
}

const roots = { subscription: { transactionResponseChanged: subscribe } };
let seq = 0;
const http = createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/publish') {
    seq++;
    const now = new Date().toISOString();
    const e: Event = {
      seq,
      type: 'REQUESTED',
      at: now,
      transaction: { id: `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`, cpf: '10000000108', status: 'PENDING', kind: 'PROOF_OF_LIFE', reason: 'bench', autoAuthorized: false, createdAt: now, updatedAt: now, version: seq },
    };
    for (const s of subscribers) s(e);
    res.end('{}');
    return;
  }
  res.statusCode = 404;
  res.end();
});
const wss = new WebSocketServer({ server: http, path: '/graphql' });
useServer({ schema, roots: roots as never }, wss);
http.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ port: (http.address() as AddressInfo).port })}\n`));
