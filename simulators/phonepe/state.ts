/**
 * The simulator's in-memory world: orders, refunds, tokens, the logs tests assert on, and the
 * scripted faults. Views here are what PhonePe would answer about an order or refund.
 */
import { z } from 'zod';
import type { OrderState, RefundState } from '../../providers/phonepe/wire';

export interface SimOrder {
  orderId: string;
  merchantOrderId: string;
  /** Asked for at /pay. */
  amount: number;
  /** Paid on the checkout page when it differs from `amount` (fault or control API). */
  paidAmount?: number;
  expireAt: number;
  merchantRedirectUrl: string;
  metaInfo?: Record<string, string>;
  state: OrderState;
  errorCode?: string;
  detailedErrorCode?: string;
  transactionId?: string;
  utr?: string;
  completedAt?: number;
  /** Status calls that still answer PENDING although the order is final (fault). */
  pendingPollsLeft: number;
}

export interface SimRefund {
  refundId: string;
  merchantRefundId: string;
  originalMerchantOrderId: string;
  amount: number;
  state: RefundState;
  /** Scripted final outcome; undefined waits for POST /__sim/refunds/:id/complete. */
  outcome?: 'success' | 'failure';
  errorCode?: string;
  updatedAt: number;
}

export interface RequestLogEntry {
  at: string;
  method: string;
  path: string;
  query: string;
  body: unknown;
  /** The status answered (absent while the request is still being handled, e.g. hanging). */
  status?: number;
}

export interface WebhookLogEntry {
  at: string;
  event: string;
  merchantOrderId?: string;
  merchantRefundId?: string;
  attempt: number;
  status: number | 'error';
}

export const ENDPOINTS = ['token', 'pay', 'status', 'refund', 'refundStatus'] as const;
export type Endpoint = (typeof ENDPOINTS)[number];

const endpointTable = <T extends z.ZodType>(value: T) => z.partialRecord(z.enum(ENDPOINTS), value);

export const faultFields = {
  /** Every protocol answer waits this long (slow provider, still inside the client's timeout). */
  latencyMs: z.number().int().min(0).max(60_000),
  webhookDelayMs: z.number().int().min(0).max(60_000),
  /** Extra copies of every webhook. */
  webhookDuplicates: z.number().int().min(0).max(10),
  /** No webhooks at all: the engine has to poll. */
  dropWebhooks: z.boolean(),
  /** After checkout.order.completed, also send a stale checkout.order.failed. */
  outOfOrderWebhooks: z.boolean(),
  /** After an order becomes final, status answers PENDING this many more times. */
  stayPendingPolls: z.number().int().min(0).max(1000),
  /** Paise added to the asked amount when the customer pays (negative: pays less). */
  paidAmountDelta: z.number().int().min(-10_000_000).max(10_000_000),
  /** The next `times` calls to an endpoint answer `status` with {code, message}; nothing happens. */
  httpErrors: endpointTable(
    z.object({
      status: z.number().int().min(400).max(599),
      times: z.number().int().min(0),
      code: z.string().optional(),
    }),
  ),
  /** The next N calls to an endpoint take effect, then answer only after hangMs (outcome unknown). */
  hang: endpointTable(z.number().int().min(0)),
  hangMs: z.number().int().min(0).max(120_000),
  /** Lifetime of tokens issued from now on. */
  tokenTtlSeconds: z.number().int().min(1).max(86_400),
  /** auto-*: each refund status call moves a refund one step (PENDING → CONFIRMED → COMPLETED, or → FAILED). */
  refundMode: z.enum(['auto-success', 'auto-failure', 'manual']),
};

export const faultsSchema = z.object(faultFields).partial();
export type PhonePeFaults = z.infer<typeof faultsSchema>;

const patchShape = Object.fromEntries(Object.entries(faultFields).map(([k, v]) => [k, v.nullable().optional()])) as {
  [K in keyof typeof faultFields]: z.ZodOptional<z.ZodNullable<(typeof faultFields)[K]>>;
};
/** POST /__sim/faults: fields merge into the current faults, null clears one; expireTokensNow is an action. */
export const faultsPatch = z.strictObject({ ...patchShape, expireTokensNow: z.literal(true).optional() });

export interface SimState {
  orders: Map<string, SimOrder>;
  refunds: Map<string, SimRefund>;
  /** access token → expires_at (epoch seconds). */
  tokens: Map<string, number>;
  requests: RequestLogEntry[];
  webhooksSent: WebhookLogEntry[];
  faults: PhonePeFaults;
}

export function emptyState(): SimState {
  return { orders: new Map(), refunds: new Map(), tokens: new Map(), requests: [], webhooksSent: [], faults: {} };
}

/** Empties the state in place: callers hold references to these objects. */
export function clearState(s: SimState): void {
  s.orders.clear();
  s.refunds.clear();
  s.tokens.clear();
  s.requests.length = 0;
  s.webhooksSent.length = 0;
  for (const key of Object.keys(s.faults)) delete s.faults[key as keyof PhonePeFaults];
}

/** Order Status as PhonePe answers it; `honest: false` is the stay-PENDING fault. */
export function orderStatusView(o: SimOrder, honest = true) {
  const state: OrderState = honest ? o.state : 'PENDING';
  const paid = o.paidAmount ?? o.amount;
  // An order that expired unpaid had no attempt to show.
  const attempt =
    state === 'PENDING' || !o.transactionId
      ? []
      : [
          {
            paymentMode: 'UPI_INTENT',
            transactionId: o.transactionId,
            timestamp: o.completedAt,
            amount: paid,
            payableAmount: paid,
            feeAmount: 0,
            state,
            ...(state === 'FAILED'
              ? { errorCode: o.errorCode, detailedErrorCode: o.detailedErrorCode }
              : {
                  rail: { type: 'UPI', utr: o.utr },
                  splitInstruments: [
                    {
                      amount: paid,
                      rail: { type: 'UPI', utr: o.utr },
                      instrument: { type: 'ACCOUNT', accountType: 'SAVINGS' },
                    },
                  ],
                }),
          },
        ];
  return {
    orderId: o.orderId,
    state,
    // What the customer paid: a paid amount that differs from the asked one must be visible.
    amount: state === 'COMPLETED' ? paid : o.amount,
    expireAt: o.expireAt,
    ...(o.metaInfo ? { metaInfo: o.metaInfo } : {}),
    ...(state === 'FAILED' ? { errorCode: o.errorCode, detailedErrorCode: o.detailedErrorCode } : {}),
    paymentDetails: attempt,
  };
}

export function refundStatusView(r: SimRefund) {
  return {
    originalMerchantOrderId: r.originalMerchantOrderId,
    merchantRefundId: r.merchantRefundId,
    refundId: r.refundId,
    amount: r.amount,
    state: r.state,
    timestamp: r.updatedAt,
    ...(r.state === 'FAILED' ? { errorCode: r.errorCode ?? 'REFUND_FAILED' } : {}),
  };
}
