/** Errors the flows raise themselves (no upstream involved); resolvers map them to `extensions.code`. */
export class NotFoundError extends Error {
  readonly code = 'NOT_FOUND';
}

export type FlowErrorCode =
  | 'STATION_BUSY'
  | 'WRONG_STATE'
  | 'NO_OPERATOR'
  | 'UNKNOWN_STATION'
  | 'INVALID_IDEMPOTENCY_KEY'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'IDEMPOTENCY_IN_PROGRESS'
  | 'RATE_LIMITED'
  | 'PERSON_HAS_OPEN_FLOWS';

export class FlowError extends Error {
  constructor(
    readonly code: FlowErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}
