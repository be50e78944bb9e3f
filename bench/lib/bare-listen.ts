import { createServer } from 'node:http';
import type { GraphQLSchema } from 'graphql';
import { createHandler } from 'graphql-http/lib/use/http';

/** A bench reference: graphql-http on node:http at `/graphql`, a free loopback port; prints `bare ready <port>`. */
export function serveBare(schema: GraphQLSchema, rootValue: Record<string, unknown>): void {
  const handler = createHandler({ schema, rootValue });
  const server = createServer((req, res) => {
    if (req.url?.startsWith('/graphql')) return void handler(req, res);
    res.writeHead(404).end();
  });
  server.listen(0, '127.0.0.1', () => {
    const a = server.address();
    process.stdout.write(`bare ready ${typeof a === 'object' && a ? a.port : 0}\n`);
  });
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}
