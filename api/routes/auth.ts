import type { Context } from 'koa';
import { z } from 'zod';
import { UnauthenticatedError } from '../../domain/errors';
import { auditedChange, writeAudit } from '../../db/audit';
import { revokeSession, rotateRefreshToken, SessionState, sessionOfToken, startSession } from '../../db/sessions';
import { createUser, findUserByLogin, getUser, recordLogin, UserRow } from '../../db/users';
import { hashPassword, spendVerificationTime, verifyPassword } from '../../db/passwords';
import { isTwoFactorEnabled, twoFactorKeysOf } from '../../db/twoFactor';
import { checkSecondFactor, refusedCodeMessage } from '../auth/secondFactor';
import {
  hashRefreshToken,
  newRefreshToken,
  signAccessToken,
  signTwoFactorChallenge,
  verifyTwoFactorChallenge,
} from '../auth/tokens';
import type { AppDeps } from '../deps';
import { defineRoute, RouteResult } from '../http/route';
import { createLoginThrottle } from '../rateLimits';
import { userView } from '../schemas';
import { toUserView } from '../views';

export const registerBody = z.strictObject({
  email: z.email().max(255),
  // At least one letter: a username can never read as a phone number or an email (no @).
  username: z.string().regex(/^(?=.*[A-Za-z])[A-Za-z0-9_.-]{3,100}$/, '3-100 letters, digits, _ . -, with a letter'),
  phone: z.string().regex(/^[6-9]\d{9}$/, 'a 10-digit Indian mobile number'),
  password: z.string().min(10, 'at least 10 characters').max(200),
  fullName: z.string().trim().min(1).max(255).optional(),
  role: z.enum(['customer', 'retailer']).optional(),
  parentUserCode: z.string().min(1).max(50).optional(),
});
const loginBody = z.strictObject({ login: z.string().min(1).max(255), password: z.string().min(1).max(200) });
const refreshBody = z.strictObject({ refreshToken: z.string().min(20).max(200) });
const logoutBody = z.strictObject({ refreshToken: z.string().min(20).max(200).optional() });
const tokenPair = z.object({
  accessToken: z.string(),
  refreshToken: z.string(),
  tokenType: z.literal('Bearer'),
  expiresIn: z.number(),
});

const signedInBody = tokenPair.extend({ user: userView });
const loginResponse = z.union([
  signedInBody,
  z.object({
    twoFactorRequired: z.literal(true),
    challengeToken: z.string().describe('send it with a code to POST /v1/auth/login/2fa'),
    expiresIn: z.number(),
  }),
]);

const REFUSED_REFRESH = {
  unknown: 'refresh token is not valid',
  expired: 'refresh token expired',
  ended: 'the session has ended (signed out, or past its lifetime); log in again',
} as const;

export function clientInfo(ctx: Context) {
  return { ip: ctx.ip, userAgent: ctx.get('user-agent') || undefined, requestId: ctx.state.requestId as string };
}

export function authRoutes(deps: AppDeps) {
  const { knex, config } = deps;
  const loginThrottle = createLoginThrottle(knex, config);
  const twoFactorKeys = twoFactorKeysOf(config);
  const tokenSettings = {
    secret: config.JWT_SECRET,
    issuer: config.JWT_ISSUER,
    ttlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
  };

  /**
   * A token pair for `session`, or for a new session. A login from a device the user never signed
   * in from before is audited (a registration is every user's first device).
   */
  async function issue(
    user: UserRow,
    ctx: Context,
    session: { sessionId: string; refreshToken: string; state: SessionState } | 'login' | 'login-2fa' | 'registration',
  ) {
    let sessionId: string;
    let refreshToken: string;
    let state: SessionState;
    if (typeof session === 'object') ({ sessionId, refreshToken, state } = session);
    else {
      const fresh = newRefreshToken();
      const started = await startSession(knex, {
        userId: user.id,
        tokenHash: fresh.hash,
        refreshDays: config.REFRESH_TOKEN_TTL_DAYS,
        sessionDays: config.SESSION_MAX_DAYS,
        twoFactor: session === 'login-2fa',
        ...clientInfo(ctx),
      });
      sessionId = started.sessionId;
      refreshToken = fresh.token;
      state = started.state;
      if (started.newDevice && session !== 'registration') {
        await writeAudit(knex, {
          actorUserId: user.id,
          action: 'auth.new_device',
          targetType: 'session',
          targetId: sessionId,
          outcome: 'success',
          details: { device: started.device },
          ...clientInfo(ctx),
        });
      }
    }
    const { token: accessToken, expiresIn } = await signAccessToken(
      tokenSettings,
      { userId: user.id, sessionId, role: user.role, session: { version: state.version, twoFactor: state.twoFactor } },
      state.endsAt,
    );
    return { accessToken, refreshToken, tokenType: 'Bearer' as const, expiresIn };
  }

  /**
   * The start of a login attempt (either step): refused, and audited as such, while the throttle
   * locks `account` out from this address; `failure` audits a later refusal.
   */
  async function attempt(ctx: Context, userId: number | null, account: string) {
    const failure = (reason: string) =>
      writeAudit(knex, {
        actorUserId: userId,
        action: 'auth.login',
        outcome: 'failure',
        details: { reason },
        ...clientInfo(ctx),
      });
    try {
      return { failure, counted: await loginThrottle.attempt(account, ctx.ip) };
    } catch (err) {
      await failure('rate_limited');
      throw err;
    }
  }

  /** A completed login: recorded, audited, and a new session (marked when a second factor passed). */
  async function signedIn(user: UserRow, ctx: Context, secondFactor: 'totp' | 'recovery' | null) {
    await recordLogin(knex, user.id);
    await writeAudit(knex, {
      actorUserId: user.id,
      action: 'auth.login',
      targetType: 'user',
      targetId: user.id,
      outcome: 'success',
      details: secondFactor ? { secondFactor } : undefined,
      ...clientInfo(ctx),
    });
    return { ...(await issue(user, ctx, secondFactor ? 'login-2fa' : 'login')), user: toUserView(user) };
  }

  return [
    defineRoute({
      method: 'post',
      path: '/v1/auth/register',
      summary: 'Create an account (customer or retailer) and log in',
      tag: 'auth',
      access: 'public',
      rateLimit: 'auth',
      body: registerBody,
      responses: { 201: signedInBody },
      handler: async ({ body, ctx }) => {
        const user = await createUser(knex, {
          email: body.email.toLowerCase(),
          username: body.username,
          phone: body.phone,
          passwordHash: await hashPassword(body.password),
          fullName: body.fullName,
          role: body.role ?? 'customer',
          parentUserCode: body.parentUserCode,
        });
        await writeAudit(knex, {
          actorUserId: user.id,
          action: 'auth.register',
          targetType: 'user',
          targetId: user.id,
          outcome: 'success',
          ...clientInfo(ctx),
        });
        return { status: 201, body: { ...(await issue(user, ctx, 'registration')), user: toUserView(user) } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/auth/login',
      summary: 'Log in with email, username or phone',
      tag: 'auth',
      access: 'public',
      rateLimit: 'auth',
      body: loginBody,
      responses: { 200: loginResponse },
      handler: async ({ body, ctx }): Promise<RouteResult<z.infer<typeof loginResponse>>> => {
        const login = body.login.trim();
        const user = await findUserByLogin(knex, login);
        // Throttled per account, however it is named (email, username or phone), and per IP.
        const account = user ? `user:${user.id}` : `login:${login.toLowerCase()}`;
        const { failure, counted } = await attempt(ctx, user?.id ?? null, account);
        const ok = user
          ? await verifyPassword(user.password, body.password)
          : (await spendVerificationTime(body.password), false);
        if (!user || !ok) {
          await loginThrottle.failed(account, ctx.ip, counted);
          await failure('invalid_credentials');
          throw new UnauthenticatedError('wrong login or password', 'invalid_credentials');
        }
        if (!user.is_active) {
          await failure('account_inactive');
          throw new UnauthenticatedError('this account is deactivated', 'account_inactive');
        }
        if (await isTwoFactorEnabled(knex, user.id)) {
          // The failure count stands until the code is right too: a right password followed by
          // guessed codes must not reset it.
          const challengeToken = await signTwoFactorChallenge(
            tokenSettings,
            user.id,
            config.TWO_FACTOR_CHALLENGE_SECONDS,
          );
          return {
            body: { twoFactorRequired: true as const, challengeToken, expiresIn: config.TWO_FACTOR_CHALLENGE_SECONDS },
          };
        }
        await loginThrottle.succeeded(account, ctx.ip);
        return { body: await signedIn(user, ctx, null) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/auth/login/2fa',
      summary: 'Second step of a login with two-factor on: the challenge and a TOTP or recovery code',
      tag: 'auth',
      access: 'public',
      rateLimit: 'auth',
      body: z.strictObject({
        challengeToken: z.string().min(20).max(2000),
        code: z.string().trim().min(6).max(20).describe('6 digits from the authenticator app, or a recovery code'),
      }),
      responses: { 200: signedInBody },
      handler: async ({ body, ctx }) => {
        const user = await getUser(knex, await verifyTwoFactorChallenge(tokenSettings, body.challengeToken));
        const account = `user:${user.id}`;
        const { failure, counted } = await attempt(ctx, user.id, account);
        if (!user.is_active) throw new UnauthenticatedError('this account is deactivated', 'account_inactive');
        if (!(await isTwoFactorEnabled(knex, user.id))) {
          throw new UnauthenticatedError(
            'two-factor is no longer on for this account; log in again',
            'invalid_challenge',
          );
        }
        const how = await checkSecondFactor(knex, twoFactorKeys, user.id, body.code);
        if (how === 'used' || !how) {
          // A code already accepted is refused, but it is the owner's code: not counted as a guess.
          if (how === 'used') await loginThrottle.forgive(account, ctx.ip);
          else await loginThrottle.failed(account, ctx.ip, counted);
          await failure('two_factor_invalid');
          throw new UnauthenticatedError(refusedCodeMessage(how ?? null), 'two_factor_invalid');
        }
        await loginThrottle.succeeded(account, ctx.ip);
        return { body: await signedIn(user, ctx, how) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/auth/refresh',
      summary: 'Trade a refresh token for a new pair (the old one is revoked)',
      tag: 'auth',
      access: 'public',
      rateLimit: 'auth',
      body: refreshBody,
      responses: { 200: tokenPair },
      handler: async ({ body, ctx }) => {
        const next = newRefreshToken();
        const outcome = await rotateRefreshToken(knex, {
          oldHash: hashRefreshToken(body.refreshToken),
          newHash: next.hash,
          refreshDays: config.REFRESH_TOKEN_TTL_DAYS,
          ...clientInfo(ctx),
        });
        if (!outcome.ok) {
          if (outcome.reason === 'reused') {
            await writeAudit(knex, {
              actorUserId: outcome.userId ?? null,
              action: 'auth.refresh_reuse',
              outcome: 'failure',
              ...clientInfo(ctx),
            });
            throw new UnauthenticatedError(
              'refresh token was already used; the session is revoked',
              'refresh_token_reused',
            );
          }
          throw new UnauthenticatedError(REFUSED_REFRESH[outcome.reason], 'invalid_refresh_token');
        }
        const user = await getUser(knex, outcome.userId);
        if (!user.is_active) throw new UnauthenticatedError('account is deactivated', 'account_inactive');
        return {
          body: await issue(user, ctx, {
            sessionId: outcome.sessionId,
            refreshToken: next.token,
            state: outcome.state,
          }),
        };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/auth/logout',
      summary: 'Revoke the current session (or the one a refresh token belongs to)',
      tag: 'auth',
      access: 'user',
      body: logoutBody,
      responses: { 204: null },
      handler: async ({ body, user, ctx }) => {
        let sessionId = user.sessionId;
        if (body.refreshToken) {
          const owner = await sessionOfToken(knex, hashRefreshToken(body.refreshToken));
          if (owner && owner.userId === user.id) sessionId = owner.sessionId;
        }
        await auditedChange(
          knex,
          (trx) => revokeSession(trx, user.id, sessionId, 'logout'),
          () => ({
            actorUserId: user.id,
            action: 'auth.logout',
            targetType: 'session',
            targetId: sessionId,
            outcome: 'success',
            ...clientInfo(ctx),
          }),
        );
        return { status: 204, body: undefined };
      },
    }),
  ];
}
