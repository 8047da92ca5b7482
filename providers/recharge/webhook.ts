/** Verifies and parses a recharge callback (wire.ts); the reference is our payment id (clientRef). */
import type { VerifiedWebhook } from '../contracts';
import { parseSignedWebhook } from '../signedWebhook';
import { RECHARGE_OUTCOME } from '../../domain/heldKinds/recharge';
import { rechargeWebhook } from './wire';

export function parseRechargeWebhook(
  rawBody: string,
  signature: string | undefined,
  secret: string,
  toleranceSeconds: number,
  nowSeconds?: number,
): VerifiedWebhook {
  const w = parseSignedWebhook('recharge', rechargeWebhook, rawBody, {
    signature,
    secret,
    toleranceSeconds,
    nowSeconds,
  });
  return {
    reference: w.payload.clientRef,
    state: w.payload.status,
    event: w.event,
    outcome: RECHARGE_OUTCOME[w.payload.status],
  };
}
