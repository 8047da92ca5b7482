/**
 * A local PhonePe Standard Checkout v2 that speaks the real protocol (token, pay, order status,
 * refund, refund status, the checkout page, webhooks, the browser redirect), so the engine's
 * production client runs against it unchanged. `/__sim` scripts outcomes and faults for tests
 * and demos; it is never mounted in the engine.
 */
import { randomBytes } from 'node:crypto';
import Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { formatRupees, paise } from '../../domain/money';
import { expectedAuthorization } from './webhook';

export interface PhonePeSimulatorOptions {
  clientId: string;
  clientVersion: string;
  clientSecret: string;
  webhookUsername: string;
  webhookPassword: string;
  /** Where webhooks go: the engine's POST /v1/webhooks/phonepe. Unset: no webhooks. */
  webhookUrl?: string;
  /** The simulator's own base URL as browsers see it (for redirectUrl). */
  publicBaseUrl: string;
}

/** Where the simulator lives in the simulators' app; PHONEPE_BASE_URL points here. */
export const PREFIX = '/phonepe';

type OrderState = 'PENDING' | 'COMPLETED' | 'FAILED';
type RefundState = 'PENDING' | 'CONFIRMED' | 'COMPLETED' | 'FAILED';

interface SimOrder {
  orderId: string;
  merchantOrderId: string;
  amount: number;
  paidAmount?: number;
  expireAt: number;
  merchantRedirectUrl: string;
  state: OrderState;
  errorCode?: string;
  transactionId?: string;
  completedAt?: number;
  /** Status calls that still answer PENDING although the order is final (fault). */
  pendingPollsLeft: number;
}

interface SimRefund {
  refundId: string;
  merchantRefundId: string;
  originalMerchantOrderId: string;
  amount: number;
  state: RefundState;
  /** Scripted final outcome; undefined: waits for /__sim/refunds/:id/complete. */
  outcome?: 'success' | 'failure';
  statusCalls: number;
}

const faultsSchema = z.strictObject({
  webhookDelayMs: z.number().int().min(0).max(60_000).optional(),
  webhookDuplicates: z.number().int().min(0).max(10).optional(),
  dropWebhooks: z.boolean().optional(),
  /** After a completed order, also send a (stale) failed event. */
  outOfOrderWebhooks: z.boolean().optional(),
  /** Status answers PENDING this many more times after an order is final. */
  stayPendingPolls: z.number().int().min(0).max(1000).optional(),
  /** Endpoint name → number of calls answered with HTTP 500 (the effect is NOT applied). */
  fail5xx: z.partialRecord(z.enum(['token', 'pay', 'status', 'refund', 'refundStatus']), z.number().int().min(0)).optional(),
  /** Endpoint name → number of calls that take effect but answer only after hangMs (outcome unknown). */
  hang: z.partialRecord(z.enum(['pay', 'refund', 'status']), z.number().int().min(0)).optional(),
  hangMs: z.number().int().min(0).max(120_000).optional(),
  tokenTtlSeconds: z.number().int().min(1).max(86_400).optional(),
  /** Refunds complete by themselves after a few status calls (default), or wait for /__sim. */
  refundMode: z.enum(['auto-success', 'auto-failure', 'manual']).optional(),
});
export type PhonePeFaults = z.infer<typeof faultsSchema>;

const payBody = z.looseObject({
  merchantOrderId: z.string().regex(/^[A-Za-z0-9_-]{1,63}$/),
  amount: z.number().int().min(100),
  expireAfter: z.number().int().min(300).max(3600).optional(),
  metaInfo: z.record(z.string(), z.string()).optional(),
  paymentFlow: z.looseObject({
    type: z.literal('PG_CHECKOUT'),
    message: z.string().optional(),
    merchantUrls: z.looseObject({ redirectUrl: z.url() }),
  }),
});
const refundBody = z.looseObject({
  merchantRefundId: z.string().regex(/^[A-Za-z0-9_-]{1,63}$/),
  originalMerchantOrderId: z.string().min(1),
  amount: z.number().int().min(1),
});

export interface RequestLogEntry {
  at: string;
  method: string;
  path: string;
  body: unknown;
}

export interface PhonePeSimulator {
  /** Routes under /phonepe, mounted by providers/simulatorApp.ts. */
  router: Router;
  orders: Map<string, SimOrder>;
  refunds: Map<string, SimRefund>;
  requests: RequestLogEntry[];
  webhooksSent: Array<{ event: string; merchantOrderId?: string; status: number | 'error' }>;
  faults: PhonePeFaults;
  completeOrder(merchantOrderId: string, outcome: 'success' | 'failure', paidAmount?: number): Promise<void>;
  reset(): void;
}

export function createPhonePeSimulator(opts: PhonePeSimulatorOptions): PhonePeSimulator {
  const orders = new Map<string, SimOrder>();
  const byOrderId = new Map<string, string>();
  const refunds = new Map<string, SimRefund>();
  const tokens = new Map<string, number>();
  const requests: RequestLogEntry[] = [];
  const webhooksSent: PhonePeSimulator['webhooksSent'] = [];
  let faults: PhonePeFaults = {};

  const err = (ctx: Context, status: number, code: string, message: string) => {
    ctx.status = status;
    ctx.body = { code, message };
  };
  const consume = (kind: 'fail5xx' | 'hang', endpoint: string): boolean => {
    const table = faults[kind] as Record<string, number> | undefined;
    if (!table?.[endpoint]) return false;
    table[endpoint]--;
    return true;
  };
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  function authorised(ctx: Context): boolean {
    const m = /^O-Bearer (\S+)$/.exec(ctx.get('authorization'));
    const exp = m ? tokens.get(m[1]!) : undefined;
    if (!exp || exp <= Date.now() / 1000) {
      err(ctx, 401, 'UNAUTHORIZED', 'invalid or expired access token');
      return false;
    }
    return true;
  }

  function statusView(o: SimOrder, honest = true) {
    const state: OrderState = honest ? o.state : 'PENDING';
    return {
      orderId: o.orderId,
      state,
      amount: o.paidAmount ?? o.amount,
      expireAt: o.expireAt,
      ...(state === 'FAILED' ? { errorCode: o.errorCode ?? 'PAYMENT_ERROR', detailedErrorCode: o.errorCode ?? 'PAYMENT_ERROR' } : {}),
      paymentDetails:
        o.state === 'PENDING' || !honest
          ? []
          : [
              {
                paymentMode: 'UPI_INTENT',
                transactionId: o.transactionId,
                timestamp: o.completedAt,
                amount: o.paidAmount ?? o.amount,
                state: o.state,
                ...(o.state === 'FAILED' ? { errorCode: o.errorCode } : { rail: { type: 'UPI', utr: o.transactionId?.slice(-12) } }),
              },
            ],
    };
  }

  async function deliver(event: string, payload: Record<string, unknown>): Promise<void> {
    if (!opts.webhookUrl || faults.dropWebhooks) return;
    if (faults.webhookDelayMs) await sleep(faults.webhookDelayMs);
    const body = JSON.stringify({ event, payload });
    const copies = 1 + (faults.webhookDuplicates ?? 0);
    for (let i = 0; i < copies; i++) {
      // PhonePe retries a callback that was not acknowledged with 2xx.
      for (let attempt = 0; attempt < 4; attempt++) {
        let status: number | 'error';
        try {
          const res = await fetch(opts.webhookUrl, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: expectedAuthorization(opts.webhookUsername, opts.webhookPassword) },
            body,
            signal: AbortSignal.timeout(5000),
          });
          status = res.status;
        } catch {
          status = 'error';
        }
        webhooksSent.push({ event, merchantOrderId: payload.merchantOrderId as string | undefined, status });
        if (typeof status === 'number' && status < 300) break;
        await sleep(200 * 2 ** attempt);
      }
    }
  }

  async function completeOrder(merchantOrderId: string, outcome: 'success' | 'failure', paidAmount?: number): Promise<void> {
    const o = orders.get(merchantOrderId);
    if (!o) throw new Error(`no order ${merchantOrderId}`);
    if (o.state !== 'PENDING') return;
    o.state = outcome === 'success' ? 'COMPLETED' : 'FAILED';
    o.transactionId = `T${Date.now()}${randomBytes(3).toString('hex').toUpperCase()}`;
    o.completedAt = Date.now();
    if (outcome === 'failure') o.errorCode = 'PAYMENT_DECLINED';
    if (paidAmount !== undefined) o.paidAmount = paidAmount;
    o.pendingPollsLeft = faults.stayPendingPolls ?? 0;
    const payload = { merchantOrderId, ...statusView(o) };
    void (async () => {
      await deliver(outcome === 'success' ? 'checkout.order.completed' : 'checkout.order.failed', payload);
      if (outcome === 'success' && faults.outOfOrderWebhooks) {
        await deliver('checkout.order.failed', { ...payload, state: 'FAILED', errorCode: 'STALE_EVENT' });
      }
    })();
  }

  function advanceRefund(r: SimRefund) {
    const mode = faults.refundMode ?? 'auto-success';
    r.statusCalls++;
    const outcome = r.outcome ?? (mode === 'auto-success' ? 'success' : mode === 'auto-failure' ? 'failure' : undefined);
    if (!outcome || r.state === 'COMPLETED' || r.state === 'FAILED') return;
    if (outcome === 'failure') finishRefund(r, 'FAILED');
    else if (r.state === 'PENDING') r.state = 'CONFIRMED';
    else finishRefund(r, 'COMPLETED');
  }

  function finishRefund(r: SimRefund, state: 'COMPLETED' | 'FAILED') {
    r.state = state;
    void deliver(state === 'COMPLETED' ? 'pg.refund.completed' : 'pg.refund.failed', {
      merchantRefundId: r.merchantRefundId,
      originalMerchantOrderId: r.originalMerchantOrderId,
      refundId: r.refundId,
      amount: r.amount,
      state,
    });
  }

  const router = new Router({ prefix: PREFIX });
  router.use(async (ctx, next) => {
    if (!ctx.path.includes('/__sim')) requests.push({ at: new Date().toISOString(), method: ctx.method, path: ctx.path, body: ctx.request.body });
    await next();
  });
  router.post('/v1/oauth/token', (ctx) => {
    if (consume('fail5xx', 'token')) return err(ctx, 500, 'INTERNAL_SERVER_ERROR', 'simulated');
    const f = ctx.request.body as Record<string, string>;
    if (f.grant_type !== 'client_credentials' || f.client_id !== opts.clientId || f.client_secret !== opts.clientSecret || f.client_version !== opts.clientVersion) {
      return err(ctx, 401, 'INVALID_CLIENT', 'client authentication failed');
    }
    const token = randomBytes(24).toString('base64url');
    const issuedAt = Math.floor(Date.now() / 1000);
    const expiresAt = issuedAt + (faults.tokenTtlSeconds ?? 3600);
    tokens.set(token, expiresAt);
    ctx.body = { access_token: token, encrypted_access_token: token, expires_in: null, issued_at: issuedAt, expires_at: expiresAt, session_expires_at: expiresAt, token_type: 'O-Bearer' };
  });

  router.post('/checkout/v2/pay', async (ctx) => {
    if (!authorised(ctx)) return;
    if (consume('fail5xx', 'pay')) return err(ctx, 500, 'INTERNAL_SERVER_ERROR', 'simulated');
    const parsed = payBody.safeParse(ctx.request.body);
    if (!parsed.success) return err(ctx, 400, 'BAD_REQUEST', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    const b = parsed.data;
    if (orders.has(b.merchantOrderId)) return err(ctx, 409, 'DUPLICATE_ORDER', 'merchantOrderId already used');
    const orderId = `OMO${Date.now()}${randomBytes(4).toString('hex').toUpperCase()}`;
    const order: SimOrder = {
      orderId,
      merchantOrderId: b.merchantOrderId,
      amount: b.amount,
      expireAt: Date.now() + (b.expireAfter ?? 1200) * 1000,
      merchantRedirectUrl: b.paymentFlow.merchantUrls.redirectUrl,
      state: 'PENDING',
      pendingPollsLeft: 0,
    };
    orders.set(b.merchantOrderId, order);
    byOrderId.set(orderId, b.merchantOrderId);
    if (consume('hang', 'pay')) await sleep(faults.hangMs ?? 30_000);
    ctx.body = { orderId, state: 'PENDING', expireAt: order.expireAt, redirectUrl: `${opts.publicBaseUrl}${PREFIX}/checkout/${orderId}` };
  });

  router.get('/checkout/v2/order/:merchantOrderId/status', async (ctx) => {
    if (!authorised(ctx)) return;
    if (consume('fail5xx', 'status')) return err(ctx, 500, 'INTERNAL_SERVER_ERROR', 'simulated');
    const o = orders.get(ctx.params.merchantOrderId!);
    if (!o) return err(ctx, 404, 'ORDER_NOT_FOUND', 'no such order');
    if (o.state === 'PENDING' && Date.now() > o.expireAt) {
      o.state = 'FAILED';
      o.errorCode = 'TXN_AUTO_FAILED';
    }
    const honest = o.pendingPollsLeft <= 0;
    if (!honest) o.pendingPollsLeft--;
    if (consume('hang', 'status')) await sleep(faults.hangMs ?? 30_000);
    ctx.body = statusView(o, honest);
  });

  router.post('/payments/v2/refund', async (ctx) => {
    if (!authorised(ctx)) return;
    if (consume('fail5xx', 'refund')) return err(ctx, 500, 'INTERNAL_SERVER_ERROR', 'simulated');
    const parsed = refundBody.safeParse(ctx.request.body);
    if (!parsed.success) return err(ctx, 400, 'BAD_REQUEST', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    const b = parsed.data;
    const existing = refunds.get(b.merchantRefundId);
    if (existing) return err(ctx, 409, 'DUPLICATE_REFUND', 'merchantRefundId already used');
    const o = orders.get(b.originalMerchantOrderId);
    if (!o || o.state !== 'COMPLETED') return err(ctx, 400, 'INVALID_REFUND', 'original order is not a completed payment');
    const refunded = [...refunds.values()].filter((r) => r.originalMerchantOrderId === o.merchantOrderId && r.state !== 'FAILED').reduce((s, r) => s + r.amount, 0);
    if (refunded + b.amount > (o.paidAmount ?? o.amount)) return err(ctx, 400, 'REFUND_AMOUNT_EXCEEDED', 'refunds exceed the paid amount');
    const r: SimRefund = { refundId: `OMR${Date.now()}${randomBytes(3).toString('hex').toUpperCase()}`, merchantRefundId: b.merchantRefundId, originalMerchantOrderId: o.merchantOrderId, amount: b.amount, state: 'PENDING', statusCalls: 0 };
    refunds.set(b.merchantRefundId, r);
    if (consume('hang', 'refund')) await sleep(faults.hangMs ?? 30_000);
    ctx.body = { refundId: r.refundId, amount: r.amount, state: r.state };
  });

  router.get('/payments/v2/refund/:merchantRefundId/status', (ctx) => {
    if (!authorised(ctx)) return;
    if (consume('fail5xx', 'refundStatus')) return err(ctx, 500, 'INTERNAL_SERVER_ERROR', 'simulated');
    const r = refunds.get(ctx.params.merchantRefundId!);
    if (!r) return err(ctx, 404, 'REFUND_NOT_FOUND', 'no such refund');
    advanceRefund(r);
    ctx.body = { originalMerchantOrderId: r.originalMerchantOrderId, refundId: r.refundId, amount: r.amount, state: r.state, ...(r.state === 'FAILED' ? { errorCode: 'REFUND_FAILED' } : {}) };
  });

  // The checkout page a customer sees. Plain HTML forms: no scripts, no external assets.
  router.get('/checkout/:orderId', (ctx) => {
    const o = orders.get(byOrderId.get(ctx.params.orderId!) ?? '');
    if (!o) return err(ctx, 404, 'ORDER_NOT_FOUND', 'no such order');
    const rupees = formatRupees(paise(o.amount));
    ctx.type = 'html';
    ctx.body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>PhonePe (simulator) – pay ₹${rupees}</title>
<style>body{font-family:sans-serif;max-width:28rem;margin:3rem auto;text-align:center}button{font-size:1.1rem;padding:.6rem 1.6rem;margin:.4rem}
.pay{background:#5f259f;color:#fff;border:0}.amount{font-size:2rem;margin:1rem}</style></head>
<body><h1>PhonePe checkout</h1><p>Local simulator: no real money moves.</p>
<p>Order <code>${o.merchantOrderId}</code></p><div class="amount">₹${rupees}</div>
${o.state === 'PENDING' ? `<form method="post" action="${PREFIX}/checkout/${o.orderId}/pay"><button class="pay" type="submit">Pay ₹${rupees}</button></form>
<form method="post" action="${PREFIX}/checkout/${o.orderId}/fail"><button type="submit">Fail the payment</button></form>` : `<p>This order is ${o.state}.</p>`}
</body></html>`;
  });
  for (const [action, outcome] of [['pay', 'success'], ['fail', 'failure']] as const) {
    router.post(`/checkout/:orderId/${action}`, async (ctx) => {
      const merchantOrderId = byOrderId.get(ctx.params.orderId!);
      const o = merchantOrderId ? orders.get(merchantOrderId) : undefined;
      if (!o) return err(ctx, 404, 'ORDER_NOT_FOUND', 'no such order');
      await completeOrder(o.merchantOrderId, outcome);
      ctx.status = 303;
      ctx.redirect(o.merchantRedirectUrl);
    });
  }

  // Control API for tests and demos.
  router.post('/__sim/orders/:merchantOrderId/complete', async (ctx) => {
    const b = z.object({ outcome: z.enum(['success', 'failure']), paidAmount: z.number().int().positive().optional() }).parse(ctx.request.body);
    if (!orders.has(ctx.params.merchantOrderId!)) return err(ctx, 404, 'ORDER_NOT_FOUND', 'no such order');
    await completeOrder(ctx.params.merchantOrderId!, b.outcome, b.paidAmount);
    ctx.body = statusView(orders.get(ctx.params.merchantOrderId!)!);
  });
  router.post('/__sim/refunds/:merchantRefundId/complete', (ctx) => {
    const b = z.object({ outcome: z.enum(['success', 'failure']) }).parse(ctx.request.body);
    const r = refunds.get(ctx.params.merchantRefundId!);
    if (!r) return err(ctx, 404, 'REFUND_NOT_FOUND', 'no such refund');
    r.outcome = b.outcome;
    finishRefund(r, b.outcome === 'success' ? 'COMPLETED' : 'FAILED');
    ctx.body = { state: r.state };
  });
  router.post('/__sim/faults', (ctx) => {
    faults = { ...faults, ...faultsSchema.parse(ctx.request.body) };
    sim.faults = faults;
    ctx.body = faults;
  });
  router.post('/__sim/reset', (ctx) => {
    reset();
    ctx.body = { ok: true };
  });
  router.get('/__sim/requests', (ctx) => {
    ctx.body = requests;
  });
  router.get('/__sim/webhooks', (ctx) => {
    ctx.body = webhooksSent;
  });
  router.get('/__sim/orders/:merchantOrderId', (ctx) => {
    const o = orders.get(ctx.params.merchantOrderId!);
    if (!o) return err(ctx, 404, 'ORDER_NOT_FOUND', 'no such order');
    ctx.body = o;
  });

  function reset() {
    orders.clear();
    byOrderId.clear();
    refunds.clear();
    tokens.clear();
    requests.length = 0;
    webhooksSent.length = 0;
    faults = {};
    sim.faults = faults;
  }

  const sim: PhonePeSimulator = { router, orders, refunds, requests, webhooksSent, faults, completeOrder, reset };
  return sim;
}

