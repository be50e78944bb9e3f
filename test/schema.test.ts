import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { buildGatewaySchema } from '../src/schema/build';
import { printSchemaWithDirectives } from '../src/schema/print';
import { getNamedType, isObjectType, type GraphQLObjectType } from 'graphql';

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

// src/schema/simple-fields.ts: plain property fields skip type-graphql's middleware chain; the rest keep it.
test('plain fields use the default resolver; CPF, guarded and resolver-backed fields keep the middleware chain', async () => {
  const schema = await buildGatewaySchema();
  const resolverOf = (type: string, field: string) => (schema.getType(type) as GraphQLObjectType).getFields()[field]!.resolve;
  for (const [t, f] of [['Transaction', 'status'], ['Transaction', 'createdAt'], ['Capture', 'status'], ['PageInfo', 'hasNextPage'], ['Station', 'busy']] as const) {
    expect({ field: `${t}.${f}`, resolver: typeof resolverOf(t, f) }).toEqual({ field: `${t}.${f}`, resolver: 'undefined' });
  }
  // Every CPF field is masked for viewers in the chain; remoteUrl has its CapabilityLink; id and person have resolvers.
  const cpfFields: string[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) if (getNamedType(field.type).name === 'CPF') cpfFields.push(`${type.name}.${field.name}`);
  }
  expect(cpfFields.length).toBeGreaterThanOrEqual(6);
  for (const name of [...cpfFields, 'Capture.remoteUrl', 'Transaction.id', 'Transaction.person', 'Person.transactions']) {
    const [t, f] = name.split('.') as [string, string];
    expect({ field: name, resolver: typeof resolverOf(t, f) }).toEqual({ field: name, resolver: 'function' });
  }
});
