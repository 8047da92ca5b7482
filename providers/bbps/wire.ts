/**
 * The BBPS customer-operating-unit protocol (the asynchronous shape Setu, Razorpay and Cashfree
 * share), used by the client and the simulator:
 *
 *   GET  /v1/billers?category= → {billers: [{billerId (14 chars), name, category, customerParams:
 *        [{name, regex, optional}], fetchType: FETCH | VALIDATE | DIRECT, exactness, supportsPending}]}
 *   POST /v1/bills/fetch {billerId, customerParams} → 202 {refId, status: PROCESSING}
 *   GET  /v1/bills/fetch/{refId} → {refId, billerId, status: PROCESSING | SUCCESS | FAILURE,
 *        bill?: {customerName, amount (paise), dueDate, billNumber, billPeriod}, failureReason?}
 *   POST /v1/bills/pay {refId, amount (paise), paymentRefId (our id), timestamp}
 *        → {paymentRefId, status: PROCESSING | PENDING | SUCCESS | FAILURE | REVERSED, bbpsTxnId?, billerRefId?, failureReason?}
 *        (a repeated paymentRefId answers the original payment: never a second one)
 *   GET  /v1/bills/payments/{paymentRefId} → the same | 404
 *   webhooks {event: bill.fetch, payload: fetch} and {event: bill.payment, payload: payment}, signed (signedWebhook.ts)
 * All requests carry `X-Api-Key`; errors are {code, message}.
 */
import { z } from 'zod';

export const billerSchema = z.object({
  billerId: z.string().length(14),
  name: z.string(),
  category: z.string(),
  customerParams: z.array(z.object({ name: z.string(), regex: z.string(), optional: z.boolean() })),
  fetchType: z.enum(['FETCH', 'VALIDATE', 'DIRECT']),
  exactness: z.enum(['EXACT', 'EXACT_AND_ABOVE', 'EXACT_AND_BELOW', 'ANY']),
  supportsPending: z.boolean(),
});
export const billersAnswer = z.object({ billers: z.array(billerSchema) });

export const fetchBody = z.object({
  billerId: z.string().length(14),
  customerParams: z.record(z.string(), z.string()),
});
export const fetchStarted = z.object({ refId: z.string().min(1) });
export const fetchAnswer = z.object({
  refId: z.string().min(1),
  billerId: z.string(),
  status: z.enum(['PROCESSING', 'SUCCESS', 'FAILURE']),
  bill: z
    .object({
      customerName: z.string(),
      amount: z.number().int().nonnegative(),
      dueDate: z.string().nullable(),
      billNumber: z.string(),
      billPeriod: z.string().nullable(),
    })
    .optional()
    .nullable(),
  failureReason: z.string().optional().nullable(),
});

export const payBody = z.object({
  refId: z.string().min(1),
  amount: z.number().int().min(1),
  paymentRefId: z.string().min(1).max(64),
  timestamp: z.string(),
});
export const paymentAnswer = z.object({
  paymentRefId: z.string().min(1),
  status: z.enum(['PROCESSING', 'PENDING', 'SUCCESS', 'FAILURE', 'REVERSED']),
  bbpsTxnId: z.string().optional().nullable(),
  billerRefId: z.string().optional().nullable(),
  failureReason: z.string().optional().nullable(),
});

export const bbpsWebhook = z.discriminatedUnion('event', [
  z.object({ event: z.literal('bill.fetch'), payload: fetchAnswer }),
  z.object({ event: z.literal('bill.payment'), payload: paymentAnswer }),
]);
