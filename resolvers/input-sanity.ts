import { GraphQLError } from 'graphql';
import type { MiddlewareFn } from 'type-graphql';

/**
 * Control characters other than tab/newline have no business in any input
 * here, and a NUL byte cannot be stored by PostgreSQL at all: caught after
 * the upstream call it would orphan a transaction the citizen was already
 * notified of. So every string argument is checked before any resolver runs.
 */
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;

function findBad(value: unknown, path: string): string | null {
  if (typeof value === 'string') return FORBIDDEN.test(value) ? path : null;
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) {
      const bad = findBad(v, `${path}.${i}`);
      if (bad) return bad;
    }
    return null;
  }
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    for (const [k, v] of Object.entries(value)) {
      const bad = findBad(v, path ? `${path}.${k}` : k);
      if (bad) return bad;
    }
  }
  return null;
}

export const InputSanity: MiddlewareFn = async ({ args }, next) => {
  const bad = findBad(args, '');
  if (bad) {
    const field = bad.replace(/^input\./, '');
    throw new GraphQLError(`Invalid input: ${field} contains control characters`, { extensions: { code: 'BAD_USER_INPUT', fields: { [field]: 'control characters are not allowed' } } });
  }
  return next();
};
