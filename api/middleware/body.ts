import { bodyParser } from '@koa/bodyparser';
import type { Middleware } from 'koa';

const WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

/**
 * JSON only, at most 100 kB; a body of any other type is refused with 415. Requests of other
 * methods pass straight through: no route reads their body (the parser would ignore it too).
 */
export function jsonBody(): Middleware {
  const parse = bodyParser({ enableTypes: ['json'], jsonLimit: '100kb', encoding: 'utf-8' }) as unknown as Middleware;
  // Not an async function: a GET passes straight to the next layer without a promise of its own.
  return (ctx, next) => {
    if (!WITH_BODY.has(ctx.method)) return next();
    const hasBody = ctx.request.length > 0 || ctx.get('transfer-encoding') !== '';
    if (hasBody && !ctx.is('application/json')) {
      ctx.throw(415, `request body must be application/json (got ${ctx.get('content-type') || 'no content type'})`);
    }
    return parse(ctx, next);
  };
}
