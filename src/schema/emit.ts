import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { printSchemaWithDirectives } from './print';
import { buildGatewaySchema } from './build';

/** `npm run emit-schema`: rewrites schema/schema.graphql from the type-graphql classes. */
async function main(): Promise<void> {
  const schema = await buildGatewaySchema();
  const out = resolve(__dirname, '../../schema/schema.graphql');
  writeFileSync(out, printSchemaWithDirectives(schema));
  process.stdout.write(`wrote ${out}\n`);
}

void main();
