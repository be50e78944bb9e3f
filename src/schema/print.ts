import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';

const HEADER = '# Emitted from the type-graphql classes by `npm run emit-schema`. Do not edit: test/schema.test.ts fails on drift.\n\n';

/** Sorted, so that moving a class between files does not show up as drift. */
export function printSchemaWithDirectives(schema: GraphQLSchema): string {
  return HEADER + printSchema(lexicographicSortSchema(schema)) + '\n';
}
