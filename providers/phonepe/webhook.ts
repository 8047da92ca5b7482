/**
 * PhonePe v2 callbacks. The Authorization header is sha256(username:password) in hex; it
 * authenticates the sender but does not sign the body, so a webhook is only a hint that the
 * workflow confirms with Order Status before moving money.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { ValidationError } from '../../domain/errors';
import { MAX_PAISE } from '../../domain/money';
import { merchantId } from './wire';

export const PHONEPE_WEBHOOK_EVENTS = [
  'checkout.order.completed',
  'checkout.order.failed',
  'pg.refund.completed',
  'pg.refund.failed',
] as const;
export type PhonePeWebhookEvent = (typeof PHONEPE_WEBHOOK_EVENTS)[number];

/** What an event says in the engine's words: every PhonePe event we take is final. */
export const phonePeEventOutcome = (event: PhonePeWebhookEvent): 'succeeded' | 'failed' =>
  event.endsWith('.completed') ? 'succeeded' : 'failed';

export const expectedAuthorization = (username: string, password: string): string =>
  createHash('sha256').update(`${username}:${password}`).digest('hex');

export function verifyWebhookAuthorization(header: string | undefined, username: string, password: string): boolean {
  const expected = Buffer.from(expectedAuthorization(username, password));
  const given = Buffer.from((header ?? '').trim());
  // timingSafeEqual throws on unequal lengths; the length of a hex sha256 is no secret.
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * Decided on `event`; the legacy `type` field and other unknown fields are ignored. `state` is
 * passed on as reported (the status API decides), so a state PhonePe adds later is no reason to
 * refuse the callback and make PhonePe retry it forever.
 */
export const phonePeWebhook = z
  .looseObject({
    event: z.enum(PHONEPE_WEBHOOK_EVENTS),
    payload: z.looseObject({
      merchantOrderId: merchantId.optional(),
      originalMerchantOrderId: merchantId.optional(),
      merchantRefundId: merchantId.optional(),
      state: z.string().min(1),
      amount: z.number().int().min(0).max(MAX_PAISE),
    }),
  })
  .refine(
    (w) =>
      w.event.startsWith('checkout.')
        ? !!w.payload.merchantOrderId
        : !!(w.payload.merchantRefundId && w.payload.originalMerchantOrderId),
    {
      message:
        'order events need payload.merchantOrderId; refund events payload.merchantRefundId and payload.originalMerchantOrderId',
      path: ['payload'],
    },
  );
export type PhonePeWebhook = z.infer<typeof phonePeWebhook>;

export function parsePhonePeWebhook(body: unknown): PhonePeWebhook {
  const parsed = phonePeWebhook.safeParse(body);
  if (!parsed.success) {
    throw new ValidationError('malformed PhonePe webhook', {
      issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
    });
  }
  return parsed.data;
}
