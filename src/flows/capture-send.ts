import type { CaptureRow } from '../store/schema';
import { UpstreamError } from '../upstreams/errors';
import { statusAfterSend } from './capture';
import type { CaptureContext } from './capture-record';

/** Send (presential) or the remote link (remote), after OPERATOR_CAPTURE_DONE. Claimed first: never twice. */
export async function sendStep(cx: Pick<CaptureContext, 'deps' | 'now' | 'api' | 'set'>, c: CaptureRow): Promise<CaptureRow | null> {
  const claimed = await cx.set(c.id, ['OPERATOR_CAPTURE_DONE'], { status: 'SENDING', detail: null, sendClaimedAt: cx.now() });
  if (!claimed) return null;
  const api = cx.api(c.stationId);
  try {
    if (c.mode === 'REMOTE') {
      const link = c.kind === 'ENROLL' ? await api.remoteEnroll(c.cpf, c.email ?? undefined) : await api.remoteVerify(c.cpf, c.email ?? undefined);
      return await cx.set(c.id, ['SENDING'], { status: 'WAITING_CLIENT', tguid: link.tguid, remoteUrl: link.url, detail: null });
    }
    const sent = await api.send();
    return await cx.set(c.id, ['SENDING'], {
      status: statusAfterSend(sent.outcome),
      tguid: sent.tguid,
      sendOutcome: sent.outcome,
      detail: sent.outcome === 'CAPTURE_PENDING' ? 'the station could not reach its server; kept for resend' : null,
    });
  } catch (err) {
    // Timeout or a lost answer: stay SENDING; the poller reconciles through Capture Status.
    cx.deps.logger.warn({ captureId: c.id, code: err instanceof UpstreamError ? err.code : 'ERROR' }, 'send did not complete');
    return null;
  }
}

/**
 * SENDING found by the poller: the send's answer never reached us. If the
 * station still shows OPERATOR_CAPTURE_DONE the send did not happen, so
 * sending now is not sending twice. Otherwise it did, and the TGUID is only
 * in the answer we lost: SEND_UNCONFIRMED, for a person to look at.
 * `inFlightMs`: a station call claimed at T is surely over at T + this.
 */
export async function reconcileSend(cx: Pick<CaptureContext, 'deps' | 'now' | 'api' | 'set'>, c: CaptureRow, inFlightMs: number): Promise<void> {
  // A send still in flight (a slow station) leaves the station at OPERATOR_CAPTURE_DONE too:
  // reading it before the send's own timeout has passed would send twice.
  const claimedAt = (c.sendClaimedAt ?? c.updatedAt).getTime();
  if (cx.now().getTime() < claimedAt + inFlightMs) return;
  const station = await cx.api(c.stationId).captureStatus();
  if (station.status === 'OPERATOR_CAPTURE_DONE') {
    const back = await cx.set(c.id, ['SENDING'], { status: 'OPERATOR_CAPTURE_DONE', detail: 'send not received by the station; sending again' });
    if (back) await sendStep(cx, back);
    return;
  }
  await cx.set(c.id, ['SENDING'], { status: 'SEND_UNCONFIRMED', detail: 'the station took the send but its answer was lost' });
}
