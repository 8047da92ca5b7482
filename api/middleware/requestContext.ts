import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Logger } from 'pino';

const SANE_ID = /^[A-Za-z0-9._:-]{8,64}$/;

/**
 * Gives every request an id (a sane incoming X-Request-Id is kept, so a client's or proxy's id
 * ties logs together), echoes it on every response, and logs one line per request.
 */
export function requestContext(logger: Logger): Middleware {
  return async (ctx, next) => {
    const incoming = ctx.get('x-request-id');
    const requestId = SANE_ID.test(incoming) ? incoming : randomUUID();
    ctx.state.requestId = requestId;
    ctx.state.log = logger.child({ requestId });
    ctx.set('X-Request-Id', requestId);
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      ctx.state.log.info(
        {
          method: ctx.method,
          route: ctx._matchedRoute ?? ctx.path,
          status: ctx.status,
          ms: Math.round(ms * 10) / 10,
          userId: ctx.state.user?.id,
        },
        'request',
      );
    }
  };
}
