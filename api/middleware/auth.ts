import type { Knex } from 'knex';
import type { Middleware } from 'koa';
import { ForbiddenError, UnauthenticatedError } from '../../domain/errors';
import type { Role } from '../../domain/users';
import { activeSessionUser, SessionUser } from '../../db/sessions';
import { createTokenVerifier, TokenSettings } from '../auth/tokens';

export interface AuthUser {
  id: number;
  role: Role;
  userCode: string;
  sessionId: string;
  /** The user's row as read when the request was authenticated (no password hash). */
  account: SessionUser;
}

/**
 * Bearer JWT, then one indexed query: the user must be active and the session (refresh-token
 * family) not revoked, so logout and deactivation take effect at once, not at token expiry. The
 * same query reads the user's row, so a route that only shows it needs no second one.
 */
export function requireUser(knex: Knex, tokens: TokenSettings): Middleware {
  const verifyAccessToken = createTokenVerifier(tokens);
  return async (ctx, next) => {
    const header = ctx.get('authorization');
    const m = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(header);
    if (!m) throw new UnauthenticatedError('missing bearer token');
    const claims = await verifyAccessToken(m[1]!);
    const user = await activeSessionUser(knex, claims.userId, claims.sessionId);
    if (!user) throw new UnauthenticatedError('session revoked or expired');
    if (!user.is_active) throw new UnauthenticatedError('account is deactivated', 'account_inactive');
    ctx.state.user = {
      id: user.id,
      role: user.role as Role,
      userCode: user.user_code ?? '',
      sessionId: claims.sessionId,
      account: user,
    } satisfies AuthUser;
    await next();
  };
}

export function requireRole(role: Role): Middleware {
  return async (ctx, next) => {
    if ((ctx.state.user as AuthUser | undefined)?.role !== role)
      throw new ForbiddenError(`this route needs the ${role} role`);
    await next();
  };
}
