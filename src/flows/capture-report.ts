import type { CaptureRow } from '../store/schema';
import { UpstreamNotFoundError } from '../upstreams/errors';
import type { CaptureContext } from './capture-record';

/** A terminal capture's report: fetched once from the station and stored with its event (REPORT_READY or REPORT_UNAVAILABLE). */
export async function fetchReport(cx: Pick<CaptureContext, 'deps' | 'now' | 'api' | 'apply'>, c: CaptureRow): Promise<void> {
  if (!c.tguid || c.reportFetchedAt) return;
  let report: { bytes: Buffer; contentType: string };
  try {
    report = await cx.api(c.stationId).report(c.tguid);
  } catch (err) {
    if (err instanceof UpstreamNotFoundError) {
      // The station has no report for this TGUID: record that, and stop asking.
      await cx.apply(c.id, (cur) => (cur && !cur.reportFetchedAt ? { type: 'REPORT_UNAVAILABLE', row: { ...cur, reportFetchedAt: cx.now(), reportSize: 0, updatedAt: cx.now() } } : null));
      return;
    }
    throw err;
  }
  if (report.contentType !== 'application/pdf') {
    cx.deps.logger.warn({ captureId: c.id, contentType: report.contentType }, 'the station sent a report that is not a PDF; kept and served as sent');
  }
  const at = cx.now();
  await cx.apply(c.id, (cur) =>
    cur && !cur.reportFetchedAt
      ? {
          type: 'REPORT_READY',
          row: { ...cur, reportFetchedAt: at, reportSize: report.bytes.length, updatedAt: at },
          also: (tx) => cx.deps.store.saveReport(tx, c.id, report.bytes, at, report.contentType),
        }
      : null,
  );
}
