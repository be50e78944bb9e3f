import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Request, Response } from 'express';
import { AuthError, bearerFrom, roleSatisfies, verifyTokenCached, type AuthUser, type JwtSettings, type Role } from '../auth/jwt';
import type { Services } from '../../resolvers/context';
import type { Config } from '../config';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ROLES: readonly Role[] = ['viewer', 'operator', 'admin'];

/** Who may have a capture's report: admins, and operators whose token allows the capture's station. */
export function mayDownload(user: Pick<AuthUser, 'role' | 'stations'> | null, stationId: string): boolean {
  if (!user || !roleSatisfies(user.role, 'operator')) return false;
  return user.role === 'admin' || !user.stations || user.stations.includes(stationId);
}

/**
 * `scheme://host` of a request as the client addressed it: X-Forwarded-Proto/-Host only from a
 * sender `TRUST_PROXY` trusts (the same rule as the client address), else the socket and Host header.
 * Null when the host is not a plain host[:port] (a forged Host must not shape a link).
 */
export function originOf(req: IncomingMessage, trust: (addr: string, hop: number) => boolean): string | null {
  const addr = req.socket.remoteAddress;
  const trusted = addr !== undefined && trust(addr, 0);
  const first = (h: string | string[] | undefined) => (typeof h === 'string' ? h.split(',')[0]!.trim() : undefined);
  const proto = (trusted && first(req.headers['x-forwarded-proto'])) || ((req.socket as TLSSocket).encrypted ? 'https' : 'http');
  const host = (trusted && first(req.headers['x-forwarded-host'])) || req.headers.host;
  if (!/^https?$/.test(proto) || !host || !/^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:\d{1,5})?$/.test(host)) return null;
  return `${proto}://${host}`;
}

type LinkCheck = { ok: true; actor: { sub: string; role: Role } } | { ok: false; expired: boolean; actor: { sub: string; role: Role } | null };

/**
 * Signed, short-lived report links, usable as a plain `<a href>` (no header):
 * `<origin>/reports/<captureId>?expires=<unix s>&by=<actor>&sig=<HMAC-SHA256>`.
 * The MAC covers the capture id, the expiry and `by`, so a link opens one report until it expires.
 * `by` is the user the link was minted for (their `sub` and role, for the audit), encrypted: a `sub`
 * may be a CPF (gov.br) and links end up in browser history and proxy logs.
 */
export class ReportLinks {
  private readonly macKey: Buffer;
  private readonly encKey: Buffer;

  constructor(private readonly opts: Config['reports']) {
    // Two independent keys from one secret: the MAC key never doubles as the cipher key.
    this.macKey = Buffer.from(hkdfSync('sha256', opts.linkKey, 'report-links', 'mac', 32));
    this.encKey = Buffer.from(hkdfSync('sha256', opts.linkKey, 'report-links', 'actor', 32));
  }

  private mac(captureId: string, expires: string, by: string): Buffer {
    return createHmac('sha256', this.macKey).update(`${captureId}\n${expires}\n${by}`).digest();
  }

  /** The link for `user`, or null when they may not download this capture's report. */
  urlFor(user: AuthUser | null, captureId: string, stationId: string, origin: string | null, now = Date.now()): string | null {
    if (!user || !mayDownload(user, stationId)) return null;
    const id = captureId.toLowerCase();
    const expires = String(Math.floor(now / 1000) + this.opts.linkTtlSeconds);
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.encKey, iv);
    const ct = Buffer.concat([cipher.update(JSON.stringify([user.sub, user.role]), 'utf8'), cipher.final()]);
    const by = Buffer.concat([iv, ct, cipher.getAuthTag()]).toString('base64url');
    const sig = this.mac(id, expires, by).toString('base64url');
    // Without PUBLIC_URL and a usable Host the link stays relative (still a working same-origin href).
    return `${this.opts.publicUrl ?? origin ?? ''}/reports/${id}?expires=${expires}&by=${by}&sig=${sig}`;
  }

  check(captureId: string, q: { expires?: unknown; by?: unknown; sig?: unknown }, now = Date.now()): LinkCheck {
    const { expires, by, sig } = q;
    if (typeof expires !== 'string' || !/^\d{1,12}$/.test(expires) || typeof by !== 'string' || typeof sig !== 'string') return { ok: false, expired: false, actor: null };
    const given = Buffer.from(sig, 'base64url');
    const want = this.mac(captureId, expires, by);
    if (given.length !== want.length || !timingSafeEqual(given, want)) return { ok: false, expired: false, actor: null };
    let actor: { sub: string; role: Role };
    try {
      const raw = Buffer.from(by, 'base64url');
      const decipher = createDecipheriv('aes-256-gcm', this.encKey, raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(raw.length - 16));
      const [sub, role] = JSON.parse(Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString('utf8')) as [string, Role];
      if (typeof sub !== 'string' || !ROLES.includes(role)) throw new Error('bad actor');
      actor = { sub, role };
    } catch {
      return { ok: false, expired: false, actor: null };
    }
    if (Number(expires) * 1000 <= now) return { ok: false, expired: true, actor };
    return { ok: true, actor };
  }
}

/**
 * `GET /reports/:captureId`: the station's report PDF of a capture — a
 * biometric verification result about a named citizen. Operators and admins
 * only (viewers see that a report exists, not the report); an operator whose
 * token carries a `stations` claim only for captures of those stations.
 *
 * Two ways in: the bearer header, or a signed link (`CaptureReport.downloadUrl`,
 * see ReportLinks) whose actor is the user it was minted for.
 *
 * Every request is audited (action `downloadReport`, target `Capture:<id>`,
 * result OK or the refusal code), and the PDF is sent only once its OK record
 * is written: no record, no download (503 AUDIT_UNAVAILABLE).
 */
export async function serveReport(req: Request, res: Response, deps: { services: Services; jwt: JwtSettings; links: ReportLinks }): Promise<void> {
  const { services } = deps;
  const rawId = String(req.params['captureId']);
  const id = rawId.toLowerCase();
  const target = UUID.test(id) ? `Capture:${id}` : null;
  let user: Pick<AuthUser, 'sub' | 'role' | 'stations'> | null = null;

  const record = async (result: string): Promise<boolean> => {
    try {
      await services.store.audit({ actor: user?.sub ?? null, role: user?.role ?? null, action: 'downloadReport', target, ip: req.ip ?? null, result });
      return true;
    } catch (err) {
      services.logger.error({ err }, 'audit write failed; report download refused');
      res.status(503).json({ error: 'The audit log cannot be written; retry later', code: 'AUDIT_UNAVAILABLE' });
      return false;
    }
  };
  const refuse = async (status: number, code: string, error: string, headers: Record<string, string> = {}) => {
    if (await record(code)) res.status(status).set(headers).json({ error, code });
  };

  if (req.query['sig'] !== undefined) {
    // The station scope was checked when the link was minted; the link names this capture only.
    const link = deps.links.check(id, req.query as Record<string, unknown>);
    if (!link.ok) {
      user = link.actor && { ...link.actor, stations: null };
      if (link.expired) return refuse(401, 'UNAUTHENTICATED', 'This download link has expired: read CaptureReport.downloadUrl again for a new one');
      return refuse(403, 'FORBIDDEN', 'This download link is not valid for this report');
    }
    user = { ...link.actor, stations: null };
  } else {
    const token = bearerFrom(req.headers.authorization);
    try {
      if (!token) throw new AuthError('UNAUTHENTICATED', 'Authentication required: send a bearer token');
      user = await verifyTokenCached(token, deps.jwt);
    } catch (err) {
      return refuse(401, 'UNAUTHENTICATED', err instanceof AuthError ? err.message : 'Invalid token', { 'www-authenticate': 'Bearer' });
    }
  }
  if (!roleSatisfies(user.role, 'operator')) return refuse(403, 'FORBIDDEN', 'Reports need the role operator or admin');
  if (!target) return refuse(400, 'BAD_USER_INPUT', 'captureId must be a UUID');
  const capture = (await services.store.capturesById([id])).get(id);
  // Same rule and code as the StationScope middleware for mutations.
  if (capture && !mayDownload(user, capture.stationId)) return refuse(403, 'FORBIDDEN', `Your token does not allow station "${capture.stationId}"`);
  const report = capture ? await services.store.report(id) : null;
  if (!report) return refuse(404, 'NOT_FOUND', 'No report for this capture (yet)');
  if (!(await record('OK'))) return;
  // The stored content type (a station may send another format than PDF), always as a download and
  // never sniffed or rendered in our origin: the bytes come from the station.
  const ext = report.contentType === 'application/pdf' ? 'pdf' : 'bin';
  res
    .status(200)
    .set({
      'content-type': report.contentType,
      'content-disposition': `attachment; filename="capture-${id}.${ext}"`,
      'cache-control': 'private, no-store',
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; sandbox",
    })
    .send(report.bytes);
}
