/**
 * Typed upstream failures. Upstream clients throw only these, so that nothing
 * above `src/upstreams/` ever sees an upstream body, host or status line: the
 * GraphQL layer maps each class to an `extensions.code` and a fixed message.
 */
export type UpstreamName = 'provaDeVida' | 'spid';

export abstract class UpstreamError extends Error {
  abstract readonly code: string;
  constructor(
    readonly upstream: UpstreamName,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The upstream refused our input (400/422). `fields` maps each offending field (our names) to a reason. */
export class UpstreamValidationError extends UpstreamError {
  readonly code = 'BAD_USER_INPUT';
  constructor(
    upstream: UpstreamName,
    readonly fields: Record<string, string>,
    message = 'The upstream service rejected the input',
  ) {
    super(upstream, message);
  }
}

/** Credentials refused, even after one token refresh. */
export class UpstreamAuthError extends UpstreamError {
  readonly code = 'UPSTREAM_AUTH_FAILED';
}

/** 5xx, timeout, connection reset, open circuit, or a body that does not parse. */
export class UpstreamUnavailableError extends UpstreamError {
  readonly code = 'UPSTREAM_UNAVAILABLE';
  /**
   * True only when the request provably never reached the upstream
   * (connection refused, circuit open, no token): nothing happened there.
   * False means it may have acted (a timeout or a 5xx can follow the effect).
   */
  readonly notSent: boolean;
  constructor(upstream: UpstreamName, message: string, options?: { cause?: unknown; notSent?: boolean }) {
    super(upstream, message, options);
    this.notSent = options?.notSent ?? false;
  }
}

/**
 * Whether a failed call that creates something (a transaction, a message, a
 * capture) may still have taken effect upstream. Refusals (4xx) and requests
 * that never left did not; timeouts, 5xx, resets and our own failures after
 * the request (the store) may have: never repeat those blindly.
 */
export function mayHaveActed(err: unknown): boolean {
  if (err instanceof UpstreamUnavailableError) return !err.notSent;
  return !(err instanceof UpstreamError);
}

/** The upstream does not know the id (404). */
export class UpstreamNotFoundError extends UpstreamError {
  readonly code = 'NOT_FOUND';
}

/** The upstream refused because of its current state (409, busy station, wrong step). */
export class UpstreamConflictError extends UpstreamError {
  readonly code = 'UPSTREAM_CONFLICT';
  constructor(
    upstream: UpstreamName,
    message: string,
    /** Our own short reason, e.g. `STATION_BUSY`, `WRONG_STATE`, `NO_OPERATOR`. */
    readonly reason: string,
  ) {
    super(upstream, message);
  }
}

/**
 * The upstream answered, but with something that must not go further, such as
 * an id that is not a UUID. Not retried and not counted by circuit breakers:
 * asking again gives the same answer, and the upstream is up.
 */
export class UpstreamProtocolError extends UpstreamUnavailableError {}
