/**
 * Provider webhooks: authenticate, store (deduplicated) before anything else, then signal the
 * payment's workflow. Webhooks never move money: the workflow confirms with the provider first.
 * An unknown payment is answered 404 so the provider retries (the stored event is kept).
 */
import { z } from 'zod';
import { getPayment } from '../../db/payments';
import { markWebhookSignalled, markWebhookUndelivered, storeWebhook, WebhookProvider } from '../../db/webhooks';
import { lateEventConcern, paymentIdOfMerchantOrder } from '../../domain/payments';
import { NotFoundError, UnauthenticatedError } from '../../domain/errors';
import { phonePeEventOutcome, phonePeWebhook, verifyWebhookAuthorization } from '../../providers/phonepe/webhook';
import type { VerifiedWebhook } from '../../providers/contracts';
import { parseBbpsWebhook } from '../../providers/bbps/webhook';
import { parsePayoutWebhook } from '../../providers/payout/webhook';
import { parseRechargeWebhook } from '../../providers/recharge/webhook';
import type { AppDeps } from '../deps';
import { startReversalRunIfWatched } from '../reversalRuns';
import { defineRoute } from '../http/route';
import { workflowsOf } from './payments';

type SignedParser = (
  rawBody: string,
  signature: string | undefined,
  secret: string,
  toleranceSeconds: number,
) => VerifiedWebhook;

const signedAck = z.object({ received: z.literal(true), duplicate: z.boolean() });

/**
 * Relays a stored webhook to its payment's workflow. Unknown payment → 404 so the provider
 * retries (the event stays stored). A reversal of a settled payment within its watch window
 * starts a reversal run (workflows/reversal.ts), which asks the provider before booking it. A
 * closed workflow cannot act on anything else: a late copy of how the payment ended is recorded
 * as such; an event that contradicts it (a reversal after the watch window, a success after a
 * cancel) stays undelivered, listed for finance until settled.
 */
async function relay(
  deps: AppDeps,
  stored: { id: number; dedupeKey: string; duplicate: boolean; signalled: boolean },
  hook: Omit<VerifiedWebhook, 'reference'>,
  paymentId: string,
) {
  if (stored.signalled) return { received: true as const, duplicate: true };
  const payment = await getPayment(deps.knex, paymentId).catch(() => undefined);
  if (!payment) throw new NotFoundError('no payment with this reference yet', { reference: paymentId });
  const reversalRun = hook.outcome === 'reversed' ? await startReversalRunIfWatched(deps, payment) : undefined;
  if (reversalRun) {
    await markWebhookSignalled(deps.knex, stored.id, reversalRun);
    return { received: true as const, duplicate: stored.duplicate };
  }
  const delivered = await workflowsOf(deps).signalProviderEvent(payment.workflowId, {
    eventKey: stored.dedupeKey,
    event: hook.event,
    state: hook.state,
    providerRef: paymentId,
  });
  const concern = delivered ? null : lateEventConcern(hook.outcome, payment.status);
  if (concern)
    await markWebhookUndelivered(deps.knex, stored.id, payment.workflowId, `${hook.event} ${hook.state}: ${concern}`);
  else
    await markWebhookSignalled(
      deps.knex,
      stored.id,
      delivered ? payment.workflowId : `${payment.workflowId} (closed; ${payment.status})`,
    );
  return { received: true as const, duplicate: stored.duplicate };
}

/**
 * BBPS, recharge and payout callbacks: HMAC-signed (`X-Signature: t=…,v1=…` over "t.body",
 * stale ones refused), verified on the raw body before it is parsed, stored, then relayed.
 */
function signedWebhookRoute(
  deps: AppDeps,
  provider: Exclude<WebhookProvider, 'phonepe'>,
  secret: string,
  parse: SignedParser,
) {
  return defineRoute({
    method: 'post',
    path: `/v1/webhooks/${provider}`,
    summary: `${provider} callback (X-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">)`,
    tag: 'webhooks',
    access: 'webhook',
    responses: { 200: signedAck },
    handler: async ({ ctx }) => {
      const rawBody = (ctx.request as unknown as { rawBody?: string }).rawBody ?? '';
      const hook = parse(rawBody, ctx.get('x-signature') || undefined, secret, deps.config.WEBHOOK_TOLERANCE_SECONDS);
      const stored = await storeWebhook(deps.knex, {
        provider,
        rawBody,
        eventType: hook.event,
        providerRef: hook.reference,
        payload: ctx.request.body,
      });
      // A bill fetch's result is read from BBPS when the client asks for the bill; nothing to wake.
      if (hook.event === 'bill.fetch') {
        await markWebhookSignalled(deps.knex, stored.id, 'bill-fetch');
        return { body: { received: true as const, duplicate: stored.duplicate } };
      }
      return { body: await relay(deps, stored, hook, hook.reference) };
    },
  });
}

export function webhookRoutes(deps: AppDeps) {
  const { knex, config } = deps;
  return [
    signedWebhookRoute(deps, 'bbps', config.BBPS_WEBHOOK_SECRET, parseBbpsWebhook),
    signedWebhookRoute(deps, 'recharge', config.RECHARGE_WEBHOOK_SECRET, parseRechargeWebhook),
    signedWebhookRoute(deps, 'payout', config.PAYOUT_WEBHOOK_SECRET, parsePayoutWebhook),
    defineRoute({
      method: 'post',
      path: '/v1/webhooks/phonepe',
      summary: 'PhonePe v2 callback (Authorization: sha256 hex of username:password)',
      tag: 'webhooks',
      access: 'webhook',
      before: (ctx) => {
        if (
          !verifyWebhookAuthorization(
            ctx.get('authorization'),
            config.PHONEPE_WEBHOOK_USERNAME,
            config.PHONEPE_WEBHOOK_PASSWORD,
          )
        ) {
          throw new UnauthenticatedError('webhook authorization failed');
        }
      },
      body: phonePeWebhook,
      responses: { 200: z.object({ received: z.literal(true), duplicate: z.boolean() }) },
      handler: async ({ body, ctx }) => {
        // An order's id is its top-up's payment id, or `<paymentId>-<n>` for a later order of it.
        const paymentId = body.event.startsWith('checkout.')
          ? paymentIdOfMerchantOrder(body.payload.merchantOrderId!)
          : body.payload.merchantRefundId!;
        const rawBody = (ctx.request as unknown as { rawBody?: string }).rawBody ?? JSON.stringify(ctx.request.body);
        const stored = await storeWebhook(knex, {
          provider: 'phonepe',
          rawBody,
          eventType: body.event,
          providerRef: paymentId,
          payload: body,
        });
        return {
          body: await relay(
            deps,
            stored,
            { event: body.event, state: body.payload.state, outcome: phonePeEventOutcome(body.event) },
            paymentId,
          ),
        };
      },
    }),
  ];
}
