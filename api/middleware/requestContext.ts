import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Logger } from 'pino';

const SANE_ID = /^[A-Za-z0-9._:-]{8,64}$/;

/**
 * Gives every request an id (a sane incoming X-Request-Id is kept, so a client's or proxy's id
 * ties logs together), echoes it on every response, and logs one line per request.
 *
 * `ctx.state.log` is the API's logger itself, not a child bound to the request id: a child per
 * request cost more than the request's log line, and almost no request logs anything else. What
 * does log (an error) names the request id itself.
 */
export function requestContext(logger: Logger): Middleware {
  return async (ctx, next) => {
    const incoming = ctx.get('x-request-id');
    const requestId = SANE_ID.test(incoming) ? incoming : randomUUID();
    ctx.state.requestId = requestId;
    ctx.state.log = logger;
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
