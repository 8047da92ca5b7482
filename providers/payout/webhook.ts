/** Verifies and parses a payout webhook (wire.ts); the reference is our payment id. */
import type { VerifiedWebhook } from '../contracts';
import { parseSignedWebhook } from '../signedWebhook';
import { PAYOUT_OUTCOME } from '../../domain/heldKinds/payout';
import { payoutWebhook } from './wire';

export function parsePayoutWebhook(
  rawBody: string,
  signature: string | undefined,
  secret: string,
  toleranceSeconds: number,
  nowSeconds?: number,
): VerifiedWebhook {
  const w = parseSignedWebhook('payout', payoutWebhook, rawBody, { signature, secret, toleranceSeconds, nowSeconds });
  return {
    reference: w.payload.referenceId,
    state: w.payload.status,
    event: w.event,
    outcome: PAYOUT_OUTCOME[w.payload.status],
  };
}
