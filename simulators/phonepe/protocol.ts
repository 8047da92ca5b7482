/**
 * PhonePe's API as the client sees it, validated the way PhonePe validates: a missing, unknown
 * or expired token is 401, a body that breaks a documented constraint is 400 BAD_REQUEST,
 * a reused merchantOrderId or merchantRefundId is 409, an unknown one 404; always {code, message}.
 * Scripted faults (errors, hangs, latency) apply per endpoint before or after the effect.
 */
import type Router from '@koa/router';
import type { Context } from 'koa';
import { ZodType } from 'zod';
import { payRequest, refundRequest, tokenForm } from '../../providers/phonepe/wire';
import type { Engine, Refusal } from './engine';
import { isRefusal } from './engine';
import type { Endpoint, SimState } from './state';
import type { Timers } from './timers';

export interface ProtocolDeps {
  engine: Engine;
  state: SimState;
  timers: Timers;
  credentials: { clientId: string; clientVersion: string; clientSecret: string };
  /** Absolute URL of an order's checkout page. */
  checkoutUrl: (orderId: string) => string;
}

export function refuse(ctx: Context, r: Refusal): void {
  ctx.status = r.status;
  ctx.body = { code: r.code, message: r.message };
}

export function parseBody<T>(ctx: Context, schema: ZodType<T>): T | undefined {
  const parsed = schema.safeParse(ctx.request.body ?? {});
  if (parsed.success) return parsed.data;
  refuse(ctx, {
    status: 400,
    code: 'BAD_REQUEST',
    message: parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '),
  });
  return undefined;
}

export function protocolRoutes(router: Router, d: ProtocolDeps): void {
  const { engine, state, timers } = d;

  /** A scripted HTTP error for this endpoint, consumed; the request then has no effect. */
  function scriptedError(ctx: Context, endpoint: Endpoint): boolean {
    const e = state.faults.httpErrors?.[endpoint];
    if (!e || e.times <= 0) return false;
    e.times--;
    refuse(ctx, {
      status: e.status,
      code:
        e.code ?? (e.status === 429 ? 'TOO_MANY_REQUESTS' : e.status >= 500 ? 'INTERNAL_SERVER_ERROR' : 'SIMULATED'),
      message: 'simulated failure',
    });
    return true;
  }

  /** After the effect: a scripted hang (the client times out, the effect stays) or plain latency. */
  async function delayAnswer(endpoint: Endpoint): Promise<void> {
    const hangs = state.faults.hang;
    if (hangs?.[endpoint]) {
      hangs[endpoint]--;
      await timers.sleep(state.faults.hangMs ?? 30_000);
    } else {
      await timers.sleep(state.faults.latencyMs ?? 0);
    }
  }

  function authorised(ctx: Context): boolean {
    const m = /^O-Bearer (\S+)$/.exec(ctx.get('authorization'));
    if (m && engine.tokenValid(m[1]!)) return true;
    refuse(ctx, {
      status: 401,
      code: 'UNAUTHORIZED',
      message: m ? 'access token is invalid or expired' : 'Authorization: O-Bearer <access_token> is required',
    });
    return false;
  }

  router.post('/v1/oauth/token', async (ctx) => {
    if (scriptedError(ctx, 'token')) return;
    if (!ctx.is('application/x-www-form-urlencoded')) {
      return refuse(ctx, {
        status: 400,
        code: 'BAD_REQUEST',
        message: 'Content-Type must be application/x-www-form-urlencoded',
      });
    }
    const form = parseBody(ctx, tokenForm);
    if (!form) return;
    const c = d.credentials;
    if (
      form.client_id !== c.clientId ||
      form.client_secret !== c.clientSecret ||
      form.client_version !== c.clientVersion
    ) {
      return refuse(ctx, { status: 401, code: 'INVALID_CLIENT', message: 'client authentication failed' });
    }
    const token = engine.issueToken();
    await delayAnswer('token');
    ctx.body = token;
  });

  router.post('/checkout/v2/pay', async (ctx) => {
    if (!authorised(ctx) || scriptedError(ctx, 'pay')) return;
    const req = parseBody(ctx, payRequest);
    if (!req) return;
    const created = engine.createOrder(req, d.checkoutUrl);
    if (isRefusal(created)) return refuse(ctx, created);
    await delayAnswer('pay');
    ctx.body = {
      orderId: created.order.orderId,
      state: created.order.state,
      expireAt: created.order.expireAt,
      redirectUrl: created.redirectUrl,
    };
  });

  router.get('/checkout/v2/order/:merchantOrderId/status', async (ctx) => {
    if (!authorised(ctx) || scriptedError(ctx, 'status')) return;
    const ord = engine.order(ctx.params.merchantOrderId!);
    if (!ord) return refuse(ctx, { status: 404, code: 'ORDER_NOT_FOUND', message: 'no such order' });
    const view = engine.readOrderStatus(ord);
    await delayAnswer('status');
    ctx.body = view;
  });

  router.post('/payments/v2/refund', async (ctx) => {
    if (!authorised(ctx) || scriptedError(ctx, 'refund')) return;
    const req = parseBody(ctx, refundRequest);
    if (!req) return;
    const r = engine.createRefund(req);
    if (isRefusal(r)) return refuse(ctx, r);
    await delayAnswer('refund');
    ctx.body = { refundId: r.refundId, amount: r.amount, state: r.state };
  });

  router.get('/payments/v2/refund/:merchantRefundId/status', async (ctx) => {
    if (!authorised(ctx) || scriptedError(ctx, 'refundStatus')) return;
    const r = state.refunds.get(ctx.params.merchantRefundId!);
    if (!r) return refuse(ctx, { status: 404, code: 'REFUND_NOT_FOUND', message: 'no such refund' });
    const view = engine.readRefundStatus(r);
    await delayAnswer('refundStatus');
    ctx.body = view;
  });
}
