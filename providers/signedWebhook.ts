/**
 * Webhook signatures of the BBPS, recharge and payout providers (the scheme Stripe-like
 * providers share): `X-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`
 * under a shared secret. The timestamp is signed too, so a captured webhook cannot be replayed
 * later than the tolerance allows.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ZodType } from 'zod';
import { UnauthenticatedError, ValidationError } from '../domain/errors';

export const SIGNATURE_HEADER = 'X-Signature';

const mac = (secret: string, t: number, rawBody: string) =>
  createHmac('sha256', secret).update(`${t}.${rawBody}`).digest('hex');

export function signWebhook(rawBody: string, secret: string, nowSeconds = Math.floor(Date.now() / 1000)): string {
  return `t=${nowSeconds},v1=${mac(secret, nowSeconds, rawBody)}`;
}

/** Throws UnauthenticatedError unless the header signs this exact body, recently, with `secret`. */
export function verifySignedWebhook(
  rawBody: string,
  header: string | undefined,
  secret: string,
  opts: { toleranceSeconds: number; nowSeconds?: number },
): void {
  if (!header) throw new UnauthenticatedError(`missing ${SIGNATURE_HEADER} header`);
  const parts = new Map(header.split(',').map((p) => p.trim().split('=', 2) as [string, string]));
  const t = Number(parts.get('t'));
  const v1 = parts.get('v1') ?? '';
  if (!Number.isInteger(t) || !/^[0-9a-f]{64}$/.test(v1))
    throw new UnauthenticatedError(`malformed ${SIGNATURE_HEADER} header`);
  const now = opts.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (now - t > opts.toleranceSeconds) throw new UnauthenticatedError('webhook signature is too old');
  if (t - now > opts.toleranceSeconds) throw new UnauthenticatedError('webhook signature is dated in the future');
  const expected = Buffer.from(mac(secret, t, rawBody), 'hex');
  if (!timingSafeEqual(expected, Buffer.from(v1, 'hex')))
    throw new UnauthenticatedError('webhook signature does not match');
}

export interface SignedWebhookCheck {
  signature: string | undefined;
  secret: string;
  toleranceSeconds: number;
  nowSeconds?: number;
}

/**
 * Verifies the signature on the raw body first (a forgery is 401, never 400), then parses the
 * body with the provider's schema; a well-signed body of the wrong shape is a ValidationError.
 */
export function parseSignedWebhook<T>(
  provider: string,
  schema: ZodType<T>,
  rawBody: string,
  check: SignedWebhookCheck,
): T {
  verifySignedWebhook(rawBody, check.signature, check.secret, {
    toleranceSeconds: check.toleranceSeconds,
    ...(check.nowSeconds !== undefined ? { nowSeconds: check.nowSeconds } : {}),
  });
  let json: unknown;
  try {
    json = JSON.parse(rawBody);
  } catch {
    json = undefined;
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success)
    throw new ValidationError(
      `malformed ${provider} webhook`,
      parsed.error.issues.slice(0, 5).map((i) => ({ path: i.path.join('.'), message: i.message })),
    );
  return parsed.data;
}
