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

/**
 * Verifies a bearer token: signature, `iss`, `aud`, `exp` (30 s skew). The
 * algorithm list is pinned per key source (HS256 for the secret, asymmetric
 * ones for a JWKS), so `alg: none` and algorithm-confusion tokens (an RS256
 * public key used as an HMAC secret) are refused before any claim is read.
 */
export async function verifyToken(token: string, s: JwtSettings): Promise<AuthUser> {
  try {
    const options = { issuer: s.issuer, audience: s.audience, clockTolerance: 30, requiredClaims: ['sub', 'exp'] };
    const { payload } = s.jwksUrl
      ? await jwtVerify(token, remoteSet(s.jwksUrl), { ...options, algorithms: s.jwksAlgorithms ?? ['RS256', 'ES256'] })
      : await jwtVerify(token, new TextEncoder().encode(s.secret), { ...options, algorithms: ['HS256'] });
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
