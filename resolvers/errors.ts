import { GraphQLError } from 'graphql';
import type { MiddlewareFn } from 'type-graphql';
import { ArgumentValidationError } from 'type-graphql';
import type { ValidationError } from 'class-validator';
import { AuthError } from '../src/auth/jwt';
import { FlowError, NotFoundError } from '../src/flows/errors';
import { isStoreUnavailable } from '../src/store/errors';
import { toGlobalId, type NodeType } from './global-id';
import {
  UpstreamAuthError,
  UpstreamConflictError,
  UpstreamError,
  UpstreamNotFoundError,
  UpstreamUnavailableError,
  UpstreamValidationError,
} from '../src/upstreams/errors';

/** Codes a client may see; anything else is masked to INTERNAL_SERVER_ERROR by `formatError`. */
export const PUBLIC_CODES = new Set([
  'SUBSCRIBER_TOO_SLOW',
  'PERSISTED_DOCUMENT_REQUIRED', 'PERSISTED_DOCUMENT_NOT_FOUND',
  'BAD_USER_INPUT',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'UPSTREAM_AUTH_FAILED',
  'UPSTREAM_UNAVAILABLE',
  'UPSTREAM_CONFLICT',
  'STATION_BUSY',
  'WRONG_STATE',
  'NO_OPERATOR',
  'UNKNOWN_STATION',
  'INVALID_IDEMPOTENCY_KEY',
  'IDEMPOTENCY_KEY_REUSED',
  'IDEMPOTENCY_IN_PROGRESS',
  'RATE_LIMITED',
  'PERSON_HAS_OPEN_FLOWS',
  'AUDIT_UNAVAILABLE',
  'QUEUE_UNAVAILABLE',
  'STORE_UNAVAILABLE',
  'TOO_MANY_SUBSCRIPTIONS',
  'PAYLOAD_TOO_LARGE',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);

function flattenValidation(errors: ValidationError[], prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of errors) {
    const path = prefix ? `${prefix}.${e.property}` : e.property;
    const first = e.constraints ? Object.values(e.constraints)[0] : undefined;
    if (first) out[path] = first;
    if (e.children?.length) Object.assign(out, flattenValidation(e.children, path));
  }
  return out;
}

/** Detail keys a flow uses for an entity's store key, and the type whose global id a client knows it by. */
const ENTITY_DETAILS: Record<string, NodeType> = { captureId: 'Capture', transactionId: 'Transaction', messageId: 'Message' };

/**
 * Flows (GraphQL-free) name entities by their store keys; a client only ever saw their global ids
 * (`Capture.id`…), so the message and the extensions name them that way.
 */
function withGlobalIds(message: string, details: Record<string, unknown>): { message: string; details: Record<string, unknown> } {
  const out = { ...details };
  for (const [k, type] of Object.entries(ENTITY_DETAILS)) {
    const key = details[k];
    if (typeof key !== 'string') continue;
    const id = toGlobalId(type, key);
    out[k] = id;
    message = message.split(key).join(id);
  }
  return { message, details: out };
}

/**
 * Maps domain and upstream errors to client errors with a fixed message per
 * code. Upstream bodies, hosts and statuses stay in the logs (and only
 * there): a client learns what to do, not how the upstream is built.
 */
export function toGraphQLError(err: unknown): unknown {
  if (err instanceof ArgumentValidationError) {
    const validationErrors = (err.extensions['validationErrors'] ?? []) as ValidationError[];
    // The raw class-validator errors carry the whole input object (`target`): never send them.
    const fields = flattenValidation(validationErrors);
    return new GraphQLError(`Invalid input: ${Object.keys(fields).join(', ') || 'arguments'}`, {
      extensions: { code: 'BAD_USER_INPUT', fields },
    });
  }
  // Before the rest: a lost connection may surface wrapped in any of them.
  if (isStoreUnavailable(err)) return new GraphQLError('The store is unavailable; try again shortly', { extensions: { code: 'STORE_UNAVAILABLE' } });
  if (err instanceof AuthError) return new GraphQLError(err.message, { extensions: { code: err.code } });
  if (err instanceof NotFoundError) return new GraphQLError(err.message, { extensions: { code: 'NOT_FOUND' } });
  if (err instanceof FlowError) {
    const { message, details } = withGlobalIds(err.message, err.details);
    return new GraphQLError(message, { extensions: { code: err.code, ...details } });
  }
  if (err instanceof UpstreamValidationError) {
    return new GraphQLError('The upstream service rejected the input', {
      extensions: { code: 'BAD_USER_INPUT', fields: err.fields, upstream: err.upstream },
    });
  }
  if (err instanceof UpstreamAuthError) {
    return new GraphQLError('The gateway could not authenticate with the upstream service', {
      extensions: { code: err.code, upstream: err.upstream },
    });
  }
  if (err instanceof UpstreamNotFoundError) {
    return new GraphQLError('The upstream service does not know this id', { extensions: { code: 'NOT_FOUND', upstream: err.upstream } });
  }
  if (err instanceof UpstreamConflictError) {
    return new GraphQLError(err.message, { extensions: { code: err.code, reason: err.reason, upstream: err.upstream } });
  }
  if (err instanceof UpstreamUnavailableError || err instanceof UpstreamError) {
    return new GraphQLError('The upstream service is unavailable; try again later', {
      extensions: { code: 'UPSTREAM_UNAVAILABLE', upstream: err.upstream },
    });
  }
  return err;
}

export const ErrorMapper: MiddlewareFn = async (_data, next) => {
  try {
    return await next();
  } catch (err) {
    throw toGraphQLError(err);
  }
};
