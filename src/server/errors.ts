import { randomUUID } from 'node:crypto';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';
import { PUBLIC_CODES } from '../../resolvers/errors';
import { isStoreUnavailable } from '../store/errors';

/**
 * Masks every error whose code is not on the public list: an unexpected
 * exception (a SQL error, a bug, an upstream quirk nobody mapped) must not
 * show its message, stack, SQL or host to a client. The client gets a
 * correlation id that also appears in the log, so support can find it.
 */
/**
 * A scalar (the CPF) refusing a variable does not know where it sits: graphql-js
 * names it in the message (`Variable "$input" got invalid value … at "input.cpf"`).
 * Key `fields` by that path, so a client can point at the offending value.
 */
function variablePathFields(message: string, fields: unknown): Record<string, unknown> | null {
  const m = /^Variable "\$([A-Za-z_]\w*)" got invalid value .*?(?: at "([^"]+)")?; /s.exec(message);
  if (!m || !fields || typeof fields !== 'object') return null;
  const values = Object.values(fields as Record<string, unknown>);
  if (values.length !== 1) return null;
  return { [m[2] ?? m[1]!]: values[0] };
}

export function formatErrorFor(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = formatted.extensions?.['code'];
    if (typeof code === 'string' && PUBLIC_CODES.has(code)) {
      // Public errors keep their extensions, minus anything debug-ish, and minus `http` (status/headers
      // for Apollo's HTTP response, which Apollo strips itself; graphql-ws would send it as-is).
      const { stacktrace: _s, exception: _e, http: _h, ...extensions } = formatted.extensions ?? {};
      if (code === 'BAD_USER_INPUT') {
        const fields = variablePathFields(formatted.message, extensions['fields']);
        if (fields) extensions['fields'] = fields;
      }
      return { ...formatted, extensions };
    }
    const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
    // A lost store outside a resolver (context, subscriptions): still a clear, public code.
    if (isStoreUnavailable(original)) {
      return { message: 'The store is unavailable; try again shortly', ...(formatted.path ? { path: formatted.path } : {}), extensions: { code: 'STORE_UNAVAILABLE' } };
    }
    const correlationId = randomUUID();
    logger.error({ err: original, correlationId, path: formatted.path }, 'unexpected error in a GraphQL operation');
    return {
      message: `Internal error; reference ${correlationId}`,
      ...(formatted.path ? { path: formatted.path } : {}),
      extensions: { code: 'INTERNAL_SERVER_ERROR', correlationId },
    };
  };
}
