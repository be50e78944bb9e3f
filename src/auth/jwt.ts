import { createSecretKey, type KeyObject } from 'node:crypto';
import { SignJWT, createRemoteJWKSet, jwtVerify, errors as joseErrors, type JWTVerifyGetKey } from 'jose';

export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Each role includes the ones before it. */
const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

export function roleSatisfies(have: Role, need: Role): boolean {
  return RANK[have] >= RANK[need];
}

export interface AuthUser {
  sub: string;
  role: Role;
  /** Token expiry (seconds since epoch); sockets close when it passes. */
  exp: number | null;
  /** Claim `stations`: an operator limited to these SPID stations; null = all. */
  stations: string[] | null;
}

export interface JwtSettings {
  /** HS256 shared secret (dev and simple deployments). */
  secret: string;
  /** An OIDC provider's JWKS URL (e.g. gov.br Login Único): when set, tokens are verified against it instead of the secret. */
  jwksUrl?: string | undefined;
  /** Accepted algorithms with a JWKS. @default ['RS256', 'ES256'] */
  jwksAlgorithms?: string[] | undefined;
  issuer: string;
  audience: string;
}

/** One remote key set per URL: jose caches keys and refetches on an unknown `kid` (key rotation). */
const remoteSets = new Map<string, JWTVerifyGetKey>();
function remoteSet(url: string): JWTVerifyGetKey {
  let set = remoteSets.get(url);
  if (!set) {
    set = createRemoteJWKSet(new URL(url), { timeoutDuration: 5000, cooldownDuration: 30_000 });
    remoteSets.set(url, set);
  }
  return set;
}

export class AuthError extends Error {
  constructor(
    readonly code: 'UNAUTHENTICATED' | 'FORBIDDEN',
    message: string,
  ) {
    super(message);
  }
}

/** Seconds of clock skew accepted on `exp` (and `nbf`). */
const CLOCK_TOLERANCE_S = 30;
/** How long an accepted token is trusted without re-verifying (a JWKS key removed upstream is noticed within it). */
const VERIFIED_TTL_MS = 60_000;
/** Accepted tokens remembered per settings object (one per gateway); only valid tokens enter, so the bound is a worst case. */
const VERIFIED_MAX = 5_000;

interface Verified {
  user: AuthUser;
  /** Epoch ms: the earlier of the token's own end (exp + tolerance, as jose judges it) and the TTL. */
  until: number;
}
const verifiedBySettings = new WeakMap<JwtSettings, Map<string, Verified>>();
/** HS256 secrets as key objects, made once: jose would otherwise build one from the bytes on every verify. */
const secretKeys = new WeakMap<JwtSettings, KeyObject>();

/**
 * `verifyToken`, remembering accepted tokens: a dashboard or a client sends
 * the same bearer token on every request, and HMAC verification plus claim
 * parsing was ≈15 % of a data query's CPU. Exact on expiry: a cached token
 * stops being accepted at the same instant jose would refuse it.
 */
export async function verifyTokenCached(token: string, s: JwtSettings): Promise<AuthUser> {
  let cache = verifiedBySettings.get(s);
  if (!cache) verifiedBySettings.set(s, (cache = new Map()));
  const now = Date.now();
  const hit = cache.get(token);
  if (hit && now < hit.until) return hit.user;
  if (hit) cache.delete(token);
  const user = await verifyToken(token, s);
  const end = user.exp === null ? Infinity : (user.exp + CLOCK_TOLERANCE_S) * 1000;
  if (cache.size >= VERIFIED_MAX) {
    // Map keeps insertion order: drop the oldest entry.
    const oldest = cache.keys().next();
    if (!oldest.done) cache.delete(oldest.value);
  }
  cache.set(token, { user, until: Math.min(end, now + VERIFIED_TTL_MS) });
  return user;
}

/**
 * Verifies a bearer token: signature, `iss`, `aud`, `exp` (30 s skew). The
 * algorithm list is pinned per key source (HS256 for the secret, asymmetric
 * ones for a JWKS), so `alg: none` and algorithm-confusion tokens (an RS256
 * public key used as an HMAC secret) are refused before any claim is read.
 */
export async function verifyToken(token: string, s: JwtSettings): Promise<AuthUser> {
  try {
    const options = { issuer: s.issuer, audience: s.audience, clockTolerance: CLOCK_TOLERANCE_S, requiredClaims: ['sub', 'exp'] };
    const { payload } = s.jwksUrl
      ? await jwtVerify(token, remoteSet(s.jwksUrl), { ...options, algorithms: s.jwksAlgorithms ?? ['RS256', 'ES256'] })
      : await jwtVerify(token, secretKey(s), { ...options, algorithms: ['HS256'] });
    const role = payload['role'];
    if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) {
      throw new AuthError('UNAUTHENTICATED', 'Token has no valid role');
    }
    const stations = payload['stations'];
    if (stations !== undefined && !(Array.isArray(stations) && stations.every((x) => typeof x === 'string'))) {
      throw new AuthError('UNAUTHENTICATED', 'Token claim "stations" must be a list of station ids');
    }
    return {
      sub: String(payload.sub),
      role: role as Role,
      exp: typeof payload.exp === 'number' ? payload.exp : null,
      stations: stations === undefined ? null : (stations as string[]),
    };
  } catch (err) {
    if (err instanceof AuthError) throw err;
    if (err instanceof joseErrors.JWTExpired) throw new AuthError('UNAUTHENTICATED', 'Token expired');
    throw new AuthError('UNAUTHENTICATED', 'Invalid token');
  }
}

function secretKey(s: JwtSettings): KeyObject {
  let key = secretKeys.get(s);
  if (!key) secretKeys.set(s, (key = createSecretKey(Buffer.from(s.secret, 'utf8'))));
  return key;
}

/** `Authorization: Bearer <t>` → `<t>`; anything else → null. */
export function bearerFrom(header: unknown): string | null {
  if (typeof header !== 'string') return null;
  const m = /^Bearer\s+(\S+)$/i.exec(header.trim());
  return m?.[1] ?? null;
}

export async function signToken(
  s: JwtSettings,
  claims: { sub: string; role: Role; stations?: string[] | undefined },
  ttlSeconds = 12 * 3600,
): Promise<string> {
  return new SignJWT({ role: claims.role, ...(claims.stations ? { stations: claims.stations } : {}) })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.sub)
    .setIssuer(s.issuer)
    .setAudience(s.audience)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
    .sign(new TextEncoder().encode(s.secret));
}
