import { bodyParser } from '@koa/bodyparser';
import type { Middleware } from 'koa';

const WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

/** JSON only, at most 100 kB; a body of any other type is refused with 415. */
export function jsonBody(): Middleware[] {
  const requireJson: Middleware = async (ctx, next) => {
    const hasBody = ctx.request.length > 0 || ctx.get('transfer-encoding') !== '';
    if (WITH_BODY.has(ctx.method) && hasBody && !ctx.is('application/json')) {
      ctx.throw(415, `request body must be application/json (got ${ctx.get('content-type') || 'no content type'})`);
    }
    await next();
  };
  return [
    requireJson,
    bodyParser({ enableTypes: ['json'], jsonLimit: '100kb', encoding: 'utf-8' }) as unknown as Middleware,
  ];
}
