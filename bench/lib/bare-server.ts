/**
 * The reference for the query bench: graphql-http on node:http with the same
 * shape as the gateway's data query, served from memory (no auth, no store,
 * no limits). Prints `bare ready <port>`.
 */
import { buildSchema } from 'graphql';
import { serveBare } from './bare-listen';

const schema = buildSchema(`
  scalar CPF
  scalar DateTime
  enum TransactionStatus { PENDING AUTHORIZED DENIED EXPIRED CANCELLED }
  type Person { cpf: CPF! transactions: TransactionConnection! }
  type TransactionConnection { nodes: [Transaction!]! }
  type Transaction {
    id: ID! status: TransactionStatus! cpf: CPF! reason: String!
    createdAt: DateTime! expiresAt: DateTime! person: Person!
  }
  type Query { transaction(id: ID!): Transaction }
`);

const now = Date.now();
const tx = (i: number) => ({
  id: `00000000-0000-4000-8000-00000000000${i}`,
  status: 'AUTHORIZED',
  cpf: '10000000108',
  reason: 'Benefício previdenciário',
  createdAt: new Date(now - i * 1000).toISOString(),
  expiresAt: new Date(now + 3_600_000).toISOString(),
});
const all = [0, 1, 2].map(tx);
const person = { cpf: '10000000108', transactions: () => ({ nodes: all }) };
const rootValue = { transaction: ({ id }: { id: string }) => ({ ...(all.find((t) => t.id === id) ?? all[0]!), person }) };

serveBare(schema, rootValue);
