// Schema lint (runs in `npm test`): the emitted schema/schema.graphql is what
// frontend teams code against, so it is held to the Relay conventions, one
// naming style and a description on every type, field, argument and enum value.
// The operations in schema/operations are linted against it too.
import graphqlPlugin from '@graphql-eslint/eslint-plugin';

const graphQLConfig = { schema: 'schema/schema.graphql', documents: 'schema/operations/*.graphql' };

export default [
  {
    files: ['schema/**/*.graphql'],
    languageOptions: { parser: graphqlPlugin.parser, parserOptions: { graphQLConfig } },
    plugins: { '@graphql-eslint': graphqlPlugin },
  },
  {
    files: ['schema/schema.graphql'],
    rules: {
      ...graphqlPlugin.configs['flat/schema-recommended'].rules,
      ...graphqlPlugin.configs['flat/schema-relay'].rules,
      // Edges are named *Edge and their nodes implement Node; other lists (a connection's
      // `nodes` shortcut, as GitHub's API has, an export's plain lists) are allowed.
      '@graphql-eslint/relay-edge-types': ['error', { withEdgeSuffix: true, shouldImplementNode: true, listTypeCanWrapOnlyEdgeType: false }],
      '@graphql-eslint/require-description': [
        'error',
        {
          types: true,
          rootField: true,
          FieldDefinition: true,
          InputValueDefinition: true,
          EnumValueDefinition: true,
          DirectiveDefinition: true,
        },
      ],
      // Scalars from graphql-scalars and upstream mirror types (Requester, Seal) carry no id:
      // they are values, not entities. Entities implement Node (relay rules above).
      '@graphql-eslint/strict-id-in-types': [
        'error',
        {
          acceptedIdNames: ['id'],
          acceptedIdTypes: ['ID'],
          exceptions: {
            suffixes: ['Payload', 'Connection', 'Edge', 'PageInfo', 'Event', 'Result', 'Error', 'Stats', 'Count'],
            // Values inside one entity (no identity of their own) and one-off answers.
            types: ['CaptureReport', 'MessageSender', 'PersonDataExport', 'PersonErasure', 'ProofOfLifeResponse', 'Requester', 'Seal', 'Cancellation'],
          },
        },
      ],
      '@graphql-eslint/no-scalar-result-type-on-mutation': 'error',
    },
  },
  {
    files: ['schema/operations/*.graphql'],
    rules: {
      ...graphqlPlugin.configs['flat/operations-recommended'].rules,
    },
  },
];
