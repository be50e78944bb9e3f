import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { buildGatewaySchema } from '../src/schema/build';
import { printSchemaWithDirectives } from '../src/schema/print';

test('schema/schema.graphql matches the type-graphql classes (run `npm run emit-schema` after changing them)', async () => {
  const emitted = printSchemaWithDirectives(await buildGatewaySchema());
  const committed = readFileSync(resolve(__dirname, '../schema/schema.graphql'), 'utf8');
  expect(committed).toBe(emitted);
});

test('the public API names frontends rely on exist', async () => {
  const schema = await buildGatewaySchema();
  const q = Object.keys(schema.getQueryType()!.getFields());
  const m = Object.keys(schema.getMutationType()!.getFields());
  const s = Object.keys(schema.getSubscriptionType()!.getFields());
  expect(q).toEqual(expect.arrayContaining(['person', 'transaction', 'transactions', 'message']));
  expect(m).toEqual(expect.arrayContaining(['requestProofOfLife', 'cancelProofOfLife', 'sendMessage', 'deleteMessage']));
  expect(s).toEqual(expect.arrayContaining(['transactionResponseChanged']));
  for (const t of ['Person', 'Transaction', 'Message', 'CPF', 'DateTime', 'Node', 'SafeInt']) expect(schema.getType(t)).toBeDefined();
});
