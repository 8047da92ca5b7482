/**
 * Provider webhooks: authenticate, store (deduplicated) before anything else, then signal the
 * payment's workflow. Webhooks never move money: the workflow confirms with the provider first.
 * An unknown payment is answered 404 so the provider retries (the stored event is kept).
 */
import { z } from 'zod';
import { getPayment } from '../../db/payments';
import { markWebhookSignalled, storeWebhook } from '../../db/webhooks';
import { NotFoundError, UnauthenticatedError } from '../../domain/errors';
import { phonePeWebhook, verifyWebhookAuthorization } from '../../providers/phonepe/webhook';
import type { AppDeps } from '../deps';
import { defineRoute } from '../http/route';
import { workflowsOf } from './payments';

export function webhookRoutes(deps: AppDeps) {
  const { knex, config } = deps;
  return [
    defineRoute({
      method: 'post',
      path: '/v1/webhooks/phonepe',
      summary: 'PhonePe v2 callback (Authorization: sha256 hex of username:password)',
      tag: 'webhooks',
      access: 'webhook',
      before: (ctx) => {
        if (!verifyWebhookAuthorization(ctx.get('authorization'), config.PHONEPE_WEBHOOK_USERNAME, config.PHONEPE_WEBHOOK_PASSWORD)) {
          throw new UnauthenticatedError('webhook authorization failed');
        }
      },
      body: phonePeWebhook,
      responses: { 200: z.object({ received: z.literal(true), duplicate: z.boolean() }) },
      handler: async ({ body, ctx }) => {
        const paymentId = body.event.startsWith('checkout.') ? body.payload.merchantOrderId! : body.payload.merchantRefundId!;
        const rawBody = (ctx.request as unknown as { rawBody?: string }).rawBody ?? JSON.stringify(ctx.request.body);
        const stored = await storeWebhook(knex, { provider: 'phonepe', rawBody, eventType: body.event, providerRef: paymentId, payload: body });
        if (stored.signalled) return { body: { received: true as const, duplicate: true } };
        const payment = await getPayment(knex, paymentId).catch(() => undefined);
        if (!payment) throw new NotFoundError('no payment with this merchant order id yet', { merchantOrderId: paymentId });
        const delivered = await workflowsOf(deps).signalProviderEvent(payment.workflowId, {
          eventKey: stored.dedupeKey,
          event: body.event,
          state: body.payload.state,
          providerRef: paymentId,
        });
        // A closed workflow has settled the payment already (on PhonePe's status API); the
        // event stays stored for reconciliation either way.
        await markWebhookSignalled(knex, stored.id, delivered ? payment.workflowId : `${payment.workflowId} (closed)`);
        return { body: { received: true as const, duplicate: stored.duplicate } };
      },
    }),
  ];
}
