/**
 * The control API under {prefix}/__sim, for tests, demos and developers; JSON in and out.
 *
 *   POST /__sim/orders/:merchantOrderId/complete {outcome: 'success'|'failure', paidAmount?, errorCode?}
 *   POST /__sim/orders/:merchantOrderId/expire
 *   GET  /__sim/orders, /__sim/orders/:merchantOrderId        internal state
 *   POST /__sim/refunds/:merchantRefundId/complete {outcome: 'confirmed'|'success'|'failure'}
 *   GET  /__sim/refunds/:merchantRefundId
 *   GET  /__sim/faults   POST /__sim/faults {…}  (merge; null clears a field; expireTokensNow: true)
 *   POST /__sim/reset                                         forget everything
 *   GET  /__sim/requests                                      every protocol/checkout request received
 *   GET  /__sim/webhooks                                      every webhook attempt and its answer
 *
 * Never mounted in the engine.
 */
import type Router from '@koa/router';
import { z } from 'zod';
import type { Engine } from './engine';
import { parseBody, refuse } from './protocol';
import { faultsPatch, SimState } from './state';

const completeOrderBody = z.strictObject({
  outcome: z.enum(['success', 'failure']),
  paidAmount: z.number().int().positive().optional(),
  errorCode: z.string().min(1).max(64).optional(),
});
const completeRefundBody = z.strictObject({ outcome: z.enum(['confirmed', 'success', 'failure']) });

export function controlRoutes(router: Router, d: { engine: Engine; state: SimState; reset: () => void }): void {
  const { engine, state } = d;
  const noOrder = { status: 404, code: 'ORDER_NOT_FOUND', message: 'no such order' };
  const noRefund = { status: 404, code: 'REFUND_NOT_FOUND', message: 'no such refund' };

  router.post('/__sim/orders/:merchantOrderId/complete', (ctx) => {
    const b = parseBody(ctx, completeOrderBody);
    if (!b) return;
    const o = engine.order(ctx.params.merchantOrderId!);
    if (!o) return refuse(ctx, noOrder);
    if (!engine.completeOrder(o, b.outcome, b))
      return refuse(ctx, { status: 409, code: 'ORDER_NOT_PENDING', message: `the order is already ${o.state}` });
    ctx.body = o;
  });

  router.post('/__sim/orders/:merchantOrderId/expire', (ctx) => {
    const o = engine.order(ctx.params.merchantOrderId!);
    if (!o) return refuse(ctx, noOrder);
    engine.expireOrder(o);
    ctx.body = o;
  });

  router.get('/__sim/orders', (ctx) => {
    ctx.body = [...state.orders.values()];
  });

  router.get('/__sim/orders/:merchantOrderId', (ctx) => {
    const o = engine.order(ctx.params.merchantOrderId!);
    if (!o) return refuse(ctx, noOrder);
    ctx.body = o;
  });

  router.post('/__sim/refunds/:merchantRefundId/complete', (ctx) => {
    const b = parseBody(ctx, completeRefundBody);
    if (!b) return;
    const r = state.refunds.get(ctx.params.merchantRefundId!);
    if (!r) return refuse(ctx, noRefund);
    if (!engine.settleRefund(r, b.outcome))
      return refuse(ctx, { status: 409, code: 'REFUND_FINAL', message: `the refund is already ${r.state}` });
    ctx.body = r;
  });

  router.get('/__sim/refunds/:merchantRefundId', (ctx) => {
    const r = state.refunds.get(ctx.params.merchantRefundId!);
    if (!r) return refuse(ctx, noRefund);
    ctx.body = r;
  });

  router.get('/__sim/faults', (ctx) => {
    ctx.body = state.faults;
  });

  router.post('/__sim/faults', (ctx) => {
    const patch = parseBody(ctx, faultsPatch);
    if (!patch) return;
    const { expireTokensNow, ...fields } = patch;
    const faults = state.faults as Record<string, unknown>;
    for (const [key, value] of Object.entries(fields)) {
      if (value === null) delete faults[key];
      else if (value !== undefined) faults[key] = value;
    }
    if (expireTokensNow) engine.expireTokens();
    ctx.body = state.faults;
  });

  router.post('/__sim/reset', (ctx) => {
    d.reset();
    ctx.body = { reset: true };
  });

  router.get('/__sim/requests', (ctx) => {
    ctx.body = state.requests;
  });

  router.get('/__sim/webhooks', (ctx) => {
    ctx.body = state.webhooksSent;
  });
}
