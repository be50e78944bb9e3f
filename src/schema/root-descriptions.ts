import type { GraphQLSchema } from 'graphql';

/**
 * Descriptions of the root types. type-graphql builds Query, Mutation and
 * Subscription from resolver classes and has no option for their own
 * descriptions, so they are set on the built schema (which the emitted
 * schema/schema.graphql and introspection both read).
 */
const ROOT_DESCRIPTIONS = {
  query: 'Reads. Every field needs a bearer token of role viewer or above; viewers see CPFs masked.',
  mutation:
    'Changes. Every attempt is rate-limited and written to the audit log before it runs; each field needs the role operator or admin (see the README).',
  subscription:
    'Live events over graphql-ws, with the same token and roles as queries. Every event carries its log position (seq): resubscribe with afterSeq to resume without gap or duplicate.',
} as const;

export function describeRootTypes(schema: GraphQLSchema): GraphQLSchema {
  const roots = [
    [schema.getQueryType(), ROOT_DESCRIPTIONS.query],
    [schema.getMutationType(), ROOT_DESCRIPTIONS.mutation],
    [schema.getSubscriptionType(), ROOT_DESCRIPTIONS.subscription],
  ] as const;
  for (const [type, description] of roots) {
    if (type && !type.description) type.description = description;
  }
  return schema;
}
