import { SignJWT } from 'jose';
import { signToken, verifyTokenCached, type JwtSettings } from '../../src/auth/jwt';

const settings = (secret: string): JwtSettings => ({ secret, issuer: 'identity-flows-gateway', audience: 'identity-flows-gateway' });

/** A token whose `exp` is `expInSeconds` from now (signToken only makes whole-TTL tokens from the real clock). */
async function tokenExpiringIn(s: JwtSettings, expInSeconds: number): Promise<string> {
  return new SignJWT({ role: 'viewer' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject('cache-test')
    .setIssuer(s.issuer)
    .setAudience(s.audience)
    .setExpirationTime(Math.floor(Date.now() / 1000) + expInSeconds)
    .sign(new TextEncoder().encode(s.secret));
}

describe('verifyTokenCached: remembered acceptance never outlives what verification would accept', () => {
  afterEach(() => jest.useRealTimers());

  test('a remembered token is refused at the instant its exp + 30 s tolerance passes', async () => {
    const s = settings('cache-secret-0123456789-0123456789-0123456789');
    const token = await tokenExpiringIn(s, 2);
    jest.useFakeTimers({ now: Date.now(), doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    await expect(verifyTokenCached(token, s)).resolves.toMatchObject({ sub: 'cache-test', role: 'viewer' });
    // Still inside exp + tolerance: served (from memory or not, the answer is the same).
    jest.setSystemTime(Date.now() + 30_000);
    await expect(verifyTokenCached(token, s)).resolves.toMatchObject({ sub: 'cache-test' });
    // Past exp + 30 s: refused, as jose refuses it.
    jest.setSystemTime(Date.now() + 3_000);
    await expect(verifyTokenCached(token, s)).rejects.toMatchObject({ code: 'UNAUTHENTICATED', message: 'Token expired' });
  });

  test('acceptance under one gateway’s secret is not acceptance under another’s', async () => {
    const a = settings('secret-a-0123456789-0123456789-0123456789');
    const b = settings('secret-b-0123456789-0123456789-0123456789');
    const token = await signToken(a, { sub: 'op', role: 'operator' });
    await expect(verifyTokenCached(token, a)).resolves.toMatchObject({ sub: 'op', role: 'operator' });
    await expect(verifyTokenCached(token, b)).rejects.toMatchObject({ code: 'UNAUTHENTICATED', message: 'Invalid token' });
    // And a refusal is not remembered as anything: the right secret still accepts it.
    await expect(verifyTokenCached(token, a)).resolves.toMatchObject({ role: 'operator' });
  });

  test('a tampered copy of a remembered token is verified, and refused', async () => {
    const s = settings('cache-secret-0123456789-0123456789-0123456789');
    const token = await signToken(s, { sub: 'viewer-1', role: 'viewer' });
    await verifyTokenCached(token, s);
    const [h, p, sig] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, role: 'admin' })).toString('base64url')}.${sig}`;
    await expect(verifyTokenCached(forged, s)).rejects.toMatchObject({ code: 'UNAUTHENTICATED', message: 'Invalid token' });
  });
});
