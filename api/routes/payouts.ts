/** Bank payouts to a user's verified beneficiary: POST /v1/payments/payouts. */
import { z } from 'zod';
import { beneficiaryKeysOf, loadBeneficiaryForPayout, maskAccount } from '../../db/beneficiaries';
import { BusinessRuleError, NotFoundError } from '../../domain/errors';
import { formatRupees, Paise, parseRupees } from '../../domain/money';
import { PAYMENT_STATUSES } from '../../domain/payments';
import { createStepUp, stepUpHeader } from '../auth/stepUp';
import type { AppDeps } from '../deps';
import { defineRoute } from '../http/route';
import { heldPaymentTiming, startHeldPaymentRequest } from '../providerPayments';
import { amountBetween, MIN_AMOUNT } from '../schemas';
import { idempotencyHeader } from './payments';

/** IMPS is capped at ₹5,00,000 per transfer by NPCI; NEFT has no upper bound (our limits still apply). */
const IMPS_MAX = 50_000_000 as Paise;

export function payoutRoutes(deps: AppDeps) {
  const { knex, config } = deps;
  const timing = heldPaymentTiming(config);
  const keys = beneficiaryKeysOf(config);
  const stepUp = createStepUp(knex, config);
  const stepUpAbove = parseRupees(config.TWO_FACTOR_PAYOUT_ABOVE);
  return [
    defineRoute({
      method: 'post',
      path: '/v1/payments/payouts',
      summary:
        'Pay out from the wallet to a verified bank beneficiary (202 once the amount is held; the bank confirms later); with two-factor on, above TWO_FACTOR_PAYOUT_ABOVE it needs a code',
      tag: 'payments',
      access: 'user',
      rateLimit: 'payment',
      headers: { ...idempotencyHeader, ...stepUpHeader },
      body: z.strictObject({
        amount: amountBetween(MIN_AMOUNT),
        beneficiaryId: z.number().int().positive(),
        mode: z.enum(['IMPS', 'NEFT']).default('IMPS'),
        remarks: z.string().trim().min(1).max(255).optional(),
      }),
      responses: { 202: z.object({ paymentId: z.string(), status: z.enum(PAYMENT_STATUSES) }) },
      handler: async ({ body, user, ctx }) => {
        if (body.mode === 'IMPS' && body.amount > IMPS_MAX) {
          throw new BusinessRuleError(
            'amount_not_allowed',
            `IMPS payouts are at most ₹${formatRupees(IMPS_MAX)}; use NEFT`,
          );
        }
        const ben = await loadBeneficiaryForPayout(knex, keys, user.id, body.beneficiaryId);
        if (!ben || !ben.isActive) throw new NotFoundError('beneficiary not found');
        if (!ben.isVerified)
          throw new BusinessRuleError(
            'beneficiary_unverified',
            'verify this beneficiary (POST /v1/beneficiaries/:id/verify) before paying it',
          );
        return startHeldPaymentRequest(
          deps,
          {
            ctx,
            user,
            operation: 'POST /v1/payments/payouts',
            body,
            // Asked once per payment: a replay of its Idempotency-Key is answered without a code.
            claim:
              body.amount > stepUpAbove
                ? () => stepUp(ctx, user, `a payout above ₹${formatRupees(stepUpAbove)}`)
                : undefined,
          },
          (paymentId) => ({
            kind: 'payout',
            input: {
              paymentId,
              userId: user.id,
              amount: body.amount,
              beneficiaryId: ben.id,
              mode: body.mode,
              beneficiary: {
                name: ben.name,
                accountMasked: maskAccount(ben.accountNumber),
                ifsc: ben.ifsc,
                bankName: ben.bankName,
              },
              ...(body.remarks ? { remarks: body.remarks } : {}),
              ...timing,
            },
          }),
        );
      },
    }),
  ];
}
