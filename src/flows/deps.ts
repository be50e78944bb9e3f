import type { Logger } from 'pino';
import type { EventBus } from '../events/bus';
import type { PollScheduler } from '../pollers/scheduler';
import type { Db, Store } from '../store/store';

/** What every flow service is built from: the store, the event bus, the poll scheduler, a logger, a clock. */
export interface FlowDeps {
  store: Store;
  bus: EventBus;
  scheduler: PollScheduler;
  logger: Logger;
  now?: () => Date;
}

/**
 * How long an upstream create can be in flight: a token request, the create,
 * and one token refresh with its retry, each bounded by the request timeout;
 * plus a margin for clocks and scheduling. An intent older than this was
 * never completed by anyone: UNCONFIRMED.
 */
export function intentDeadlineMs(upstreamTimeoutMs: number): number {
  return 4 * upstreamTimeoutMs + 2_000;
}

/** The audit line of a reconciliation the gateway made on its own (no caller, no IP). */
export async function auditReconciled(
  store: Store,
  tx: Db,
  entry: { target: string; action: string; actor: string | null; result: string },
): Promise<void> {
  await store.audit({ ...entry, role: 'reconciler', ip: null }, tx);
}
