/**
 * The origin of signed report links (PUBLIC_URL, else the request's own, with
 * X-Forwarded-* only from a trusted proxy) and the link check itself.
 */
import type { IncomingMessage } from 'node:http';
import { ReportLinks, mayDownload, originOf } from '../../src/server/reports';

const ID = '0b9d8f5e-6a43-4c1b-9a55-3f1e2d7c8b90';
const OTHER = '1c0e9a6f-7b54-4d2c-8b66-4a2f3e8d9ca1';
const admin = { sub: 'a-1', role: 'admin' as const, exp: null, stations: null };
const req = (headers: Record<string, string>, remoteAddress = '10.0.0.7') => ({ headers, socket: { remoteAddress } }) as unknown as IncomingMessage;
const trustLb = (addr: string) => addr === '10.0.0.7';
const trustNone = () => false;

describe('originOf', () => {
  test('the Host header, or X-Forwarded-Proto/-Host from a trusted proxy only', () => {
    const forwarded = { host: 'internal:4000', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'gw.example.gov.br, inner' };
    expect(originOf(req(forwarded), trustNone)).toBe('http://internal:4000');
    expect(originOf(req(forwarded), trustLb)).toBe('https://gw.example.gov.br');
  });

  test('a Host that is not host[:port] gives no origin', () => {
    expect(originOf(req({ host: 'evil.example/<script>' }), trustNone)).toBeNull();
    expect(originOf(req({ host: '[::1]:4000' }), trustNone)).toBe('http://[::1]:4000');
  });
});

describe('ReportLinks', () => {
  const links = new ReportLinks({ linkKey: 'k'.repeat(32), linkTtlSeconds: 300, publicUrl: 'https://gw.example.gov.br' });
  const parts = (url: string) => {
    const u = new URL(url);
    return { id: u.pathname.split('/').pop()!, q: Object.fromEntries(u.searchParams) };
  };

  test('PUBLIC_URL wins over the request origin; the link checks for its capture until it expires', () => {
    const now = Date.now();
    const url = links.urlFor(admin, ID, 'station-1', 'http://internal:4000', now)!;
    expect(url.startsWith(`https://gw.example.gov.br/reports/${ID}?expires=${Math.floor(now / 1000) + 300}&by=`)).toBe(true);
    const { q } = parts(url);
    expect(links.check(ID, q, now)).toEqual({ ok: true, actor: { sub: 'a-1', role: 'admin' } });
    expect(links.check(ID, q, now + 301_000)).toEqual({ ok: false, expired: true, actor: { sub: 'a-1', role: 'admin' } });
    expect(links.check(OTHER, q, now)).toEqual({ ok: false, expired: false, actor: null });
    // Another key (another deployment) does not accept it.
    expect(new ReportLinks({ linkKey: 'x'.repeat(32), linkTtlSeconds: 300, publicUrl: undefined }).check(ID, q, now).ok).toBe(false);
  });

  test('a swapped actor is refused: `by` is under the MAC', () => {
    const now = Date.now();
    const mine = parts(links.urlFor(admin, ID, 'station-1', null, now)!).q;
    const theirs = parts(links.urlFor({ ...admin, sub: 'someone-else' }, ID, 'station-1', null, now)!).q;
    expect(links.check(ID, { ...mine, by: theirs['by'] }, now).ok).toBe(false);
  });

  test('no link for viewers or operators of another station', () => {
    expect(links.urlFor({ ...admin, role: 'viewer' }, ID, 'station-1', null)).toBeNull();
    expect(links.urlFor({ ...admin, role: 'operator', stations: ['station-2'] }, ID, 'station-1', null)).toBeNull();
    expect(links.urlFor(null, ID, 'station-1', null)).toBeNull();
    expect(mayDownload({ role: 'operator', stations: null }, 'station-1')).toBe(true);
  });
});
