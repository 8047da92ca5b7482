/**
 * Access tokens: short-lived HS256 JWTs (jose). Verification pins the algorithm, issuer and
 * audience, so `alg: none`, other algorithms, other keys, tampering and expiry all fail.
 * Refresh tokens are opaque random strings; only their SHA-256 is stored.
 */
import { createHash, randomBytes } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { UnauthenticatedError } from '../../domain/errors';
import type { Role } from '../../domain/users';

const AUDIENCE = 'nexaspay-api';

export interface AccessClaims {
  userId: number;
  sessionId: string;
  role: Role;
  /**
   * The user's session version and the session's two-factor state when the token was issued
   * (claims `sv`, `tfa`); absent from tokens issued before they existed, which always take the
   * full session check (api/auth/guards.ts).
   */
  session?: { version: number; twoFactor: boolean };
}

export interface TokenSettings {
  secret: string;
  issuer: string;
  ttlSeconds: number;
}

/**
 * A token for `c`'s session, ending after the TTL or at the session's end, whichever is first:
 * a token that outlived its session would pass the version check after the session ended.
 * Returns the token and its lifetime in seconds.
 */
export async function signAccessToken(
  s: TokenSettings,
  c: AccessClaims,
  sessionEndsAt: Date,
): Promise<{ token: string; expiresIn: number }> {
  const now = Math.floor(Date.now() / 1000);
  const exp = Math.min(now + s.ttlSeconds, Math.floor(sessionEndsAt.getTime() / 1000));
  const token = await new SignJWT({
    sid: c.sessionId,
    role: c.role,
    ...(c.session ? { sv: c.session.version, tfa: c.session.twoFactor } : {}),
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(String(c.userId))
    .setIssuer(s.issuer)
    .setAudience(AUDIENCE)
    .setIssuedAt(now)
    .setExpirationTime(exp)
    .sign(new TextEncoder().encode(s.secret));
  return { token, expiresIn: Math.max(0, exp - now) };
}

async function verifyWithExpiry(s: TokenSettings, token: string): Promise<{ claims: AccessClaims; exp: number }> {
  try {
    const { payload } = await jwtVerify(token, new TextEncoder().encode(s.secret), {
      algorithms: ['HS256'],
      issuer: s.issuer,
      audience: AUDIENCE,
      requiredClaims: ['exp'],
    });
    const userId = Number(payload.sub);
    if (!Number.isSafeInteger(userId) || typeof payload.sid !== 'string' || typeof payload.role !== 'string') {
      throw new UnauthenticatedError('malformed access token');
    }
    const { sv, tfa } = payload;
    const session =
      Number.isSafeInteger(sv) && typeof tfa === 'boolean' ? { version: sv as number, twoFactor: tfa } : undefined;
    return { claims: { userId, sessionId: payload.sid, role: payload.role as Role, session }, exp: payload.exp! };
  } catch (err) {
    if (err instanceof UnauthenticatedError) throw err;
    if (err instanceof joseErrors.JWTExpired) throw expired();
    throw new UnauthenticatedError('invalid access token');
  }
}

const expired = () => new UnauthenticatedError('access token expired', 'token_expired');

/**
 * A verifier that remembers tokens it has verified until they expire. A token's signature and
 * claims never change, so a repeat needs only the expiry check; under load verification was a
 * quarter of an authenticated read's CPU. Only valid tokens are kept, at most `max` (oldest out
 * first). Whether the session is still live is checked by the caller on every request.
 */
export function createTokenVerifier(s: TokenSettings, max = 10_000): (token: string) => Promise<AccessClaims> {
  const verified = new Map<string, { claims: AccessClaims; exp: number }>();
  return async (token) => {
    const known = verified.get(token);
    // jose's rule: expired once exp <= now, in whole seconds.
    if (known && known.exp > Math.floor(Date.now() / 1000)) return known.claims;
    if (known) {
      verified.delete(token);
      throw expired();
    }
    const fresh = await verifyWithExpiry(s, token);
    if (verified.size >= max) verified.delete(verified.keys().next().value!);
    verified.set(token, fresh);
    return fresh.claims;
  };
}

const CHALLENGE_AUDIENCE = 'nexaspay-2fa-challenge';

/**
 * The first step of a two-factor login: proof that the password was right, good for one
 * short window, for one user, and for nothing but the second step (its own audience, so it is
 * refused as an access token and an access token is refused here).
 */
export async function signTwoFactorChallenge(s: TokenSettings, userId: number, ttlSeconds: number): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(String(userId))
    .setIssuer(s.issuer)
    .setAudience(CHALLENGE_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${ttlSeconds}s`)
    .sign(new TextEncoder().encode(s.secret));
}

/** The user the challenge was issued to; 401 when it is forged, expired or not a challenge. */
export async function verifyTwoFactorChallenge(s: TokenSettings, token: string): Promise<number> {
  try {
    const { payload } = await jwtVerify(token, new TextEncoder().encode(s.secret), {
      algorithms: ['HS256'],
      issuer: s.issuer,
      audience: CHALLENGE_AUDIENCE,
      requiredClaims: ['exp'],
    });
    const userId = Number(payload.sub);
    if (Number.isSafeInteger(userId)) return userId;
  } catch {
    // fall through: every failure is the same answer
  }
  throw new UnauthenticatedError(
    'the sign-in challenge is not valid or has expired; log in again',
    'invalid_challenge',
  );
}

export function newRefreshToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashRefreshToken(token) };
}

export const hashRefreshToken = (token: string) => createHash('sha256').update(token).digest('hex');
