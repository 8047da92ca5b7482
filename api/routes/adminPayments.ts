import { z } from 'zod';
import { auditedChange, writeAudit } from '../../db/audit';
import { propose } from '../../db/approvals';
import { getPayment, PaymentRecord, paymentTimeline, stuckPayments } from '../../db/payments';
import { paymentTrail } from '../../db/paymentTrail';
import { BusinessRuleError, ConflictError } from '../../domain/errors';
import { isOpen, PAYMENT_KINDS, PAYMENT_STATUSES } from '../../domain/payments';
import { PROVIDER_OF_KIND } from '../../domain/reports';
import type { AppDeps } from '../deps';
import { defineRoute, RouteResult } from '../http/route';
import type { AuthUser } from '../auth/guards';
import { ApprovalRequest, createOperatorActions, needsSecondAdmin } from '../operatorActions';
import { approvalView, toApprovalView } from './adminApprovals';
import { idempotencyKeyOf, idempotent } from '../idempotency';
import { adminPaymentView, paymentView, toAdminPaymentView, toPaymentView } from '../paymentViews';
import { startReversalRunIfWatched } from '../reversalRuns';
import { amountBetween, isoDate, MIN_AMOUNT, money, rupees } from '../schemas';
import { clientInfo } from './auth';
import { visiblePayment, workflowsOf } from './payments';

const params = z.object({ id: z.string().min(5).max(40) });

export function adminPaymentRoutes(deps: AppDeps) {
  const { knex } = deps;
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

  const actions = createOperatorActions(deps);
  const temporalUiLink = (workflowId: string) =>
    `${deps.config.TEMPORAL_UI_URL.replace(/\/$/, '')}/namespaces/${encodeURIComponent(deps.config.TEMPORAL_NAMESPACE)}/workflows/${encodeURIComponent(workflowId)}`;
  /** A proposal for a second admin (four-eyes), answered 202 with what it awaits. */
  const proposeToSecondAdmin = async (
    rec: PaymentRecord,
    a: ApprovalRequest,
    user: AuthUser,
    ctx: Parameters<typeof clientInfo>[0],
  ) => {
    if (a.action === 'resolve' && !isOpen(rec.status)) {
      throw new ConflictError(`the payment is already ${rec.status}`, 'invalid_state');
    }
    const { approval, created } = await auditedChange(
      knex,
      (trx) => propose(trx, { action: a.action, paymentId: rec.id, request: { ...a.request }, proposedBy: user.id }),
      (p) =>
        p.created
          ? {
              actorUserId: user.id,
              action: 'admin.approvals.propose',
              targetType: 'payment',
              targetId: rec.id,
              outcome: 'success',
              details: { approvalId: p.approval.id, ...a },
              ...clientInfo(ctx),
            }
          : null,
    );
    if (created) return { status: 202, body: toApprovalView(approval) };
    if (approval.proposedBy !== user.id || JSON.stringify(approval.request) !== JSON.stringify(a.request)) {
      throw new ConflictError('another proposal for this payment awaits a second admin', 'approval_pending', {
        approvalId: approval.id,
      });
    }
    return { status: 202, body: toApprovalView(approval) };
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
            paymentView.omit({ timeline: true }).extend({
              userId: z.number(),
              attention: z.string().nullable(),
              lastNote: z.string().nullable().describe('The newest note on its timeline: why it is where it is'),
              held: money,
              providerName: z.string(),
              temporalUrl: z.string(),
            }),
          ),
        }),
      },
      handler: async ({ query }) => {
        const rows = await stuckPayments(knex, query);
        return {
          body: {
            items: rows.map((p) => {
              const { timeline: _t, ...v } = toPaymentView(p, []);
              return {
                ...v,
                userId: p.userId,
                attention: p.attention,
                lastNote: p.lastNote,
                held: rupees(p.held),
                providerName: PROVIDER_OF_KIND[p.kind],
                temporalUrl: temporalUiLink(p.workflowId),
              };
            }),
          },
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/admin/payments/:id',
      summary:
        "One payment as ops see it: its timeline, the ledger's journals and lines and holds it made, the webhooks providers sent about it, and its workflow in the Temporal UI",
      tag: 'admin',
      access: 'admin',
      params,
      responses: { 200: adminPaymentView },
      handler: async ({ params: p }) => {
        const rec = await getPayment(knex, p.id);
        const [timeline, trail, owner] = await Promise.all([
          paymentTimeline(knex, rec.id),
          paymentTrail(knex, rec),
          knex('users').where({ id: rec.userId }).first('user_code'),
        ]);
        return {
          body: toAdminPaymentView(rec, timeline, trail, owner?.user_code ?? null, temporalUiLink(rec.workflowId)),
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
        const recoveryStarted = await actions.needsRecovery(rec);
        if (recoveryStarted) await actions.recover(rec, user.userCode);
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
        'Settle a stuck payment as the operator decides (same update as the Temporal UI sends; a recovery run applies it when the workflow stopped). "succeeded" on a top-up credits money PhonePe never confirmed: it is proposed (202) and carried out when a second admin approves',
      tag: 'admin',
      access: 'admin',
      params,
      body: z.strictObject({ outcome: z.enum(['succeeded', 'failed']), reason: z.string().trim().min(3).max(500) }),
      responses: { 200: paymentView, 202: approvalView },
      handler: async ({ params: p, body, user, ctx }): Promise<RouteResult<unknown>> => {
        const rec = await visiblePayment(deps, p.id, user);
        const a = { action: 'resolve' as const, request: body };
        if (await needsSecondAdmin(deps, rec, a)) return proposeToSecondAdmin(rec, a, user, ctx);
        try {
          await actions.resolve(rec, body, user.userCode);
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
      summary:
        "Refund (part of) a completed top-up to the customer's bank through PhonePe; above FOUR_EYES_REFUND_ABOVE it is proposed and carried out when a second admin approves",
      tag: 'admin',
      access: 'admin',
      params,
      headers: {
        'Idempotency-Key': {
          required: true,
          description: 'Retries with the same key and body start no second refund.',
        },
      },
      body: z.strictObject({ amount: amountBetween(MIN_AMOUNT), reason: z.string().trim().min(3).max(500) }),
      responses: {
        202: z.union([
          z.object({ paymentId: z.string(), refundOf: z.string(), status: z.enum(PAYMENT_STATUSES) }),
          approvalView,
        ]),
      },
      handler: async ({ params: p, body, user, ctx }) => {
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
            const a = { action: 'refund' as const, request: { amount: body.amount, reason: body.reason, refundId } };
            if (await needsSecondAdmin(deps, topUp, a)) return proposeToSecondAdmin(topUp, a, user, ctx);
            await actions.refund(topUp, a.request, user.userCode);
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
