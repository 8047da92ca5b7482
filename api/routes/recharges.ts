/** Mobile recharges: the operator catalogue and POST /v1/payments/recharges. */
import { z } from 'zod';
import { BusinessRuleError } from '../../domain/errors';
import { formatRupees } from '../../domain/money';
import { PAYMENT_STATUSES } from '../../domain/payments';
import { RECHARGE_OPERATORS } from '../../providers/contracts';
import type { AppDeps } from '../deps';
import { defineRoute } from '../http/route';
import { Catalogues, commissionMargins, heldPaymentTiming, startHeldPaymentRequest } from '../providerPayments';
import { amountInput, money } from '../schemas';
import { idempotencyHeader } from './payments';

const operatorView = z.object({
  code: z.enum(RECHARGE_OPERATORS),
  name: z.string(),
  circles: z.array(z.object({ code: z.string(), name: z.string() })),
  minAmount: money,
  maxAmount: money,
});

export function rechargeRoutes(deps: AppDeps, catalogue: Catalogues) {
  const { config } = deps;
  const timing = heldPaymentTiming(config);
  const margin = commissionMargins(config).recharge;
  return [
    defineRoute({
      method: 'get',
      path: '/v1/recharge/operators',
      summary: 'Recharge operators, their circles and amount ranges',
      tag: 'catalogue',
      access: 'user',
      responses: { 200: z.object({ items: z.array(operatorView) }) },
      handler: async () => {
        const ops = await catalogue.operators();
        return {
          body: {
            items: ops.map((o) => ({
              ...o,
              minAmount: formatRupees(o.minAmount),
              maxAmount: formatRupees(o.maxAmount),
            })),
          },
        };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/payments/recharges',
      summary: 'Recharge a mobile number from the wallet (202 once the amount is held; the operator confirms later)',
      tag: 'payments',
      access: 'user',
      rateLimit: 'payment',
      headers: idempotencyHeader,
      body: z.strictObject({
        operator: z.enum(RECHARGE_OPERATORS),
        circle: z.string().min(1).max(10),
        mobile: z.string().regex(/^[6-9]\d{9}$/, 'a 10-digit Indian mobile number starting with 6-9'),
        amount: amountInput,
      }),
      responses: { 202: z.object({ paymentId: z.string(), status: z.enum(PAYMENT_STATUSES) }) },
      handler: async ({ body, user, ctx }) => {
        const op = (await catalogue.operators()).find((o) => o.code === body.operator);
        if (!op)
          throw new BusinessRuleError('operator_unavailable', `${body.operator} recharges are not available right now`);
        if (!op.circles.some((c) => c.code === body.circle)) {
          throw new BusinessRuleError('circle_not_found', `${op.name} has no circle ${body.circle}`, {
            circles: op.circles.map((c) => c.code),
          });
        }
        if (body.amount % 100 !== 0 || body.amount < op.minAmount || body.amount > op.maxAmount) {
          throw new BusinessRuleError(
            'amount_not_allowed',
            `${op.name} recharges are whole rupees from ₹${formatRupees(op.minAmount)} to ₹${formatRupees(op.maxAmount)}`,
          );
        }
        return startHeldPaymentRequest(
          deps,
          { ctx, user, operation: 'POST /v1/payments/recharges', body },
          (paymentId) => ({
            kind: 'recharge',
            input: {
              paymentId,
              userId: user.id,
              amount: body.amount,
              operator: body.operator,
              circle: body.circle,
              mobile: body.mobile,
              commissionMarginRate: margin,
              ...timing,
            },
          }),
        );
      },
    }),
  ];
}
