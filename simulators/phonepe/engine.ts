/**
 * What happens to orders, refunds and tokens, without HTTP: the protocol routes, the checkout
 * page and the control API all go through these functions, so a person clicking "Pay" and a
 * test calling /__sim/orders/:id/complete do exactly the same thing.
 */
import { randomBytes, randomInt } from 'node:crypto';
import type { PayRequest, RefundRequest } from '../../providers/phonepe/wire';
import { EXPIRE_AFTER } from '../../providers/phonepe/wire';
import { orderStatusView, refundStatusView, SimOrder, SimRefund, SimState } from './state';
import type { WebhookSender } from './webhooks';

export interface EngineOptions {
  state: SimState;
  now: () => number;
  defaultTokenTtlSeconds: number;
  webhooks: WebhookSender;
}

/** A refusal, as PhonePe words it. */
export interface Refusal {
  status: number;
  code: string;
  message: string;
}

const id = (prefix: string) => `${prefix}${Date.now()}${randomBytes(5).toString('hex').toUpperCase()}`;
const nowSeconds = (now: () => number) => Math.floor(now() / 1000);

export function createEngine(o: EngineOptions) {
  const { state, now } = o;
  const byOrderId = new Map<string, SimOrder>();

  const orderEvent = (ord: SimOrder) => ({
    event: ord.state === 'COMPLETED' ? 'checkout.order.completed' : 'checkout.order.failed',
    payload: { merchantOrderId: ord.merchantOrderId, ...orderStatusView(ord) },
  });

  /**
   * PhonePe fails an order nobody paid before expireAt. Applied whenever the order is looked
   * at rather than on a timer, so nothing runs in the background between tests.
   */
  function expireIfDue(ord: SimOrder): void {
    if (ord.state !== 'PENDING' || now() <= ord.expireAt) return;
    ord.state = 'FAILED';
    ord.errorCode = 'TXN_NOT_COMPLETED';
    ord.detailedErrorCode = 'TXN_AUTO_FAILED';
    void o.webhooks([orderEvent(ord)]);
  }

  function order(merchantOrderId: string): SimOrder | undefined {
    const ord = state.orders.get(merchantOrderId);
    if (ord) expireIfDue(ord);
    return ord;
  }

  function finishRefund(r: SimRefund, final: 'COMPLETED' | 'FAILED'): void {
    r.state = final;
    r.updatedAt = now();
    if (final === 'FAILED') r.errorCode ??= 'REFUND_FAILED';
    void o.webhooks([
      { event: final === 'COMPLETED' ? 'pg.refund.completed' : 'pg.refund.failed', payload: refundStatusView(r) },
    ]);
  }

  return {
    issueToken() {
      const token = randomBytes(24).toString('base64url');
      const issuedAt = nowSeconds(now);
      const expiresAt = issuedAt + (state.faults.tokenTtlSeconds ?? o.defaultTokenTtlSeconds);
      state.tokens.set(token, expiresAt);
      return {
        access_token: token,
        encrypted_access_token: token,
        expires_in: null,
        issued_at: issuedAt,
        refresh_token: null,
        expires_at: expiresAt,
        session_expires_at: expiresAt,
        token_type: 'O-Bearer',
      };
    },

    tokenValid(token: string): boolean {
      const exp = state.tokens.get(token);
      return exp !== undefined && now() / 1000 < exp;
    },

    expireTokens(): void {
      for (const token of state.tokens.keys()) state.tokens.set(token, 0);
    },

    createOrder(
      req: PayRequest,
      checkoutUrl: (orderId: string) => string,
    ): { order: SimOrder; redirectUrl: string } | Refusal {
      if (state.orders.has(req.merchantOrderId))
        return {
          status: 409,
          code: 'DUPLICATE_ORDER',
          message: `merchantOrderId ${req.merchantOrderId} was already used`,
        };
      const ord: SimOrder = {
        orderId: id('OMO'),
        merchantOrderId: req.merchantOrderId,
        amount: req.amount,
        expireAt: now() + (req.expireAfter ?? EXPIRE_AFTER.default) * 1000,
        merchantRedirectUrl: req.paymentFlow.merchantUrls.redirectUrl,
        metaInfo: req.metaInfo,
        state: 'PENDING',
        pendingPollsLeft: 0,
      };
      state.orders.set(ord.merchantOrderId, ord);
      byOrderId.set(ord.orderId, ord);
      return { order: ord, redirectUrl: checkoutUrl(ord.orderId) };
    },

    /** By our merchantOrderId, expiry applied. */
    order,

    /** By PhonePe's orderId (the checkout page's URL). */
    orderByPhonePeId(orderId: string): SimOrder | undefined {
      const ord = byOrderId.get(orderId);
      if (ord) expireIfDue(ord);
      return ord;
    },

    /** Order Status, with the stay-PENDING fault applied. */
    readOrderStatus(ord: SimOrder) {
      const honest = ord.pendingPollsLeft <= 0;
      if (!honest) ord.pendingPollsLeft--;
      return orderStatusView(ord, honest);
    },

    expireOrder(ord: SimOrder): void {
      ord.expireAt = Math.min(ord.expireAt, now() - 1);
      expireIfDue(ord);
    },

    /** The customer paid or gave up. A final (or expired) order is left as it is: false. */
    completeOrder(
      ord: SimOrder,
      outcome: 'success' | 'failure',
      opts: { paidAmount?: number; errorCode?: string } = {},
    ): boolean {
      expireIfDue(ord);
      if (ord.state !== 'PENDING') return false;
      ord.state = outcome === 'success' ? 'COMPLETED' : 'FAILED';
      // PhonePe's own ids start OM…; T… marks this simulator's (test/workflows asserts the prefix).
      ord.transactionId = id('T');
      ord.utr = String(randomInt(100_000_000_000, 999_999_999_999));
      ord.completedAt = now();
      if (outcome === 'failure') {
        ord.errorCode = opts.errorCode ?? 'PAYMENT_ERROR';
        ord.detailedErrorCode = 'ZA'; // UPI: transaction declined by the customer
      } else {
        const delta = state.faults.paidAmountDelta;
        const paid = opts.paidAmount ?? (delta ? Math.max(1, ord.amount + delta) : undefined);
        if (paid !== undefined && paid !== ord.amount) ord.paidAmount = paid;
      }
      ord.pendingPollsLeft = state.faults.stayPendingPolls ?? 0;
      const events = [orderEvent(ord)];
      if (outcome === 'success' && state.faults.outOfOrderWebhooks) {
        // As if an earlier, failed attempt's event were delivered late.
        events.push({
          event: 'checkout.order.failed',
          payload: { ...events[0]!.payload, state: 'FAILED', errorCode: 'PAYMENT_ERROR', paymentDetails: [] },
        });
      }
      void o.webhooks(events);
      return true;
    },

    createRefund(req: RefundRequest): SimRefund | Refusal {
      if (state.refunds.has(req.merchantRefundId))
        return {
          status: 409,
          code: 'DUPLICATE_REFUND',
          message: `merchantRefundId ${req.merchantRefundId} was already used`,
        };
      const ord = order(req.originalMerchantOrderId);
      if (!ord) return { status: 404, code: 'ORDER_NOT_FOUND', message: `no order ${req.originalMerchantOrderId}` };
      if (ord.state !== 'COMPLETED')
        return { status: 400, code: 'INVALID_REFUND', message: 'only a completed payment can be refunded' };
      let refunded = 0;
      for (const r of state.refunds.values())
        if (r.originalMerchantOrderId === ord.merchantOrderId && r.state !== 'FAILED') refunded += r.amount;
      if (refunded + req.amount > (ord.paidAmount ?? ord.amount))
        return { status: 400, code: 'REFUND_AMOUNT_EXCEEDED', message: 'refunds would exceed the amount paid' };
      const mode = state.faults.refundMode ?? 'auto-success';
      const r: SimRefund = {
        refundId: id('OMR'),
        merchantRefundId: req.merchantRefundId,
        originalMerchantOrderId: ord.merchantOrderId,
        amount: req.amount,
        state: 'PENDING',
        outcome: mode === 'manual' ? undefined : mode === 'auto-success' ? 'success' : 'failure',
        updatedAt: now(),
      };
      state.refunds.set(r.merchantRefundId, r);
      return r;
    },

    /** Refund Status; a scripted refund moves one step per call. */
    readRefundStatus(r: SimRefund) {
      if (r.outcome === 'failure' && r.state !== 'FAILED' && r.state !== 'COMPLETED') finishRefund(r, 'FAILED');
      else if (r.outcome === 'success' && r.state === 'CONFIRMED') finishRefund(r, 'COMPLETED');
      else if (r.outcome === 'success' && r.state === 'PENDING') {
        r.state = 'CONFIRMED';
        r.updatedAt = now();
      }
      return refundStatusView(r);
    },

    /** Moves a refund by hand (manual mode, or ahead of the script). False when already final. */
    settleRefund(r: SimRefund, outcome: 'confirmed' | 'success' | 'failure'): boolean {
      if (r.state === 'COMPLETED' || r.state === 'FAILED') return false;
      if (outcome === 'confirmed') {
        r.state = 'CONFIRMED';
        r.updatedAt = now();
      } else {
        r.outcome = outcome;
        finishRefund(r, outcome === 'success' ? 'COMPLETED' : 'FAILED');
      }
      return true;
    },

    reset(): void {
      byOrderId.clear();
    },
  };
}

export type Engine = ReturnType<typeof createEngine>;

export const isRefusal = (v: object): v is Refusal => 'status' in v && 'code' in v;
