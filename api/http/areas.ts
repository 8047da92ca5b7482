/**
 * The API's routes, one @koa/router per area (`/v1/me`, `/v1/admin`, `/docs`, …): a request is
 * matched against its own area's routes only. With one router for all ~75 routes, every request
 * tested every route's pattern (and called `debug` for each test); that scan was the router's
 * largest cost on a read (docs/performance.md, "The read path without its layers").
 *
 * A route's area is the first segment of its path, or the first two under `/v1`, and must be
 * literal (no parameter in it), so a request's area is known from its path alone.
 */
import Router from '@koa/router';
import type { Middleware } from 'koa';

export function areaOf(path: string): string {
  const first = path.indexOf('/', 1);
  if (first < 0) return path;
  if (path.slice(1, first) !== 'v1') return path.slice(0, first);
  const second = path.indexOf('/', first + 1);
  return second < 0 ? path : path.slice(0, second);
}

type MatchResult = ReturnType<Router['match']>;

export class AreaRouters {
  private readonly areas = new Map<string, Router>();
  private dispatching = false;

  /** The router a route with this path is registered on. */
  for(path: string): Router {
    const area = areaOf(path);
    // A parameter, a wildcard or an upper-case letter in the area would make the route
    // unreachable (requests are looked up by their literal, lower-cased area); refused here.
    if (!/^\/[a-z0-9._-]+(\/[a-z0-9._-]+)?$/.test(area))
      throw new Error(`route ${path}: its area (${area}) must be literal lower-case path segments`);
    if (this.dispatching) throw new Error(`route ${path}: declared after the routes began dispatching`);
    let router = this.areas.get(area);
    if (!router) this.areas.set(area, (router = new Router()));
    return router;
  }

  /** Dispatches to the request's area; a path in no area falls through (to the 404). */
  middleware(): Middleware {
    this.dispatching = true;
    const dispatch = new Map([...this.areas.values()].map((router) => [router, router.routes() as Middleware]));
    return (ctx, next) => {
      const router = this.routerOf(ctx.path);
      return router ? dispatch.get(router)!(ctx, next) : next();
    };
  }

  /** Every route's layer, all areas. */
  get stack(): Router['stack'] {
    return [...this.areas.values()].flatMap((r) => r.stack);
  }

  /** The layers of the path's area that match it (any method, in `path`), as Router.match. */
  match(path: string, method: string): MatchResult {
    const router = this.routerOf(path);
    return router ? router.match(path, method) : { path: [], pathAndMethod: [], route: false };
  }

  /** The router of a request path's area: @koa/router matches paths case-insensitively, so this does too. */
  private routerOf(path: string): Router | undefined {
    return this.areas.get(areaOf(path)) ?? this.areas.get(areaOf(path.toLowerCase()));
  }
}
