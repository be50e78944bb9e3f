import type { Request, Response } from 'express';
import { AuthError, bearerFrom, roleSatisfies, verifyToken, type AuthUser, type JwtSettings } from '../auth/jwt';
import type { Services } from '../../resolvers/context';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * `GET /reports/:captureId`: the station's report PDF of a capture — a
 * biometric verification result about a named citizen. Operators and admins
 * only (viewers see that a report exists, not the report); an operator whose
 * token carries a `stations` claim only for captures of those stations.
 *
 * Every request is audited (action `downloadReport`, target `Capture:<id>`,
 * result OK or the refusal code), and the PDF is sent only once its OK record
 * is written: no record, no download (503 AUDIT_UNAVAILABLE).
 */
export async function serveReport(req: Request, res: Response, deps: { services: Services; jwt: JwtSettings }): Promise<void> {
  const { services } = deps;
  const rawId = String(req.params['captureId']);
  const id = rawId.toLowerCase();
  const target = UUID.test(id) ? `Capture:${id}` : null;
  let user: AuthUser | null = null;

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

  const token = bearerFrom(req.headers.authorization);
  try {
    if (!token) throw new AuthError('UNAUTHENTICATED', 'Authentication required: send a bearer token');
    user = await verifyToken(token, deps.jwt);
  } catch (err) {
    return refuse(401, 'UNAUTHENTICATED', err instanceof AuthError ? err.message : 'Invalid token', { 'www-authenticate': 'Bearer' });
  }
  if (!roleSatisfies(user.role, 'operator')) return refuse(403, 'FORBIDDEN', 'Reports need the role operator or admin');
  if (!target) return refuse(400, 'BAD_USER_INPUT', 'captureId must be a UUID');
  const capture = (await services.store.capturesById([id])).get(id);
  // Same rule and code as the StationScope middleware for mutations.
  const inScope = capture && (user.role === 'admin' || !user.stations || user.stations.includes(capture.stationId));
  if (capture && !inScope) return refuse(403, 'FORBIDDEN', `Your token does not allow station "${capture.stationId}"`);
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
