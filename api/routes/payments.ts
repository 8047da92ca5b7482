import { z } from 'zod';
import { getPayment, listPayments, paymentTimeline } from '../../db/payments';
import { openTopUpOrders } from '../../db/topups';
import { findUserByCode } from '../../db/transfers';
import { BusinessRuleError, NotFoundError, TransientError } from '../../domain/errors';
import { Paise, parseRupees } from '../../domain/money';
import { PAYMENT_KINDS, PAYMENT_STATUSES } from '../../domain/payments';
import { PHONEPE_POLLING, scalePlan } from '../../domain/polling';
import type { AppDeps } from '../deps';
import { defineRoute } from '../http/route';
import { idempotencyKeyOf, idempotent } from '../idempotency';
import { paymentView, toPaymentView } from '../paymentViews';
import { amountBetween, isoDate, MIN_AMOUNT } from '../schemas';
import { PaymentWorkflows } from '../temporal';
import type { AuthUser } from '../auth/guards';

const MAX_TOPUP = 10_000_000 as Paise; // ₹1,00,000 per top-up

export const idempotencyHeader = {
  'Idempotency-Key': {
    required: true,
    description: 'Retries with the same key and body return the original response (kept 24 h).',
  },
};
const paymentParams = z.object({ id: z.string().regex(/^[a-z]{3}_[0-9A-HJKMNP-TV-Z]{26}$/, 'not a payment id') });

export function workflowsOf(deps: AppDeps): PaymentWorkflows {
  const client = deps.temporal?.();
  if (!client) throw new TransientError('payments are unavailable: the workflow service is not connected');
  return new PaymentWorkflows(client, deps.config.TEMPORAL_TASK_QUEUE);
}

/** The owner or an admin sees a payment; anyone else gets the same 404 as for no payment at all. */
export async function visiblePayment(deps: AppDeps, id: string, viewer: AuthUser) {
  const rec = await getPayment(deps.knex, id).catch(() => undefined);
  if (!rec || (rec.userId !== viewer.id && viewer.role !== 'admin')) throw new NotFoundError('payment not found');
  return rec;
}

export function paymentRoutes(deps: AppDeps) {
  const { knex, config } = deps;
  const polling = scalePlan(PHONEPE_POLLING, config.POLLING_TIME_SCALE);
  const transferFee = parseRupees(config.TRANSFER_FEE);

  return [
    defineRoute({
      method: 'post',
      path: '/v1/payments/topups',
      summary: 'Top up the wallet through PhonePe: answers with the checkout page to send the customer to',
      tag: 'payments',
      access: 'user',
      rateLimit: 'payment',
      headers: idempotencyHeader,
      body: z.strictObject({ amount: amountBetween(MIN_AMOUNT, MAX_TOPUP) }),
      responses: {
        201: z.object({
          paymentId: z.string(),
          status: z.enum(PAYMENT_STATUSES),
          redirectUrl: z.string().nullable(),
          expiresAt: z.string().nullable(),
        }),
      },
      handler: async ({ body, user, ctx }) => {
        const key = idempotencyKeyOf(ctx);
        const workflows = workflowsOf(deps);
        const response = await idempotent(
          knex,
          {
            userId: user.id,
            key,
            operation: 'POST /v1/payments/topups',
            canonicalBody: { amount: body.amount },
            idPrefix: 'pay',
          },
          async (paymentId) => {
            const open = await openTopUpOrders(knex, {
              userId: user.id,
              windowSeconds: config.TOPUP_EXPIRE_AFTER_SECONDS,
              except: paymentId,
            });
            if (open >= config.TOPUP_MAX_OPEN_ORDERS) {
              throw new BusinessRuleError(
                'too_many_open_topups',
                `${open} top-ups are already waiting for payment on PhonePe's page; pay or let one expire first`,
                { open, max: config.TOPUP_MAX_OPEN_ORDERS },
              );
            }
            const started = await workflows.startTopUp(
              {
                paymentId,
                userId: user.id,
                userCode: user.userCode,
                amount: body.amount,
                redirectUrl: `${config.PUBLIC_BASE_URL}/v1/payments/${paymentId}/return`,
                expireAfterSeconds: config.TOPUP_EXPIRE_AFTER_SECONDS,
                polling,
                providerCallBudgetMs: config.PROVIDER_CALL_BUDGET_SECONDS * 1000,
                ...(config.POLLING_TIME_SCALE < 1
                  ? {
                      awaitingWindowMs: Math.round(
                        config.TOPUP_EXPIRE_AFTER_SECONDS * 1000 * config.POLLING_TIME_SCALE,
                      ),
                    }
                  : {}),
              },
              user.userCode,
            );
            if (started !== 'already-closed') return { status: 201, body: started };
            const rec = await getPayment(knex, paymentId);
            return { status: 201, body: { paymentId, status: rec.status, redirectUrl: null, expiresAt: null } };
          },
        );
        return { status: response.status, body: response.body };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/payments/transfers',
      summary: 'Send money to another wallet by its user code (completes synchronously)',
      tag: 'payments',
      access: 'user',
      rateLimit: 'payment',
      headers: idempotencyHeader,
      body: z.strictObject({
        amount: amountBetween(MIN_AMOUNT),
        toUserCode: z.string().min(1).max(50),
        remarks: z.string().trim().max(255).optional(),
      }),
      responses: { 201: z.object({ paymentId: z.string(), status: z.enum(PAYMENT_STATUSES) }) },
      handler: async ({ body, user, ctx }) => {
        const recipient = await findUserByCode(knex, body.toUserCode);
        if (!recipient)
          throw new BusinessRuleError('recipient_not_found', 'no wallet has this user code', {
            toUserCode: body.toUserCode,
          });
        if (recipient.id === user.id)
          throw new BusinessRuleError('self_transfer', 'a wallet cannot send money to itself');
        const workflows = workflowsOf(deps);
        const response = await idempotent(
          knex,
          {
            userId: user.id,
            key: idempotencyKeyOf(ctx),
            operation: 'POST /v1/payments/transfers',
            canonicalBody: { amount: body.amount, to: recipient.userCode, remarks: body.remarks ?? null },
            idPrefix: 'pay',
          },
          async (paymentId) => {
            const view = await workflows.runTransfer({
              paymentId,
              senderId: user.id,
              senderCode: user.userCode,
              recipientId: recipient.id,
              recipientCode: recipient.userCode,
              amount: body.amount,
              ...(transferFee > 0 ? { fee: transferFee } : {}),
              ...(body.remarks ? { remarks: body.remarks } : {}),
            });
            if (view.status === 'COMPLETED') return { status: 201, body: { paymentId, status: view.status } };
            // Refused by a business rule under the ledger's locks: a 422 with the rule's code, kept for replays.
            return {
              status: 422,
              body: {
                error: {
                  code: view.failureCode ?? 'rejected',
                  message: view.failureReason ?? 'transfer refused',
                  details: { paymentId },
                },
              },
            };
          },
        );
        return { status: response.status, body: response.body };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/payments/:id',
      summary: 'A payment: status, provider references and timeline (owner or admin)',
      tag: 'payments',
      access: 'user',
      params: paymentParams,
      responses: { 200: paymentView },
      handler: async ({ params, user }) => {
        const rec = await visiblePayment(deps, params.id, user);
        return { body: toPaymentView(rec, await paymentTimeline(knex, rec.id)) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/payments',
      summary: 'My payments, newest first',
      tag: 'payments',
      access: 'user',
      query: z.strictObject({
        kind: z.enum(PAYMENT_KINDS).optional(),
        status: z.enum(PAYMENT_STATUSES).optional(),
        from: isoDate.optional(),
        to: isoDate.optional(),
        limit: z.coerce.number().int().min(1).max(100).default(20),
        cursor: z.string().max(200).optional(),
      }),
      responses: {
        200: z.object({ items: z.array(paymentView.omit({ timeline: true })), nextCursor: z.string().nullable() }),
      },
      handler: async ({ query, user }) => {
        const page = await listPayments(knex, { ...query, userId: user.id });
        return {
          body: {
            items: page.items.map((p) => {
              const { timeline: _t, ...v } = toPaymentView(p, []);
              return v;
            }),
            nextCursor: page.nextCursor,
          },
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/payments/:id/return',
      summary: "Where PhonePe sends the customer's browser after the checkout page",
      tag: 'payments',
      access: 'public',
      rateLimit: 'read',
      params: paymentParams,
      produces: 'text/html',
      responses: { 200: z.string() },
      handler: async ({ params, ctx }) => {
        const rec = await getPayment(knex, params.id).catch(() => undefined);
        if (!rec) throw new NotFoundError('payment not found');
        const waiting = rec.status === 'CREATED' || rec.status === 'AWAITING_PAYMENT';
        ctx.type = 'html';
        const title =
          rec.status === 'COMPLETED'
            ? 'Top-up received'
            : rec.status === 'FAILED'
              ? 'Top-up failed'
              : 'Confirming your top-up…';
        return {
          body: `<!doctype html><html lang="en"><head><meta charset="utf-8">${waiting ? '<meta http-equiv="refresh" content="3">' : ''}<title>${title}</title></head>
<body style="font-family:sans-serif;max-width:30rem;margin:3rem auto;text-align:center"><h1>${title}</h1>
<p>Payment <code>${rec.id}</code>: ${rec.status.replace('_', ' ').toLowerCase()}.</p>
${waiting ? '<p>This page refreshes by itself while PhonePe confirms.</p>' : '<p>You can close this page.</p>'}</body></html>`,
        };
      },
    }),
  ];
}
