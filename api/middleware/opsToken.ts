/**
 * What only ops' tools may read (Prometheus metrics, readiness details): a bearer token,
 * METRICS_TOKEN, compared in constant time. Unset (development and tests only; production
 * requires it) leaves them open.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';

const digest = (s: string) => createHash('sha256').update(s).digest();

export function opsTokenCheck(token: string | undefined): (ctx: Context) => boolean {
  if (!token) return () => true;
  const expected = digest(`Bearer ${token}`);
  return (ctx) => timingSafeEqual(digest(ctx.get('authorization')), expected);
}
