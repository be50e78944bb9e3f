import { ApolloArmor } from '@escape.tech/graphql-armor';
import { GraphQLError, parse, specifiedRules, validate, type DocumentNode, type GraphQLSchema, type ValidationRule } from 'graphql';

/** Query limits, the same on HTTP and WebSocket. */
export interface QueryLimits {
  /** Deepest selection nesting. @default 10 */
  maxDepth: number;
  /** Aliases per operation (alias bombs multiply resolver work). @default 15 */
  maxAliases: number;
  /** graphql-armor cost estimate per operation. @default 5000 */
  maxCost: number;
  /** Lexer tokens per document: bounds parse time before validation even starts. @default 2000 */
  maxTokens: number;
  /** Directives per operation. @default 20 */
  maxDirectives: number;
}

export interface Limits {
  /** Handed to Apollo Server (HTTP). */
  apollo: ReturnType<ApolloArmor['protect']>;
  /** Apollo `parseOptions`: the token cap enforced by the parser itself (a syntax-level 400, not a 500). */
  parseOptions: { maxTokens: number };
  /**
   * For graphql-ws, where Apollo plugins do not run: parse with the token
   * cap and validate with the same armor rules.
   */
  checkDocument(schema: GraphQLSchema, query: string): { document: DocumentNode } | { errors: GraphQLError[] };
}

export function createLimits(l: QueryLimits, opts: { hideSuggestions: boolean }): Limits {
  const armor = new ApolloArmor({
    maxDepth: { n: l.maxDepth },
    maxAliases: { n: l.maxAliases },
    costLimit: { maxCost: l.maxCost },
    // Enforced through the parser's own maxTokens (Apollo `parseOptions`, and `parse` on WS):
    // armor's plugin variant answers HTTP 500 for what is a client error.
    maxTokens: { enabled: false },
    maxDirectives: { n: l.maxDirectives },
    blockFieldSuggestion: { enabled: opts.hideSuggestions },
  });
  const apollo = armor.protect();
  const rules: ValidationRule[] = [...specifiedRules, ...apollo.validationRules];
  return {
    apollo,
    parseOptions: { maxTokens: l.maxTokens },
    checkDocument(schema, query) {
      let document: DocumentNode;
      try {
        document = parse(query, { maxTokens: l.maxTokens });
      } catch (err) {
        const e = err instanceof GraphQLError ? err : new GraphQLError('Syntax error');
        return { errors: [new GraphQLError(e.message, { extensions: { code: 'GRAPHQL_PARSE_FAILED' } })] };
      }
      const errors = validate(schema, document, rules);
      if (errors.length) {
        return {
          errors: errors.map(
            (e) =>
              new GraphQLError(opts.hideSuggestions ? e.message.replace(/ ?Did you mean[^?]*\?/g, '') : e.message, {
                nodes: e.nodes,
                extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
              }),
          ),
        };
      }
      return { document };
    },
  };
}
