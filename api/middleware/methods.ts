import type { Context, Middleware } from 'koa';
import { MethodNotAllowedError } from '../../domain/errors';
import type { AreaRouters } from '../http/areas';

/**
 * A path that exists, but not for this method, answers 405 with `Allow` (any method, TRACE and
 * unknown ones included, which the router alone answers 501); OPTIONS answers 204 with `Allow`
 * (CORS preflights are answered earlier, by the CORS middleware, when CORS_ORIGINS allows
 * origins). A path written out as a route ("/v1/payments/transfers") is that route, even where
 * a route with a parameter ("/v1/payments/:id") would also fit it: GET on it is 405, not a
 * lookup of payment "transfers".
 * A path no route has falls through to 404.
 *
 * On the hot path this costs one map lookup: routes with parameters are matched again only for a
 * request the router did not take.
 */
export function methodNotAllowed(routers: AreaRouters): Middleware {
  let literalPaths: Map<string, string[]> | undefined;
  return async (ctx, next) => {
    // Built at the first request, when every route is registered.
    literalPaths ??= methodsOfLiteralPaths(routers);
    const literal = literalPaths.get(ctx.path);
    if (literal && !literal.includes(ctx.method)) return refuse(ctx, literal);
    await next();
    if (literal || ctx.status !== 404 || ctx.body !== undefined) return;
    const allowed = methodsOf(routers.match(ctx.path, ctx.method).path);
    if (allowed.length > 0) refuse(ctx, allowed);
  };
}

const methodsOf = (layers: Array<{ methods: string[] }>) => [...new Set(layers.flatMap((l) => l.methods))].sort();

function methodsOfLiteralPaths(routers: AreaRouters): Map<string, string[]> {
  const byPath = new Map<string, Array<{ methods: string[] }>>();
  for (const layer of routers.stack) {
    if (layer.paramNames.length > 0 || typeof layer.path !== 'string') continue;
    byPath.set(layer.path, [...(byPath.get(layer.path) ?? []), layer]);
  }
  return new Map([...byPath].map(([path, layers]) => [path, methodsOf(layers)]));
}

function refuse(ctx: Context, allowed: string[]): void {
  ctx.set('Allow', [...allowed, 'OPTIONS'].join(', '));
  if (ctx.method === 'OPTIONS') {
    ctx.status = 204;
    return;
  }
  throw new MethodNotAllowedError(ctx.method, allowed);
}
