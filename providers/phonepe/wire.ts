/**
 * PhonePe Standard Checkout v2 on the wire (docs/providers.md), in one place: the
 * request constraints PhonePe documents, which the client checks before sending and the
 * simulator enforces on arrival, and the answers the client accepts. Answers are loose objects
 * (PhonePe adds fields freely) but every field we act on is checked; amounts are integer paise
 * within MAX_PAISE, so turning them into Paise cannot throw later.
 */
import { z } from 'zod';
import { MAX_PAISE, paise } from '../../domain/money';

export const MERCHANT_ID = /^[A-Za-z0-9_-]{1,63}$/;
export const MIN_AMOUNT_PAISE = 100;
export const EXPIRE_AFTER = { min: 300, max: 3600, default: 1200 } as const;

export const merchantId = z.string().regex(MERCHANT_ID, 'must be 1-63 characters of A-Z a-z 0-9 _ -');
const requestAmount = z.number().int().min(MIN_AMOUNT_PAISE).max(MAX_PAISE);
const udfKey = z.string().regex(/^udf([1-9]|1[0-5])$/, 'metaInfo keys are udf1..udf15');

export const payRequest = z.looseObject({
  merchantOrderId: merchantId,
  amount: requestAmount,
  expireAfter: z.number().int().min(EXPIRE_AFTER.min).max(EXPIRE_AFTER.max).optional(),
  metaInfo: z.record(udfKey, z.string().max(256)).optional(),
  paymentFlow: z.looseObject({
    type: z.literal('PG_CHECKOUT'),
    message: z.string().max(256).optional(),
    merchantUrls: z.looseObject({ redirectUrl: z.url({ protocol: /^https?$/ }) }),
  }),
});
export type PayRequest = z.infer<typeof payRequest>;

export const refundRequest = z.looseObject({
  merchantRefundId: merchantId,
  originalMerchantOrderId: merchantId,
  amount: requestAmount,
});
export type RefundRequest = z.infer<typeof refundRequest>;

export const tokenForm = z.object({
  client_id: z.string().min(1),
  client_version: z.string().min(1),
  client_secret: z.string().min(1),
  grant_type: z.literal('client_credentials'),
});

const amount = z
  .number()
  .int()
  .min(0)
  .max(MAX_PAISE)
  .transform((n) => paise(n));

export const orderState = z.enum(['PENDING', 'COMPLETED', 'FAILED']);
export const refundState = z.enum(['PENDING', 'CONFIRMED', 'COMPLETED', 'FAILED']);
export type OrderState = z.infer<typeof orderState>;
export type RefundState = z.infer<typeof refundState>;

export const tokenAnswer = z.looseObject({
  access_token: z.string().min(1),
  token_type: z.string().min(1).optional(),
  issued_at: z.number().int().positive().optional(),
  expires_at: z.number().int().positive(),
});

export const payAnswer = z.looseObject({
  orderId: z.string().min(1),
  state: orderState,
  expireAt: z.number().int(),
  redirectUrl: z.url(),
});
export type PayAnswer = z.infer<typeof payAnswer>;

const rail = z.looseObject({ type: z.string(), utr: z.string().optional() });

export const paymentDetail = z.looseObject({
  paymentMode: z.string().optional(),
  transactionId: z.string().optional(),
  timestamp: z.number().optional(),
  amount: amount.optional(),
  state: z.string(),
  errorCode: z.string().optional(),
  detailedErrorCode: z.string().optional(),
  rail: rail.optional(),
  splitInstruments: z.array(z.looseObject({ rail: rail.optional() })).optional(),
});
export type PaymentDetail = z.infer<typeof paymentDetail>;

export const orderStatusAnswer = z.looseObject({
  orderId: z.string().min(1),
  state: orderState,
  amount,
  expireAt: z.number().int(),
  metaInfo: z.record(z.string(), z.unknown()).optional(),
  errorCode: z.string().optional(),
  detailedErrorCode: z.string().optional(),
  // PENDING orders without an attempt may omit the list; absent means "no attempts", not unknown.
  paymentDetails: z.array(paymentDetail).optional().default([]),
});
export type OrderStatus = z.infer<typeof orderStatusAnswer>;

export const refundAnswer = z.looseObject({
  refundId: z.string().min(1),
  amount,
  state: refundState,
});
export type RefundAnswer = z.infer<typeof refundAnswer>;

export const refundStatusAnswer = z.looseObject({
  originalMerchantOrderId: z.string().optional(),
  refundId: z.string().optional(),
  amount,
  state: refundState,
  timestamp: z.number().optional(),
  errorCode: z.string().optional(),
  detailedErrorCode: z.string().optional(),
});
export type RefundStatus = z.infer<typeof refundStatusAnswer>;
