/** Verifies and parses a BBPS webhook (wire.ts): a fetch result (reference = refId) or a payment result (reference = our payment id). */
import { ValidationError } from '../../domain/errors';
import type { VerifiedWebhook } from '../contracts';
import { safeJson } from '../payout/webhook';
import { verifySignedWebhook } from '../signedWebhook';
import { bbpsWebhook } from './wire';

export function parseBbpsWebhook(rawBody: string, signature: string | undefined, secret: string, toleranceSeconds: number, nowSeconds?: number): VerifiedWebhook {
  verifySignedWebhook(rawBody, signature, secret, { toleranceSeconds, ...(nowSeconds !== undefined ? { nowSeconds } : {}) });
  const parsed = bbpsWebhook.safeParse(safeJson(rawBody));
  if (!parsed.success) throw new ValidationError('malformed BBPS webhook', parsed.error.issues.slice(0, 5).map((i) => ({ path: i.path.join('.'), message: i.message })));
  const w = parsed.data;
  return w.event === 'bill.fetch'
    ? { reference: w.payload.refId, state: w.payload.status, event: w.event }
    : { reference: w.payload.paymentRefId, state: w.payload.status, event: w.event };
}
