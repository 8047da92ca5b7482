/**
 * The checks a signed-in route runs before its handler (api/http/route.ts): who the caller is,
 * and whether an admin route may serve them.
 */
import type { Knex } from 'knex';
import { ForbiddenError, SecondFactorError, UnauthenticatedError } from '../../domain/errors';
import type { Role } from '../../domain/users';
import { activeSessionUser, LAST_USED_PRECISION_MS, SessionUser, touchSession } from '../../db/sessions';
import { createTokenVerifier, TokenSettings } from './tokens';
import type { Check } from '../http/route';

export interface AuthUser {
  id: number;
  role: Role;
  userCode: string;
  sessionId: string;
  /** The session passed a second factor (at login, or when two-factor was enabled in it). */
  twoFactorPassed: boolean;
  /** The user's row as read when the request was authenticated (no password hash). */
  account: SessionUser;
}

/**
 * Bearer JWT, then one query by primary keys: the user must be active and the session neither
 * revoked nor past its end, so logout and deactivation take effect at once, not at token expiry.
 * The same query reads the user's row, so a route that only shows it needs no second one. The
 * session's "last used" is written when it is more than a minute old, not on every request.
 */
export function requireUser(knex: Knex, tokens: TokenSettings): Check {
  const verifyAccessToken = createTokenVerifier(tokens);
  return async (ctx) => {
    const header = ctx.get('authorization');
    const m = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(header);
    if (!m) throw new UnauthenticatedError('missing bearer token');
    const claims = await verifyAccessToken(m[1]!);
    const now = new Date();
    const session = await activeSessionUser(knex, claims.userId, claims.sessionId, now);
    if (!session) throw new UnauthenticatedError('session revoked or expired');
    const { user } = session;
    if (!user.is_active) throw new UnauthenticatedError('account is deactivated', 'account_inactive');
    ctx.state.user = {
      id: user.id,
      role: user.role as Role,
      userCode: user.user_code ?? '',
      sessionId: claims.sessionId,
      twoFactorPassed: session.twoFactorAt !== null,
      account: user,
    } satisfies AuthUser;
    if (now.getTime() - new Date(session.lastUsedAt).getTime() > LAST_USED_PRECISION_MS) {
      await touchSession(knex, claims.sessionId, ctx.ip, now);
    }
  };
}

/** Admin routes: the admin role, in a session that passed two-factor authentication. */
export function requireAdmin(): Check {
  return (ctx) => {
    const user = ctx.state.user as AuthUser | undefined;
    if (user?.role !== 'admin') throw new ForbiddenError('this route needs the admin role');
    if (!user.twoFactorPassed) {
      throw new SecondFactorError(
        'two_factor_required',
        'admin routes need a session signed in with two-factor authentication: enable it (POST /v1/me/2fa/setup) or sign in again with a code',
      );
    }
  };
}
