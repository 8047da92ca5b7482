/**
 * The checks a signed-in route runs before its handler (api/http/route.ts): who the caller is,
 * and whether an admin route may serve them.
 */
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { ForbiddenError, SecondFactorError, UnauthenticatedError } from '../../domain/errors';
import type { Role } from '../../domain/users';
import {
  AccountColumn,
  LAST_USED_PRECISION_MS,
  liveSession,
  SessionUser,
  sessionTriggersWatch,
  sessionUserReader,
  touchSession,
} from '../../db/sessions';
import { createTokenVerifier, TokenSettings } from './tokens';
import type { Check } from '../http/route';

export interface AuthUser<C extends AccountColumn = never> {
  id: number;
  role: Role;
  userCode: string;
  sessionId: string;
  /** The session passed a second factor (at login, or when two-factor was enabled in it). */
  twoFactorPassed: boolean;
  /**
   * The user's row as read when the request was authenticated: the session check's columns and
   * those the route declared (`account` in api/http/route.ts).
   */
  account: SessionUser<C>;
}

/**
 * Bearer JWT, then the user's row by primary key: the user must be active and the token's
 * session neither revoked nor past its end, so logout and deactivation take effect at once, not
 * at token expiry. The session is known live without reading it while the user's session version
 * is the one the token was issued with: a trigger bumps it whenever any of the user's sessions
 * changes state (migration 024), and a token ends no later than its session. Once it moved
 * (another device signed out, say), the session's own row is read, as it always was before the
 * version existed: on a two-core machine the second table of that read was a third of a read's
 * database time. Without the triggers (checked every few seconds) every request reads its
 * session. The session's "last used" is written by each process at most once a minute.
 *
 * Made once per process; each route gets its own check, which reads with the user's row the
 * columns the route's handler reads of it (`account`), in the same query.
 */
export function requireUser(
  knex: Knex,
  tokens: TokenSettings,
  logger: Logger,
): (account: readonly AccountColumn[]) => Check {
  const verifyAccessToken = createTokenVerifier(tokens);
  const triggersPresent = sessionTriggersWatch(knex);
  const lastTouched = new Map<string, number>();
  return (account) => check(sessionUserReader(account));

  function check(sessionUser: ReturnType<typeof sessionUserReader>): Check {
    return async (ctx) => {
      const header = ctx.get('authorization');
      const m = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(header);
      if (!m) throw new UnauthenticatedError('missing bearer token');
      const claims = await verifyAccessToken(m[1]!);
      const now = new Date();
      const user = await sessionUser(knex, claims.userId);
      if (!user) throw new UnauthenticatedError('session revoked or expired');
      let twoFactorPassed: boolean;
      if (claims.session && claims.session.version === user.session_version && triggersPresent()) {
        twoFactorPassed = claims.session.twoFactor;
      } else {
        const session = await liveSession(knex, claims.userId, claims.sessionId, now);
        if (!session) throw new UnauthenticatedError('session revoked or expired');
        twoFactorPassed = session.twoFactorAt !== null;
      }
      if (!user.is_active) throw new UnauthenticatedError('account is deactivated', 'account_inactive');
      ctx.state.user = {
        id: user.id,
        role: user.role as Role,
        userCode: user.user_code ?? '',
        sessionId: claims.sessionId,
        twoFactorPassed,
        account: user,
      } satisfies AuthUser;
      if (now.getTime() - (lastTouched.get(claims.sessionId) ?? 0) > LAST_USED_PRECISION_MS) {
        // Bounded: a process serving more sessions than this within a minute forgets them all and
        // writes each once more, rather than growing.
        if (lastTouched.size >= 100_000) lastTouched.clear();
        lastTouched.set(claims.sessionId, now.getTime());
        // Bookkeeping, not a check: a touch that loses a lock conflict (a sign-out of the other
        // sessions walks their index the other way) must not fail the request it rides on.
        await touchSession(knex, claims.sessionId, ctx.ip, now).catch((err: Error) =>
          logger.warn({ err: err.message, sessionId: claims.sessionId }, 'session last-used not recorded'),
        );
      }
    };
  }
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
