/**
 * How a Prova de Vida call fails: the internal transient failure that the
 * retry and breaker policies count, and the mapping of everything else (a
 * non-2xx status, a body that does not parse) onto the error classes of
 * `../errors.ts`. Every message is a fixed string of ours: nothing the
 * upstream sends reaches one.
 */
import { TaskCancelledError } from 'cockatiel';
import {
  UpstreamAuthError,
  UpstreamConflictError,
  UpstreamNotFoundError,
  UpstreamUnavailableError,
  UpstreamValidationError,
  type UpstreamError,
} from '../errors';
import type { UpstreamOutcome } from '../observer';
import { inferUnprocessableFields, mapBadRequestFields } from './wire';

export const UPSTREAM = 'provaDeVida' as const;

/** `refused`: the connection was refused, so the request provably never reached the upstream. */
export type FailureKind = 'status' | 'timeout' | 'network' | 'refused' | 'malformed';

/**
 * Internal: a failure worth retrying (for reads) and counting (for the
 * breaker). Never escapes the client; converted to UpstreamUnavailableError.
 */
export class TransientFailure extends Error {
  constructor(
    readonly kind: FailureKind,
    readonly status?: number,
  ) {
    super(`transient ${kind}`);
  }
}

export const isTransient = (e: Error): boolean => e instanceof TransientFailure;

export const UNAVAILABLE_MESSAGES: Record<FailureKind, string> = {
  status: 'Prova de Vida answered with a server error',
  timeout: 'Prova de Vida did not answer in time',
  network: 'Could not talk to Prova de Vida',
  refused: 'Could not talk to Prova de Vida',
  malformed: 'Prova de Vida sent a response we could not read',
};

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new TransientFailure('malformed');
  }
}

function parseJsonOrNull(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

export function errorCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) return String((err as { code: unknown }).code);
  return undefined;
}

export function networkKind(err: unknown, signal: AbortSignal): FailureKind {
  if (signal.aborted) return 'timeout';
  const code = errorCode(err);
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
    return 'timeout';
  }
  return code === 'ECONNREFUSED' ? 'refused' : 'network';
}

export function failureOutcome(err: unknown): UpstreamOutcome {
  if (err instanceof TaskCancelledError) return { failure: 'timeout' };
  // A refused connection is a network failure to the metrics (the distinction matters only to intent rows).
  if (err instanceof TransientFailure && err.kind !== 'status' && err.kind !== 'refused') return { failure: err.kind };
  return { failure: 'network' };
}

export function mapStatus(status: number, text: string, onError: ((status: number) => UpstreamError | undefined) | undefined): Error {
  const specific = onError?.(status);
  if (specific) return specific;
  if (status >= 500 || status === 429 || status === 408) return new TransientFailure('status', status);
  if (status === 400) {
    const fields = mapBadRequestFields(parseJsonOrNull(text)) ?? { _: 'rejected by upstream' };
    return new UpstreamValidationError(UPSTREAM, fields);
  }
  if (status === 422) return new UpstreamValidationError(UPSTREAM, inferUnprocessableFields(parseJsonOrNull(text)));
  if (status === 403) return new UpstreamAuthError(UPSTREAM, 'Prova de Vida refused our credentials');
  if (status === 404) return new UpstreamNotFoundError(UPSTREAM, 'Prova de Vida does not know this id');
  if (status === 409) return new UpstreamConflictError(UPSTREAM, 'Prova de Vida refused in the current state', 'WRONG_STATE');
  return new UpstreamUnavailableError(UPSTREAM, 'Prova de Vida answered with an unexpected status');
}
