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
}

export interface TokenSettings {
  secret: string;
  issuer: string;
  ttlSeconds: number;
}

export async function signAccessToken(s: TokenSettings, c: AccessClaims): Promise<string> {
  return new SignJWT({ sid: c.sessionId, role: c.role })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(String(c.userId))
    .setIssuer(s.issuer)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${s.ttlSeconds}s`)
    .sign(new TextEncoder().encode(s.secret));
}

export async function verifyAccessToken(s: TokenSettings, token: string): Promise<AccessClaims> {
  try {
    const { payload } = await jwtVerify(token, new TextEncoder().encode(s.secret), {
      algorithms: ['HS256'],
      issuer: s.issuer,
      audience: AUDIENCE,
    });
    const userId = Number(payload.sub);
    if (!Number.isSafeInteger(userId) || typeof payload.sid !== 'string' || typeof payload.role !== 'string') {
      throw new UnauthenticatedError('malformed access token');
    }
    return { userId, sessionId: payload.sid, role: payload.role as Role };
  } catch (err) {
    if (err instanceof UnauthenticatedError) throw err;
    if (err instanceof joseErrors.JWTExpired) throw new UnauthenticatedError('access token expired', 'token_expired');
    throw new UnauthenticatedError('invalid access token');
  }
}

export function newRefreshToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashRefreshToken(token) };
}

export const hashRefreshToken = (token: string) => createHash('sha256').update(token).digest('hex');
