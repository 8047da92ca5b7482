/** Verifies and parses a recharge callback (wire.ts); the reference is our payment id (clientRef). */
import { ValidationError } from '../../domain/errors';
import type { VerifiedWebhook } from '../contracts';
import { safeJson } from '../payout/webhook';
import { verifySignedWebhook } from '../signedWebhook';
import { rechargeWebhook } from './wire';

export function parseRechargeWebhook(rawBody: string, signature: string | undefined, secret: string, toleranceSeconds: number, nowSeconds?: number): VerifiedWebhook {
  verifySignedWebhook(rawBody, signature, secret, { toleranceSeconds, ...(nowSeconds !== undefined ? { nowSeconds } : {}) });
  const parsed = rechargeWebhook.safeParse(safeJson(rawBody));
  if (!parsed.success) throw new ValidationError('malformed recharge webhook', parsed.error.issues.slice(0, 5).map((i) => ({ path: i.path.join('.'), message: i.message })));
  return { reference: parsed.data.payload.clientRef, state: parsed.data.payload.status, event: parsed.data.event };
}
