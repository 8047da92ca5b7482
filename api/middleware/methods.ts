import type Router from '@koa/router';
import type { Middleware } from 'koa';
import { MethodNotAllowedError } from '../../domain/errors';

/**
 * Before the router: a path that exists, but not for this method, answers 405 with `Allow` (any
 * method, TRACE and unknown ones included, which the router alone answers 501); OPTIONS answers
 * 204 with `Allow` (CORS preflights are answered earlier, by the CORS middleware). A path written
 * out as a route ("/v1/payments/transfers") is that route, even where a route with a parameter
 * ("/v1/payments/:id") would also fit it: GET on it is 405, not a lookup of payment "transfers".
 * A path no route has falls through to 404.
 */
export function methodNotAllowed(router: Router): Middleware {
  return async (ctx, next) => {
    const fitting = router.match(ctx.path, ctx.method).path;
    const exact = fitting.filter((l) => l.path === ctx.path);
    const layers = exact.length > 0 ? exact : fitting;
    if (layers.length === 0) return next();
    const allowed = [...new Set(layers.flatMap((l) => l.methods))].sort();
    if (allowed.includes(ctx.method)) return next();
    ctx.set('Allow', [...allowed, 'OPTIONS'].join(', '));
    if (ctx.method === 'OPTIONS') {
      ctx.status = 204;
      return;
    }
    throw new MethodNotAllowedError(ctx.method, allowed);
  };
}
