/**
 * PhonePe v2 callbacks. The Authorization header is sha256(username:password) in hex; it
 * authenticates the sender but does not sign the body, so a webhook is only a hint that the
 * workflow confirms with Order Status before moving money.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

export const expectedAuthorization = (username: string, password: string) =>
  createHash('sha256').update(`${username}:${password}`).digest('hex');

export function verifyWebhookAuthorization(header: string | undefined, username: string, password: string): boolean {
  const expected = Buffer.from(expectedAuthorization(username, password));
  const given = Buffer.from((header ?? '').trim());
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Decided on `event` (the legacy `type` field is ignored); unknown fields are ignored. */
export const phonePeWebhook = z.looseObject({
  event: z.enum(['checkout.order.completed', 'checkout.order.failed', 'pg.refund.completed', 'pg.refund.failed']),
  payload: z.looseObject({
    merchantOrderId: z.string().min(1).max(63).optional(),
    originalMerchantOrderId: z.string().min(1).max(63).optional(),
    merchantRefundId: z.string().min(1).max(63).optional(),
    state: z.string().min(1),
    amount: z.number().int().nonnegative().optional(),
  }),
}).refine((w) => (w.event.startsWith('checkout.') ? !!w.payload.merchantOrderId : !!w.payload.merchantRefundId), {
  message: 'order events need payload.merchantOrderId, refund events payload.merchantRefundId',
  path: ['payload'],
});
export type PhonePeWebhook = z.infer<typeof phonePeWebhook>;
