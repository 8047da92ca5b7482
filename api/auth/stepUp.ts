/**
 * Step-up: an action a signed-in user with two-factor on must confirm with a fresh code, sent in
 * the `X-Two-Factor-Code` header (adding a beneficiary; a payout above TWO_FACTOR_PAYOUT_ABOVE).
 * Users without two-factor are not asked. Wrong codes count as failed logins, so the throttle
 * that stops password guessing stops code guessing here too.
 */
import type { Context } from 'koa';
import type { Knex } from 'knex';
import type { Config } from '../../config';
import { writeAudit } from '../../db/audit';
import { isTwoFactorEnabled } from '../../db/twoFactor';
import { SecondFactorError } from '../../domain/errors';
import type { AuthUser } from './guards';
import { createSecondFactorProof } from './secondFactor';

export const STEP_UP_HEADER = 'X-Two-Factor-Code';

/** The header as the OpenAPI document describes it on the routes that may ask for it. */
export const stepUpHeader = {
  [STEP_UP_HEADER]: {
    required: false,
    description: 'a TOTP or recovery code; needed when two-factor is on (403 two_factor_required without it)',
  },
};

export type StepUp = (ctx: Context, user: AuthUser, action: string) => Promise<void>;

export function createStepUp(knex: Knex, config: Config): StepUp {
  const prove = createSecondFactorProof(knex, config);
  return async (ctx, user, action) => {
    if (!(await isTwoFactorEnabled(knex, user.id))) return;
    const code = ctx.get(STEP_UP_HEADER);
    if (!code) {
      throw new SecondFactorError(
        'two_factor_required',
        `${action} needs a code: send it in the ${STEP_UP_HEADER} header`,
      );
    }
    await prove(ctx.ip, user.id, code, {
      onWrong: () =>
        writeAudit(knex, {
          actorUserId: user.id,
          action: 'auth.step_up',
          outcome: 'failure',
          details: { for: action },
          ip: ctx.ip,
          userAgent: ctx.get('user-agent') || undefined,
          requestId: ctx.state.requestId as string,
        }),
    });
  };
}
