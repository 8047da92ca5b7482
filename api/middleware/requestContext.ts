import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Logger } from 'pino';

const SANE_ID = /^[A-Za-z0-9._:-]{8,64}$/;

/**
 * Gives every request an id (a sane incoming X-Request-Id is kept, so a client's or proxy's id
 * ties logs together), echoes it on every response, and logs one line per request.
 * The line names the request id as a field rather than through a child logger bound to it: a
 * child per request cost more than the line itself, and almost no request logs anything else.
 */
export function requestContext(logger: Logger): Middleware {
  return async (ctx, next) => {
    const incoming = ctx.get('x-request-id');
    const requestId = SANE_ID.test(incoming) ? incoming : randomUUID();
    ctx.state.requestId = requestId;
    ctx.set('X-Request-Id', requestId);
    const started = performance.now();
    try {
      await next();
    } finally {
      logger.info(
        {
          requestId,
          method: ctx.method,
          route: ctx._matchedRoute ?? ctx.path,
          status: ctx.status,
          ms: Math.round((performance.now() - started) * 10) / 10,
          userId: ctx.state.user?.id,
        },
        'request',
      );
    }
  };
}
