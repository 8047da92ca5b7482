import type { Context } from 'koa';
import { z } from 'zod';
import { NotFoundError } from '../../domain/errors';
import { AuditEntry, auditedChange } from '../../db/audit';
import { retryOnLockConflict } from '../../db/sql';
import { liveSessions, revokeOtherSessions, revokeSession, SessionRow } from '../../db/sessions';
import type { AppDeps } from '../deps';
import type { AuthUser } from '../auth/guards';
import { defineRoute } from '../http/route';
import { clientInfo } from './auth';

/** More live sessions than this are not listed; "sign out everywhere else" still ends them all. */
const LISTED_SESSIONS = 100;

const sessionView = z.object({
  id: z.string(),
  device: z.string().describe('named from the user agent, e.g. "Chrome on Windows"'),
  userAgent: z.string().nullable(),
  signedInFromIp: z.string().nullable(),
  lastIp: z.string().nullable(),
  createdAt: z.string(),
  lastUsedAt: z.string().describe('to the minute: the API records use at most once a minute'),
  expiresAt: z.string().describe('the session ends then, however often it is refreshed'),
  current: z.boolean().describe('the session of the token that made this request'),
});

const toSessionView = (s: SessionRow, current: string): z.infer<typeof sessionView> => ({
  id: s.id,
  device: s.device,
  userAgent: s.user_agent,
  signedInFromIp: s.ip_address,
  lastIp: s.last_ip,
  createdAt: new Date(s.created_at).toISOString(),
  lastUsedAt: new Date(s.last_used_at).toISOString(),
  expiresAt: new Date(s.expires_at).toISOString(),
  current: s.id === current,
});

export function sessionRoutes(deps: AppDeps) {
  const { knex } = deps;
  const entry = (ctx: Context, user: AuthUser, action: string, targetId: string, details?: unknown): AuditEntry => ({
    actorUserId: user.id,
    action,
    targetType: 'session',
    targetId,
    outcome: 'success',
    details,
    ...clientInfo(ctx),
  });
  return [
    defineRoute({
      method: 'get',
      path: '/v1/me/sessions',
      summary: 'My signed-in sessions (devices), most recently used first',
      tag: 'me',
      access: 'user',
      responses: { 200: z.object({ items: z.array(sessionView) }) },
      handler: async ({ user }) => ({
        body: {
          items: (await liveSessions(knex, user.id, LISTED_SESSIONS)).map((s) => toSessionView(s, user.sessionId)),
        },
      }),
    }),
    defineRoute({
      method: 'delete',
      path: '/v1/me/sessions/:id',
      summary: 'Sign out one of my sessions (its tokens stop working at once)',
      tag: 'me',
      access: 'user',
      params: z.strictObject({ id: z.string().regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, 'a session id') }),
      responses: { 204: null },
      handler: async ({ params, user, ctx }) => {
        await auditedChange(
          knex,
          async (trx) => {
            if (!(await revokeSession(trx, user.id, params.id, 'signed_out_by_user'))) {
              throw new NotFoundError('no live session of yours has this id');
            }
          },
          () => entry(ctx, user, 'auth.session_revoked', params.id),
        );
        return { status: 204, body: undefined };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/me/sessions/sign-out-others',
      summary: 'Sign out every session but the one making this request',
      tag: 'me',
      access: 'user',
      responses: { 200: z.object({ signedOut: z.number().int() }) },
      handler: async ({ user, ctx }) => {
        // Again from the start when InnoDB picks it as a deadlock victim: it walks the user's
        // sessions by their index, and a request's last-used touch (which takes no user lock)
        // locks a session row and then its index entry, the other way round.
        const signedOut = await retryOnLockConflict(() =>
          auditedChange(
            knex,
            (trx) => revokeOtherSessions(trx, user.id, user.sessionId, 'signed_out_elsewhere'),
            (n) => entry(ctx, user, 'auth.sessions_revoked', user.sessionId, { signedOut: n }),
          ),
        );
        return { body: { signedOut } };
      },
    }),
  ];
}
