/** Verifies and parses a BBPS webhook (wire.ts): a fetch result (reference = refId) or a payment result (reference = our payment id). */
import type { VerifiedWebhook } from '../contracts';
import { parseSignedWebhook } from '../signedWebhook';
import { BILL_PAYMENT_OUTCOME } from '../../domain/heldKinds/bill';
import { bbpsWebhook } from './wire';

export function parseBbpsWebhook(
  rawBody: string,
  signature: string | undefined,
  secret: string,
  toleranceSeconds: number,
  nowSeconds?: number,
): VerifiedWebhook {
  const w = parseSignedWebhook('BBPS', bbpsWebhook, rawBody, { signature, secret, toleranceSeconds, nowSeconds });
  return w.event === 'bill.fetch'
    ? { reference: w.payload.refId, state: w.payload.status, event: w.event, outcome: 'pending' }
    : {
        reference: w.payload.paymentRefId,
        state: w.payload.status,
        event: w.event,
        outcome: BILL_PAYMENT_OUTCOME[w.payload.status],
      };
}
