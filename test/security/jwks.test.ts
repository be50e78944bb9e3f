/**
 * Tokens from an OIDC provider (JWKS URL): the provider here is a tiny JWKS
 * server on loopback with a fresh RSA key.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, exportSPKI, generateKeyPair, type KeyLike } from 'jose';
import { DEV_JWT_SECRET } from '../../src/config';
import { PdvSim, TestGateway } from '../helpers/gateway';

let pdv: PdvSim;
let gw: TestGateway;
let jwks: Server;
let privateKey: KeyLike;
let publicKey: KeyLike;
const ISS = 'https://sso.example.gov.br';
const AUD = 'identity-flows-gateway';

beforeAll(async () => {
  ({ privateKey, publicKey } = await generateKeyPair('RS256'));
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  jwks = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', () => r()));
  pdv = await PdvSim.start();
  gw = await TestGateway.start({
    pdvUrl: pdv.url,
    env: { JWT_JWKS_URL: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`, JWT_ISSUER: ISS, JWT_AUDIENCE: AUD },
  });
});
afterAll(async () => {
  await gw?.close();
  await pdv?.close();
  await new Promise((r) => jwks?.close(r));
});

const sign = (key: KeyLike | Uint8Array, alg: string, claims: Record<string, unknown> = {}, kid = 'k1') =>
  new SignJWT({ role: 'viewer', ...claims })
    .setProtectedHeader({ alg, kid })
    .setSubject('citizen-service-1')
    .setIssuer(ISS)
    .setAudience(AUD)
    .setExpirationTime('5m')
    .sign(key);

async function codeWith(token: string): Promise<string | null> {
  const res = await fetch(gw.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: '{ transactions(first: 1) { edges { cursor } } }' }),
  });
  const body = (await res.json()) as { errors?: { extensions?: { code?: string } }[] };
  return body.errors?.[0]?.extensions?.code ?? null;
}

test('a token signed by the provider key is accepted', async () => {
  expect(await codeWith(await sign(privateKey, 'RS256'))).toBeNull();
});

test('an HS256 token signed with the dev secret is refused once a JWKS is configured', async () => {
  expect(await codeWith(await sign(new TextEncoder().encode(DEV_JWT_SECRET), 'HS256'))).toBe('UNAUTHENTICATED');
});

test('algorithm confusion: HS256 with the provider public key as the HMAC secret is refused', async () => {
  const pem = await exportSPKI(publicKey);
  expect(await codeWith(await sign(new TextEncoder().encode(pem), 'HS256'))).toBe('UNAUTHENTICATED');
});

test('a token signed by another key, or for another issuer, is refused', async () => {
  const other = await generateKeyPair('RS256');
  expect(await codeWith(await sign(other.privateKey, 'RS256'))).toBe('UNAUTHENTICATED');
  const wrongIss = await new SignJWT({ role: 'viewer' }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setSubject('x').setIssuer('https://evil.example').setAudience(AUD).setExpirationTime('5m').sign(privateKey);
  expect(await codeWith(wrongIss)).toBe('UNAUTHENTICATED');
});

test('dev tokens are off with a JWKS', () => {
  expect(gw.config.jwt.devTokens).toBe(false);
});
