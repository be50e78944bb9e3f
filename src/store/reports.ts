import { eq, isNull, ne, or } from 'drizzle-orm';
import type { ReportCipher } from '../privacy/report-cipher';
import { captureReports } from './schema';
import type { Db } from './store';

/**
 * Report PDFs at rest, sealed with AES-256-GCM (see ReportCipher). The only
 * code that reads or writes `capture_reports.pdf`: everything above it sees
 * plaintext PDFs, nothing below it does.
 */

export async function saveSealedReport(tx: Db, cipher: ReportCipher, captureId: string, pdf: Buffer, fetchedAt: Date, contentType: string): Promise<void> {
  const s = cipher.seal(captureId, pdf);
  await tx.insert(captureReports).values({ captureId, pdf: s.data, contentType, keyId: s.keyId, iv: s.iv, tag: s.tag, fetchedAt }).onConflictDoNothing();
}

export async function readReport(db: Db, cipher: ReportCipher, captureId: string): Promise<{ bytes: Buffer; contentType: string } | null> {
  const [row] = await db.select().from(captureReports).where(eq(captureReports.captureId, captureId));
  if (!row) return null;
  // Written before encryption existed: plaintext until the privacy job seals it.
  if (!row.keyId || !row.iv || !row.tag) return { bytes: row.pdf, contentType: row.contentType };
  return { bytes: cipher.open(captureId, { keyId: row.keyId, iv: row.iv, tag: row.tag, data: row.pdf }), contentType: row.contentType };
}

/**
 * Seals plaintext rows and re-seals rows under an older key with the current
 * one, `limit` at a time. After a run that finds nothing left, an old key can
 * be removed from `REPORT_ENCRYPTION_OLD_KEYS`. Returns how many were rewritten.
 */
export async function resealReports(db: Db, cipher: ReportCipher, limit: number): Promise<{ resealed: number; unreadable: number }> {
  const stale = await db
    .select({ captureId: captureReports.captureId })
    .from(captureReports)
    .where(or(isNull(captureReports.keyId), ne(captureReports.keyId, cipher.currentKeyId)))
    .limit(limit);
  let n = 0;
  let unreadable = 0;
  for (const { captureId } of stale) {
    // A blob under a key no longer configured stays as it is (and is counted), the others go on.
    await db.transaction(async (tx) => {
      const [row] = await tx.select().from(captureReports).where(eq(captureReports.captureId, captureId)).for('update');
      if (!row || row.keyId === cipher.currentKeyId) return;
      let pdf: Buffer;
      try {
        pdf = row.keyId && row.iv && row.tag ? cipher.open(captureId, { keyId: row.keyId, iv: row.iv, tag: row.tag, data: row.pdf }) : row.pdf;
      } catch {
        unreadable++;
        return;
      }
      const s = cipher.seal(captureId, pdf);
      await tx
        .update(captureReports)
        .set({ pdf: s.data, keyId: s.keyId, iv: s.iv, tag: s.tag })
        .where(eq(captureReports.captureId, captureId));
      n++;
    });
  }
  return { resealed: n, unreadable };
}
