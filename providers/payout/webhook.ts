/** Verifies and parses a payout webhook (wire.ts); the reference is our payment id. */
import { ValidationError } from '../../domain/errors';
import type { VerifiedWebhook } from '../contracts';
import { verifySignedWebhook } from '../signedWebhook';
import { payoutWebhook } from './wire';

export function parsePayoutWebhook(rawBody: string, signature: string | undefined, secret: string, toleranceSeconds: number, nowSeconds?: number): VerifiedWebhook {
  verifySignedWebhook(rawBody, signature, secret, { toleranceSeconds, ...(nowSeconds !== undefined ? { nowSeconds } : {}) });
  const parsed = payoutWebhook.safeParse(safeJson(rawBody));
  if (!parsed.success) throw new ValidationError('malformed payout webhook', parsed.error.issues.slice(0, 5).map((i) => ({ path: i.path.join('.'), message: i.message })));
  return { reference: parsed.data.payload.referenceId, state: parsed.data.payload.status, event: parsed.data.event };
}

export function safeJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}
