/**
 * The one place errors become HTTP responses: DomainError → its status and code; zod → 400
 * validation_failed naming each field; body-parser limits → 413/400; anything else → 500 with
 * the request id and no internals; a 5xx DomainError keeps its code but not its message (it may quote an upstream).
 * Every error has the shape { error: { code, message, details } }.
 */
import type { Middleware } from 'koa';
import type { Logger } from 'pino';
import { ZodError } from 'zod';
import { DomainError, RateLimitedError } from '../../domain/errors';

interface HttpLikeError {
  status?: number;
  type?: string;
  expose?: boolean;
  message: string;
}

function fromZod(err: ZodError) {
  return {
    status: 400,
    code: 'validation_failed',
    message: `invalid request: ${err.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ')}`,
    details: err.issues.map((i) => ({
      path: i.path.join('.'),
      field: i.path[i.path.length - 1] ?? null,
      code: i.code,
      message: i.message,
    })),
  };
}

const PUBLIC_5XX: Record<number, string> = {
  502: 'a provider answered in a way we could not use',
  503: 'a service this request needs is unavailable; try again shortly',
  504: 'a provider took too long to answer',
};

export function errorMapper(logger: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        ctx.status = 404;
        ctx.body = { error: { code: 'not_found', message: `no route for ${ctx.method} ${ctx.path}` } };
      }
    } catch (err) {
      let status: number;
      let body: { code: string; message: string; details?: unknown };
      if (err instanceof ZodError) {
        const z = fromZod(err);
        status = z.status;
        body = { code: z.code, message: z.message, details: z.details };
      } else if (err instanceof DomainError) {
        status = err.httpStatus;
        // A 5xx message may quote a provider, the database or Temporal: the client gets the
        // code and a fixed sentence; the log keeps the rest.
        body =
          status >= 500
            ? {
                code: err.code,
                message: `${PUBLIC_5XX[status] ?? 'internal error'}; quote request id ${ctx.state.requestId} to support`,
              }
            : {
                code: err.code,
                message: err.message,
                ...(err.details !== undefined ? { details: err.details } : {}),
              };
        if (err instanceof RateLimitedError) ctx.set('Retry-After', String(err.retryAfterSeconds));
      } else if ((err as HttpLikeError).status === 413) {
        status = 413;
        body = { code: 'payload_too_large', message: 'request body is larger than 100 kB' };
      } else if ((err as HttpLikeError).status === 415) {
        status = 415;
        body = { code: 'unsupported_media_type', message: (err as HttpLikeError).message };
      } else if ((err as HttpLikeError).status === 400 && err instanceof SyntaxError) {
        status = 400;
        body = { code: 'malformed_json', message: 'request body is not valid JSON' };
      } else {
        status = 500;
        body = { code: 'internal', message: `internal error; quote request id ${ctx.state.requestId} to support` };
        logger.error({ err, requestId: ctx.state.requestId }, 'unhandled error');
      }
      if (status >= 500 && status !== 500) logger.warn({ err, requestId: ctx.state.requestId }, 'dependency error');
      // What the route said about the answer it meant to give (cached, a file to save) is not
      // true of this one: the security headers answer an error `no-store`.
      ctx.remove('Cache-Control');
      ctx.remove('Content-Disposition');
      ctx.status = status;
      ctx.body = { error: body };
    }
  };
}
