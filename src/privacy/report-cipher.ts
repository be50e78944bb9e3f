import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * Report PDFs at rest: AES-256-GCM, a fresh 96-bit IV per blob, the capture
 * id as additional authenticated data (a blob copied onto another capture's
 * row fails to decrypt instead of serving the wrong citizen's report).
 * Each row stores the id of the key that sealed it, so keys can rotate: the
 * current key seals, every configured key opens; the privacy job re-seals
 * old rows under the current key, after which an old key can be dropped.
 */

export interface SealedReport {
  keyId: string;
  iv: Buffer;
  tag: Buffer;
  data: Buffer;
}

/** Key id: the first 8 bytes of SHA-256(key), hex — derived, so it needs no configuration of its own. */
export function reportKeyId(key: Buffer): string {
  return createHash('sha256').update(key).digest().subarray(0, 8).toString('hex');
}

export class ReportCipher {
  private readonly keys = new Map<string, Buffer>();
  readonly currentKeyId: string;

  constructor(current: Buffer, old: readonly Buffer[] = []) {
    for (const k of [current, ...old]) {
      if (k.length !== 32) throw new Error('report encryption keys must be 32 bytes');
      this.keys.set(reportKeyId(k), k);
    }
    this.currentKeyId = reportKeyId(current);
  }

  seal(captureId: string, pdf: Buffer): SealedReport {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.currentKeyId)!, iv);
    cipher.setAAD(Buffer.from(captureId));
    const data = Buffer.concat([cipher.update(pdf), cipher.final()]);
    return { keyId: this.currentKeyId, iv, tag: cipher.getAuthTag(), data };
  }

  /** Throws when the key is unknown (not configured any more) or the blob was tampered with. */
  open(captureId: string, sealed: SealedReport): Buffer {
    const key = this.keys.get(sealed.keyId);
    if (!key) throw new Error(`report key ${sealed.keyId} is not configured (REPORT_ENCRYPTION_OLD_KEYS)`);
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.iv);
    decipher.setAAD(Buffer.from(captureId));
    decipher.setAuthTag(sealed.tag);
    return Buffer.concat([decipher.update(sealed.data), decipher.final()]);
  }
}
