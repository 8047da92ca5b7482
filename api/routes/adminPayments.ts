import { z } from 'zod';
import { writeAudit } from '../../db/audit';
import { clearOrphan, markOrphaned, PaymentRecord, paymentTimeline, stuckPayments } from '../../db/payments';
import { BusinessRuleError, ConflictError, ValidationError } from '../../domain/errors';
import { decisionKeyFrom, signDecision } from '../../domain/decisionProof';
import { isOpen, PAYMENT_KINDS, PAYMENT_STATUSES } from '../../domain/payments';
import type { OperatorDecision } from '../../workflows/messages';
import { PHONEPE_POLLING, scalePlan } from '../../domain/polling';
import type { AppDeps } from '../deps';
import { defineRoute } from '../http/route';
import { idempotencyKeyOf, idempotent } from '../idempotency';
import { paymentView, toPaymentView } from '../paymentViews';
import { startReversalRunIfWatched } from '../reversalRuns';
import { amountInput, isoDate } from '../schemas';
import { clientInfo } from './auth';
import { visiblePayment, workflowsOf } from './payments';

const params = z.object({ id: z.string().min(5).max(40) });

export function adminPaymentRoutes(deps: AppDeps) {
  const { knex, config } = deps;
  const audit = (
    userId: number,
    action: string,
    target: string,
    ctx: Parameters<typeof clientInfo>[0],
    details?: unknown,
    outcome: 'success' | 'failure' = 'success',
  ) =>
    writeAudit(knex, {
      actorUserId: userId,
      action,
      targetType: 'payment',
      targetId: target,
      outcome,
      details,
      ...clientInfo(ctx),
    });

  /** An open payment whose workflow has stopped (marked by the sweeper, or not yet): a recovery run takes over. */
  const needsRecovery = async (rec: PaymentRecord) =>
    rec.orphanReason !== null || (isOpen(rec.status) && !(await workflowsOf(deps).isRunning(rec.workflowId)));
  const recover = async (rec: PaymentRecord, by: string, decision?: OperatorDecision) => {
    await clearOrphan(knex, rec.id, by);
    try {
      return await workflowsOf(deps).recover(rec.workflowId, rec.status, decision);
    } catch (err) {
      if (rec.orphanReason) await markOrphaned(knex, rec.id, rec.orphanReason);
      throw err;
    }
  };

  return [
    defineRoute({
      method: 'get',
      path: '/v1/admin/payments',
      summary:
        'What ops look at: orphaned payments first, then NEEDS_ATTENTION, payments with events for finance, and the longest untouched open ones',
      tag: 'admin',
      access: 'admin',
      query: z.strictObject({
        status: z.enum(PAYMENT_STATUSES).optional(),
        kind: z.enum(PAYMENT_KINDS).optional(),
        olderThan: isoDate.optional(),
        limit: z.coerce.number().int().min(1).max(200).default(50),
      }),
      responses: {
        200: z.object({
          items: z.array(
            paymentView.omit({ timeline: true }).extend({ userId: z.number(), attention: z.string().nullable() }),
          ),
        }),
      },
      handler: async ({ query }) => {
        const rows = await stuckPayments(knex, query);
        return {
          body: {
            items: rows.map((p) => {
              const { timeline: _t, ...v } = toPaymentView(p, []);
              return { ...v, userId: p.userId, attention: p.attention };
            }),
          },
        };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/admin/payments/:id/recheck',
      summary:
        'Ask the provider now: through the workflow; for a payment whose workflow stopped, a recovery run; for a settled payment in its reversal window, a reversal run',
      tag: 'admin',
      access: 'admin',
      params,
      responses: {
        202: z.object({
          paymentId: z.string(),
          signalled: z.boolean(),
          recoveryStarted: z.boolean(),
          /** A settled payment in its reversal window: the reversal run now asking the provider. */
          reversalRun: z.string().optional(),
        }),
      },
      handler: async ({ params: p, user, ctx }) => {
        const rec = await visiblePayment(deps, p.id, user);
        const recoveryStarted = await needsRecovery(rec);
        if (recoveryStarted) await recover(rec, user.userCode);
        // A settled payment's workflow has closed: within its reversal window, a reversal run asks the provider now.
        const reversalRun = recoveryStarted ? undefined : await startReversalRunIfWatched(deps, rec);
        const signalled = !recoveryStarted && !reversalRun && (await workflowsOf(deps).recheck(rec.workflowId));
        const body = { paymentId: rec.id, signalled, recoveryStarted, ...(reversalRun ? { reversalRun } : {}) };
        await audit(user.id, 'admin.payments.recheck', rec.id, ctx, body);
        return { status: 202, body };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/admin/payments/:id/resolve',
      summary:
        'Settle a stuck payment as the operator decides (same update as the Temporal UI sends; a recovery run applies it when the workflow stopped)',
      tag: 'admin',
      access: 'admin',
      params,
      body: z.strictObject({ outcome: z.enum(['succeeded', 'failed']), reason: z.string().trim().min(3).max(500) }),
      responses: { 200: paymentView },
      handler: async ({ params: p, body, user, ctx }) => {
        const rec = await visiblePayment(deps, p.id, user);
        const fields = { paymentId: rec.id, outcome: body.outcome, reason: body.reason, operator: user.userCode };
        const decision = {
          ...body,
          operator: user.userCode,
          proof: signDecision(decisionKeyFrom(config.JWT_SECRET), fields),
        };
        try {
          if (await needsRecovery(rec)) await recover(rec, user.userCode, decision);
          else await workflowsOf(deps).resolve(rec.workflowId, decision);
        } catch (err) {
          await audit(
            user.id,
            'admin.payments.resolve',
            rec.id,
            ctx,
            { ...body, error: (err as Error).message },
            'failure',
          );
          throw err;
        }
        await audit(user.id, 'admin.payments.resolve', rec.id, ctx, body);
        const after = await visiblePayment(deps, p.id, user);
        return { body: toPaymentView(after, await paymentTimeline(knex, after.id)) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/admin/payments/:id/refund',
      summary: "Refund (part of) a completed top-up to the customer's bank through PhonePe",
      tag: 'admin',
      access: 'admin',
      params,
      headers: {
        'Idempotency-Key': {
          required: true,
          description: 'Retries with the same key and body start no second refund.',
        },
      },
      body: z.strictObject({ amount: amountInput, reason: z.string().trim().min(3).max(500) }),
      responses: { 202: z.object({ paymentId: z.string(), refundOf: z.string(), status: z.enum(PAYMENT_STATUSES) }) },
      handler: async ({ params: p, body, user, ctx }) => {
        if (body.amount < 100)
          throw new ValidationError('a refund is at least ₹1.00 (PhonePe minimum)', [
            { path: 'amount', field: 'amount', message: 'below ₹1.00' },
          ]);
        const topUp = await visiblePayment(deps, p.id, user);
        if (topUp.kind !== 'topup')
          throw new BusinessRuleError('not_refundable', 'only top-ups are refunded through PhonePe');
        if (topUp.status !== 'COMPLETED')
          throw new ConflictError(
            `only a completed top-up can be refunded (this one is ${topUp.status})`,
            'invalid_state',
          );
        const response = await idempotent(
          knex,
          {
            userId: user.id,
            key: idempotencyKeyOf(ctx),
            operation: `POST refund ${topUp.id}`,
            canonicalBody: { amount: body.amount, reason: body.reason },
            idPrefix: 'rfd',
          },
          async (refundId) => {
            await workflowsOf(deps).startRefund(
              {
                refundId,
                topUpId: topUp.id,
                originalMerchantOrderId: topUp.providerRef ?? topUp.id,
                amount: body.amount,
                reason: body.reason,
                requestedBy: user.userCode,
                polling: refundPolling(config.POLLING_TIME_SCALE),
                providerCallBudgetMs: config.PROVIDER_CALL_BUDGET_SECONDS * 1000,
              },
              user.userCode,
            );
            await audit(user.id, 'admin.payments.refund', topUp.id, ctx, {
              refundId,
              amount: body.amount,
              reason: body.reason,
            });
            return { status: 202, body: { paymentId: refundId, refundOf: topUp.id, status: 'CREATED' } };
          },
        );
        return { status: response.status, body: response.body };
      },
    }),
  ];
}

/** Refunds settle in minutes to days: quick checks first, then hourly-ish for a week. */
function refundPolling(scale: number) {
  return scalePlan(
    {
      ...PHONEPE_POLLING,
      firstCheckMs: 5_000,
      phases: [{ everyMs: 5_000, forMs: 60_000 }],
      steadyEveryMs: 60_000,
      graceMs: 10 * 60_000,
      lateEveryMs: 30 * 60_000,
      lateWindowMs: 7 * 24 * 3_600_000,
    },
    scale,
  );
}
