import { z } from 'zod';
import { AuditEntry, auditedChange } from '../../db/audit';
import { verifyPassword } from '../../db/passwords';
import { retryOnLockConflict } from '../../db/sql';
import { lockUserSessions, markSessionTwoFactor, revokeOtherSessions } from '../../db/sessions';
import {
  disableTwoFactor,
  enableTwoFactor,
  replaceRecoveryCodes,
  storePendingSecret,
  twoFactorKeysOf,
  twoFactorState,
} from '../../db/twoFactor';
import { getUser } from '../../db/users';
import { BusinessRuleError, ConflictError, ForbiddenError } from '../../domain/errors';
import {
  createSecondFactorProof,
  enrolmentFor,
  hashRecoveryCode,
  newRecoveryCodes,
  newTotpSecret,
} from '../auth/secondFactor';
import type { AppDeps } from '../deps';
import { defineRoute } from '../http/route';
import type { AuthUser } from '../auth/guards';
import { createLoginThrottle } from '../rateLimits';
import { clientInfo } from './auth';

const codeField = z.string().trim().min(6).max(20).describe('6 digits from the authenticator app, or a recovery code');
const recoveryCodesBody = z.object({
  recoveryCodes: z.array(z.string()).describe('each works once in place of a code; shown only now'),
});

export function twoFactorRoutes(deps: AppDeps) {
  const { knex, config } = deps;
  const keys = twoFactorKeysOf(config);
  const throttle = createLoginThrottle(knex, config);

  const proveSecondFactor = createSecondFactorProof(knex, config);

  const entry = (ctx: Parameters<typeof clientInfo>[0], user: AuthUser, action: string): AuditEntry => ({
    actorUserId: user.id,
    action,
    targetType: 'user',
    targetId: user.id,
    outcome: 'success',
    ...clientInfo(ctx),
  });

  async function provePassword(ctx: Parameters<typeof clientInfo>[0], user: AuthUser, password: string) {
    const account = `user:${user.id}`;
    const counted = await throttle.attempt(account, ctx.ip);
    if (!(await verifyPassword((await getUser(knex, user.id)).password, password))) {
      await throttle.failed(account, ctx.ip, counted);
      throw new ForbiddenError('the password is wrong', 'password_invalid');
    }
    await throttle.succeeded(account, ctx.ip);
  }

  const issueRecoveryCodes = () => {
    const codes = newRecoveryCodes();
    return { codes, hashes: codes.map(hashRecoveryCode) };
  };

  return [
    defineRoute({
      method: 'get',
      path: '/v1/me/2fa',
      summary: 'Whether two-factor authentication is on, and how many recovery codes are left',
      tag: 'me',
      access: 'user',
      responses: {
        200: z.object({
          enabled: z.boolean(),
          enabledAt: z.string().nullable(),
          recoveryCodesLeft: z.number().int(),
          thisSessionPassed: z.boolean(),
        }),
      },
      handler: async ({ user }) => {
        const state = await twoFactorState(knex, user.id);
        return {
          body: {
            enabled: Boolean(state?.enabledAt),
            enabledAt: state?.enabledAt ? new Date(state.enabledAt).toISOString() : null,
            recoveryCodesLeft: state?.recoveryCodesLeft ?? 0,
            thisSessionPassed: user.twoFactorPassed,
          },
        };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/me/2fa/setup',
      summary:
        'Start enrolment, with the password: a new TOTP secret, as an otpauth URI and a QR code (SVG) for the app',
      tag: 'me',
      access: 'user',
      account: ['username'],
      body: z.strictObject({ password: z.string().min(1).max(200) }),
      responses: { 200: z.object({ secret: z.string(), otpauthUri: z.string(), qrCodeSvg: z.string() }) },
      handler: async ({ body, user, ctx }) => {
        // The password, not just a token: whoever holds a stolen access token must not be able to
        // enrol their own authenticator (and, for an admin, pass the admin routes' check).
        await provePassword(ctx, user, body.password);
        const secret = newTotpSecret();
        if (!(await storePendingSecret(knex, keys, user.id, secret))) {
          throw new ConflictError('two-factor is already on; disable it first to enrol again', 'two_factor_enabled');
        }
        return { body: await enrolmentFor(secret, config.TWO_FACTOR_ISSUER, user.account.username) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/me/2fa/enable',
      summary: 'Finish enrolment with a code from the app: two-factor is on, and recovery codes are shown once',
      tag: 'me',
      access: 'user',
      body: z.strictObject({
        code: z
          .string()
          .trim()
          .regex(/^\d{6}$/, '6 digits'),
      }),
      responses: { 200: recoveryCodesBody },
      handler: async ({ body, user, ctx }) => {
        const state = await twoFactorState(knex, user.id);
        if (!state) throw new BusinessRuleError('two_factor_not_set_up', 'start with POST /v1/me/2fa/setup');
        if (state.enabledAt) throw new ConflictError('two-factor is already on', 'two_factor_enabled');
        const proven = state.secretSealed;
        await proveSecondFactor(ctx.ip, user.id, body.code);
        const { codes, hashes } = issueRecoveryCodes();
        // Again from the start if InnoDB picks it as a deadlock victim (the sign-out of the other
        // sessions below meets last-used touches as routes/sessions.ts describes).
        await retryOnLockConflict(() =>
          auditedChange(
            knex,
            async (trx) => {
              // The user's row first, as every change of sessions takes it (db/sessions.ts): the
              // recovery codes' foreign key would otherwise take it shared before the session
              // change wants it exclusive, and deadlock with a logout or posting beside it.
              await lockUserSessions(trx, user.id);
              // Only the secret the code was checked against: a setup in between replaced it.
              if (!(await enableTwoFactor(trx, user.id, proven, hashes))) {
                throw new ConflictError(
                  'enrolment started again meanwhile; confirm the new secret',
                  'two_factor_setup_changed',
                );
              }
              // The code just proved the second factor in this session; sessions signed in with the
              // password alone end.
              await markSessionTwoFactor(trx, user.id, user.sessionId);
              await revokeOtherSessions(trx, user.id, user.sessionId, 'two_factor_enabled');
            },
            () => entry(ctx, user, 'auth.2fa_enabled'),
          ),
        );
        return { body: { recoveryCodes: codes } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/me/2fa/recovery-codes',
      summary: 'New recovery codes (the old ones stop working), confirmed with a code',
      tag: 'me',
      access: 'user',
      body: z.strictObject({ code: codeField }),
      responses: { 200: recoveryCodesBody },
      handler: async ({ body, user, ctx }) => {
        if (!(await twoFactorState(knex, user.id))?.enabledAt) {
          throw new BusinessRuleError('two_factor_not_enabled', 'two-factor is not on');
        }
        await proveSecondFactor(ctx.ip, user.id, body.code);
        const { codes, hashes } = issueRecoveryCodes();
        await auditedChange(
          knex,
          (trx) => replaceRecoveryCodes(trx, user.id, hashes),
          () => entry(ctx, user, 'auth.2fa_recovery_codes'),
        );
        return { body: { recoveryCodes: codes } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/me/2fa/disable',
      summary: 'Turn two-factor off, with the password and a code (not for admins: it is mandatory for them)',
      tag: 'me',
      access: 'user',
      body: z.strictObject({ password: z.string().min(1).max(200), code: codeField }),
      responses: { 204: null },
      handler: async ({ body, user, ctx }) => {
        if (user.role === 'admin') {
          throw new BusinessRuleError('two_factor_mandatory', 'admins cannot turn two-factor off');
        }
        if (!(await twoFactorState(knex, user.id))?.enabledAt) {
          throw new BusinessRuleError('two_factor_not_enabled', 'two-factor is not on');
        }
        await proveSecondFactor(ctx.ip, user.id, body.code, { password: body.password });
        await auditedChange(
          knex,
          (trx) => disableTwoFactor(trx, user.id),
          () => entry(ctx, user, 'auth.2fa_disabled'),
        );
        return { status: 204, body: undefined };
      },
    }),
  ];
}
