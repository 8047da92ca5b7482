/**
 * Idempotency-Key handling for POSTs that create payments: the same key and body get the same
 * payment and response; the same key with another body is a 409; concurrent twins all reach
 * the one payment id the first request claimed (and Temporal's workflow id joins them).
 */
import { createHash } from 'node:crypto';
import type { Context } from 'koa';
import type { Knex } from 'knex';
import { newUlid } from '../db/ids';
import { claimIdempotencyKey, storeIdempotentResponse } from '../db/idempotency';
import { ValidationError } from '../domain/errors';

export interface StoredResponse {
  status: number;
  body: unknown;
}

export function idempotencyKeyOf(ctx: Context): string {
  const key = ctx.get('idempotency-key');
  if (key.length < 1 || key.length > 255) {
    throw new ValidationError('the Idempotency-Key header (1-255 characters) is required', [
      { path: 'Idempotency-Key', field: 'Idempotency-Key', message: key ? 'longer than 255 characters' : 'missing' },
    ]);
  }
  return key;
}

export const newPaymentId = (prefix: 'pay' | 'rfd') => `${prefix}_${newUlid()}`;

/** `run` gets the payment id this key stands for; its response is stored for replays. */
export async function idempotent(
  knex: Knex,
  req: { userId: number; key: string; operation: string; canonicalBody: unknown; idPrefix: 'pay' | 'rfd' },
  run: (resourceId: string) => Promise<StoredResponse>,
): Promise<StoredResponse> {
  const fingerprint = createHash('sha256')
    .update(`${req.operation}\n${JSON.stringify(req.canonicalBody)}`)
    .digest('hex');
  const claim = await claimIdempotencyKey(knex, {
    userId: req.userId,
    key: req.key,
    fingerprint,
    resourceId: newPaymentId(req.idPrefix),
  });
  if (!claim.fresh && claim.response) return claim.response;
  const response = await run(claim.resourceId);
  await storeIdempotentResponse(knex, { userId: req.userId, key: req.key, ...response });
  return response;
}
