import { StoreUnavailableError } from '../store/errors';

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
  | 'PERSON_HAS_OPEN_FLOWS'
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
 * Before an upstream side effect that the gateway must then record and
 * follow: refuse at once when the store or the job queue (Redis) is
 * unreachable, rather than notify a citizen or start a desk capture that
 * cannot be stored or will not be polled. Both checks run at once; the store
 * ping is bounded by the store's own timeouts.
 */
export async function requireInfrastructure(deps: {
  store: { ping(): Promise<void> };
  scheduler: { available?(timeoutMs: number): Promise<boolean> };
}): Promise<void> {
  const [store, queue] = await Promise.allSettled([deps.store.ping(), deps.scheduler.available ? deps.scheduler.available(QUEUE_CHECK_MS) : true]);
  if (store.status === 'rejected') throw new StoreUnavailableError(store.reason);
  if (queue.status === 'rejected' || !queue.value) {
    throw new FlowError('QUEUE_UNAVAILABLE', 'The job queue is unavailable; nothing was started. Try again shortly', {});
  }
}
