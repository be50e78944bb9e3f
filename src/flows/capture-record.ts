import type { CaptureRow } from '../store/schema';
import type { Db } from '../store/store';
import type { SpidStationApi } from '../upstreams/spid/types';
import { captureToJson, holdsStation, type CaptureStatus } from './capture';
import type { FlowDeps } from './deps';
import { recordEntityChange, type Decision, type EntitySpec } from './record';

export type CaptureDecide = (cur: CaptureRow | null, tx: Db) => Decision<CaptureRow> | null | Promise<Decision<CaptureRow> | null>;

/** The two ways a capture changes; every capture change goes through `apply`. */
export interface CaptureRecorder {
  apply: (id: string, decide: CaptureDecide) => Promise<{ row: CaptureRow | null; changed: boolean }>;
  /** Compare-and-set: applies `patch` only when the current status is one of `from`. */
  set: (id: string, from: readonly CaptureStatus[], patch: Partial<CaptureRow> & { status: CaptureStatus }) => Promise<CaptureRow | null>;
}

/** What the capture steps kept outside the service (start, send, report) use of it. */
export interface CaptureContext extends CaptureRecorder {
  deps: FlowDeps;
  now: () => Date;
  /** The station's client; throws UNKNOWN_STATION for a station not configured. */
  api: (stationId: string) => SpidStationApi;
  /** Hands the capture to the poller. */
  watch: (id: string) => Promise<void>;
}

const spec = (store: FlowDeps['store']): EntitySpec<CaptureRow> => ({
  topic: 'capture',
  load: (tx, id) => store.captureForUpdate(tx, id),
  cpfOf: (row) => row.cpf,
  toJson: captureToJson,
  versioned: { write: (tx, row, version) => store.captureWrite(tx, row, version), withVersion: (row, version) => ({ ...row, version }) },
});

/**
 * Capture changes through `recordEntityChange`. `onStationHolding` is called
 * inside the transaction of every change that takes or releases a station's
 * reader (see `CaptureFlowOptions`).
 */
export function captureRecorder(
  deps: FlowDeps,
  now: () => Date,
  onStationHolding: ((tx: Db, stationId: string) => Promise<void>) | undefined,
): CaptureRecorder {
  const captureSpec = spec(deps.store);
  const apply: CaptureRecorder['apply'] = (id, decide) => {
    const hook = onStationHolding;
    if (!hook) return recordEntityChange(deps, captureSpec, id, decide);
    return recordEntityChange(deps, captureSpec, id, async (cur, tx) => {
      const d = await decide(cur, tx);
      // Took or released the reader: the station's busy/free commits with this change.
      if (!d || (cur !== null && holdsStation(cur)) === holdsStation(d.row)) return d;
      const also = d.also;
      return {
        ...d,
        also: async (t: Db) => {
          if (also) await also(t);
          await hook(t, d.row.stationId);
        },
      };
    });
  };
  const set: CaptureRecorder['set'] = async (id, from, patch) => {
    const at = now();
    const { row, changed } = await apply(id, (cur) =>
      cur && (from as readonly string[]).includes(cur.status) ? { type: 'STATUS_CHANGED', row: { ...cur, ...patch, updatedAt: at } } : null,
    );
    return changed ? row : null;
  };
  return { apply, set };
}
