import { ApolloArmor } from '@escape.tech/graphql-armor';
import {
  GraphQLError,
  Kind,
  getNamedType,
  isCompositeType,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';

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
  checkDocument(schema: GraphQLSchema, query: string): { document: DocumentNode } | { errors: GraphQLError[]; document?: DocumentNode };
}

/**
 * graphql-armor words a refusal as "Syntax Error: Query Cost limit of 5000
 * exceeded, found 5230." — neither a syntax error nor easy to act on. Report
 * instead what was measured and the limit, in the message and in
 * `extensions` (`limit`, `found`; `cost` for the cost limit). The request is
 * still refused at validation (HTTP 400, GRAPHQL_VALIDATION_FAILED).
 */
function limitRefusal(what: 'Query cost' | 'Query depth' | 'Aliases' | 'Directives') {
  return (ctx: ValidationContext | null, err: GraphQLError): void => {
    const m = /limit of (\d+) exceeded, found (\d+)/.exec(err.message);
    if (!ctx || !m) throw err;
    const limit = Number(m[1]);
    const found = Number(m[2]);
    ctx.reportError(
      new GraphQLError(`${what} ${found} exceeds the limit ${limit}`, {
        extensions: { limit, found, ...(what === 'Query cost' ? { cost: found } : {}) },
      }),
    );
  };
}

export function createLimits(l: QueryLimits, opts: { hideSuggestions: boolean }): Limits {
  const reported = { propagateOnRejection: false, exposeLimits: true };
  const armor = new ApolloArmor({
    maxDepth: { n: l.maxDepth, ...reported, onReject: [limitRefusal('Query depth')] },
    maxAliases: { n: l.maxAliases, ...reported, onReject: [limitRefusal('Aliases')] },
    costLimit: { maxCost: l.maxCost, ...reported, onReject: [limitRefusal('Query cost')] },
    // Enforced through the parser's own maxTokens (Apollo `parseOptions`, and `parse` on WS):
    // armor's plugin variant answers HTTP 500 for what is a client error.
    maxTokens: { enabled: false },
    maxDirectives: { n: l.maxDirectives, ...reported, onReject: [limitRefusal('Directives')] },
    blockFieldSuggestion: { enabled: opts.hideSuggestions },
  });
  const apollo = armor.protect();
  apollo.validationRules.push(introspectionDepthRule);
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
          document,
          errors: errors.map(
            (e) =>
              new GraphQLError(opts.hideSuggestions ? e.message.replace(/ ?Did you mean[^?]*\?/g, '') : e.message, {
                nodes: e.nodes,
                extensions: { ...e.extensions, code: 'GRAPHQL_VALIDATION_FAILED' },
              }),
          ),
        };
      }
      return { document };
    },
  };
}

/**
 * graphql-armor's depth limit skips `__schema` (its `ignoreIntrospection`),
 * and a 40-level `ofType { ofType { … } }` is then answered. Introspection
 * gets its own bound instead of the normal one: the standard introspection
 * query of graphql-js (GraphiQL, codegen, Apollo Sandbox) is exactly 15 deep.
 */
export const INTROSPECTION_MAX_DEPTH = 15;

function selectionDepth(set: SelectionSetNode, fragments: Map<string, FragmentDefinitionNode>, seen: Set<string>): number {
  let max = 0;
  for (const s of set.selections) {
    let d = 0;
    if (s.kind === Kind.FIELD) d = s.selectionSet ? 1 + selectionDepth(s.selectionSet, fragments, seen) : 1;
    else if (s.kind === Kind.INLINE_FRAGMENT) d = selectionDepth(s.selectionSet, fragments, seen);
    else {
      const f = fragments.get(s.name.value);
      // A fragment cycle is reported by the standard NoFragmentCycles rule.
      if (f && !seen.has(f.name.value)) d = selectionDepth(f.selectionSet, fragments, new Set([...seen, f.name.value]));
    }
    max = Math.max(max, d);
  }
  return max;
}

function introspectionDepthRule(context: ValidationContext) {
  const doc = context.getDocument();
  const fragments = new Map(doc.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]));
  return {
    Field(node: { name: { value: string }; selectionSet?: SelectionSetNode }) {
      if ((node.name.value !== '__schema' && node.name.value !== '__type') || !node.selectionSet) return;
      const depth = 1 + selectionDepth(node.selectionSet, fragments, new Set());
      if (depth > INTROSPECTION_MAX_DEPTH) {
        context.reportError(new GraphQLError(`Introspection depth ${depth} exceeds the limit of ${INTROSPECTION_MAX_DEPTH}`, { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }));
      }
    },
  };
}

/**
 * The cost of one operation for the per-user query budget: 1 per selected
 * field (no field calls an upstream: station state is read from the store),
 * fragments expanded where they are spread. Lists are not multiplied (their size is not
 * known before running; pagination caps them).
 */
export function operationCost(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode): number {
  const fragments = new Map(document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]));
  const root = operation.operation === 'query' ? schema.getQueryType() : operation.operation === 'mutation' ? schema.getMutationType() : schema.getSubscriptionType();
  const walk = (set: SelectionSetNode, parent: GraphQLCompositeType | null | undefined, seen: Set<string>): number => {
    let cost = 0;
    for (const s of set.selections) {
      if (s.kind === Kind.FIELD) {
        const field = parent && 'getFields' in parent ? parent.getFields()[s.name.value] : undefined;
        cost += 1;
        if (s.selectionSet) {
          const t = field ? getNamedType(field.type) : undefined;
          cost += walk(s.selectionSet, t && isCompositeType(t) ? t : null, seen);
        }
      } else if (s.kind === Kind.INLINE_FRAGMENT) {
        const t = s.typeCondition ? schema.getType(s.typeCondition.name.value) : parent;
        cost += walk(s.selectionSet, t && isCompositeType(t) ? t : null, seen);
      } else {
        const f = fragments.get(s.name.value);
        if (!f || seen.has(f.name.value)) continue;
        const t = schema.getType(f.typeCondition.name.value);
        cost += walk(f.selectionSet, t && isCompositeType(t) ? t : null, new Set([...seen, f.name.value]));
      }
    }
    return cost;
  };
  return walk(operation.selectionSet, root, new Set());
}
