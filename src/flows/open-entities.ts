import type { OpenEntitySource } from '../pollers/reconciler';
import type { Store } from '../store/store';
import { TERMINAL_STATUSES } from './capture';
import { CAPTURE_POLL_KIND } from './capture.service';
import { MESSAGE_POLL_KIND } from './messages.service';
import { OPEN_TRANSACTION_STATUSES } from './proof-of-life';
import { TRANSACTION_POLL_KIND } from './proof-of-life.service';

/**
 * Capture states in which a start mutation may still be talking to the
 * station (between the row's creation and its own `watch`): a poll there
 * would race the mutation's Verify/Enroll/Operator Capture call.
 */
const STARTING_STATES = new Set(['STARTING', 'PERSON_NOT_FOUND']);

/**
 * What the reconciler must keep polled: every open transaction (intent rows
 * included), every message intent (SENDING: its poll settles it), and every
 * unfinished capture — except one a start mutation may still own, i.e. in a
 * starting state and updated less than `startGraceMs` ago (the station
 * request timeout bounds that mutation).
 */
export function openEntitySources(store: Store, opts: { startGraceMs: number; now?: () => number }): OpenEntitySource[] {
  const now = opts.now ?? Date.now;
  return [
    { kind: TRANSACTION_POLL_KIND, openIds: async () => (await store.openTransactionIds(OPEN_TRANSACTION_STATUSES)).map((t) => t.id) },
    { kind: MESSAGE_POLL_KIND, openIds: () => store.messageIdsInStatus(['SENDING']) },
    {
      kind: CAPTURE_POLL_KIND,
      openIds: async () => {
        const ids = await store.unfinishedCaptureIds(TERMINAL_STATUSES);
        const rows = await store.capturesById(ids);
        const cutoff = now() - opts.startGraceMs;
        return ids.filter((id) => {
          const c = rows.get(id);
          return c !== undefined && !(STARTING_STATES.has(c.status) && c.updatedAt.getTime() > cutoff);
        });
      },
    },
  ];
}
