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
  | 'QUEUE_UNAVAILABLE';

export class FlowError extends Error {
  constructor(
    readonly code: FlowErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** How long a mutation waits to learn whether the job queue is reachable. */
const QUEUE_CHECK_MS = 800;

/**
 * Before an upstream side effect that the gateway must then follow (poll):
 * refuse at once when the job queue (Redis) is unreachable, rather than
 * notify a citizen or start a desk capture nobody will watch.
 */
export async function requireQueue(scheduler: { available?(timeoutMs: number): Promise<boolean> }): Promise<void> {
  if (scheduler.available && !(await scheduler.available(QUEUE_CHECK_MS))) {
    throw new FlowError('QUEUE_UNAVAILABLE', 'The job queue is unavailable; nothing was started. Try again shortly', {});
  }
}
