import { getMetadataStorage } from 'type-graphql';

/**
 * type-graphql wraps *every* field of an object type in the global middleware
 * chain (error mapping, input sanity, station scope, CPF masking), even a
 * field that only reads a property: four `async` dispatches and their promises
 * per scalar, which made field resolution, not the store, most of a data
 * query's CPU. None of those middlewares can act on a plain property read with
 * no arguments that is not a CPF (a getter cannot throw an upstream error, has
 * no input to check, is not a mutation and is not a CPF to mask). Such fields
 * get type-graphql's documented `simple: true` (GraphQL's default resolver):
 * exactly the fields that are
 * - declared by `@Field` with no resolver method of that name (`@FieldResolver`),
 * - without arguments, without `@Authorized` and without `@UseMiddleware`
 *   (matched by field name on any class, to err on the safe side),
 * - whose schema name is the property name (the default resolver reads
 *   `source[schemaName]`),
 * - not of the CPF scalar (masking for viewers happens in the chain),
 * - not already given `simple` by their declaration.
 * Decided from the decorators' metadata before the schema is built, so a field
 * that later gains a role, a middleware or a resolver leaves the fast path by
 * itself. Returns how many fields were made simple.
 */
export function simplifyPlainFields(cpfScalarName: string): number {
  const storage = getMetadataStorage();
  const guarded = new Set<string>([
    ...storage.authorizedFields.map((a) => a.fieldName),
    ...storage.middlewares.map((m) => m.fieldName),
    ...storage.fieldResolvers.map((r) => r.methodName),
    ...storage.fieldResolvers.map((r) => r.schemaName),
  ]);
  const outputTargets = new Set<unknown>([...storage.objectTypes.map((t) => t.target), ...storage.interfaceTypes.map((t) => t.target)]);
  let count = 0;
  for (const field of storage.fields) {
    if (!outputTargets.has(field.target) || field.simple !== undefined) continue;
    if (guarded.has(field.name) || guarded.has(field.schemaName) || field.name !== field.schemaName) continue;
    if (storage.params.some((p) => p.target === field.target && p.methodName === field.name)) continue;
    const type: unknown = field.getType();
    if (type && typeof type === 'object' && 'name' in type && (type as { name: unknown }).name === cpfScalarName) continue;
    field.simple = true;
    count++;
  }
  return count;
}
