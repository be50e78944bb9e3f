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
