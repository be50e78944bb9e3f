import { randomUUID } from 'node:crypto';
import type { CaptureRow } from '../store/schema';
import type { Db } from '../store/store';
import { UpstreamConflictError, UpstreamError, mayHaveActed } from '../upstreams/errors';
import { STATION_HOLDING_STATUSES, type CaptureKind, type CaptureMode } from './capture';
import type { CaptureContext } from './capture-record';
import { FlowError } from './errors';
import type { IntentHook } from './record';

export interface CaptureIntentInput {
  stationId: string;
  cpf: string;
  mode: CaptureMode;
  kind: CaptureKind;
  enrollIfNotFound: boolean;
  autoAdvance: boolean;
  email: string | null;
}

/** A new capture as its intent row records it (STARTING, nothing from the station yet). */
function intentRow(id: string, at: Date, input: CaptureIntentInput, startedBy: string | null): CaptureRow {
  return {
    id,
    stationId: input.stationId,
    cpf: input.cpf,
    mode: input.mode,
    kind: input.kind,
    status: 'STARTING',
    autoAdvance: input.autoAdvance,
    enrollIfNotFound: input.enrollIfNotFound,
    tguid: null,
    result: null,
    sendOutcome: null,
    sendClaimedAt: null,
    remoteUrl: null,
    email: input.email,
    detail: null,
    reportSize: null,
    reportFetchedAt: null,
    startedBy,
    createdAt: at,
    updatedAt: at,
    version: 0,
  };
}

/** The capture's intent row (STARTING), written before any station call; holds the station from here on. */
export async function createCapture(
  cx: Pick<CaptureContext, 'deps' | 'now' | 'apply'>,
  input: CaptureIntentInput,
  startedBy: string | null,
  onIntent: IntentHook | undefined,
): Promise<CaptureRow> {
  const id = randomUUID();
  const at = cx.now();
  const row = intentRow(id, at, input, startedBy);
  let busy: CaptureRow | null = null;
  const { store } = cx.deps;
  const out = await cx.apply(id, async (_current, tx) => {
    // Under the event-log lock: two starts on one station cannot both pass this check.
    busy = await store.captureHoldingStation(tx, input.stationId, STATION_HOLDING_STATUSES);
    if (busy) return null;
    return { type: 'STATUS_CHANGED', row, ...(onIntent ? { also: (t: Db) => onIntent(t, id) } : {}) };
  });
  if (!out.changed || !out.row) {
    const b = busy as CaptureRow | null;
    throw new FlowError('STATION_BUSY', `Station ${input.stationId} is busy with capture ${b?.id ?? 'unknown'}`, {
      stationId: input.stationId,
      captureId: b?.id ?? null,
    });
  }
  return out.row;
}

/** A start whose station call threw: left to the poller when the station may have acted, FAILED otherwise. */
export async function failStart(cx: Pick<CaptureContext, 'deps' | 'watch' | 'set'>, id: string, err: unknown): Promise<void> {
  if (mayHaveActed(err)) {
    // The station may have started (a timeout, a lost answer): keep the capture holding the station
    // and let the poller follow Capture Status; a station still idle past the timeout fails it.
    await cx.watch(id).catch((e: unknown) => cx.deps.logger.error({ err: e, captureId: id }, 'could not watch a capture whose start is unconfirmed'));
    return;
  }
  const reason =
    err instanceof UpstreamConflictError ? err.reason : err instanceof UpstreamError ? err.code : err instanceof FlowError ? err.code : 'ERROR';
  await cx.set(id, ['STARTING', 'PERSON_NOT_FOUND'], { status: 'FAILED', detail: `could not start: ${reason}` });
}
