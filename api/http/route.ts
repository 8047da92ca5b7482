/**
 * Every route is declared once: method, path, who may call it, and zod schemas for what comes
 * in and goes out. The same declaration validates requests at the edge (handlers receive parsed
 * types) and generates the OpenAPI document, so the docs cannot drift from the code.
 */
import type { Context } from 'koa';
import { z, ZodType } from 'zod';
import { ValidationError } from '../../domain/errors';
import type { AuthUser } from '../auth/guards';
import type { AccountColumn } from '../../db/sessions';
import type { RequestBudgets, RouteClass } from '../rateLimits';
import type { AreaRouters } from './areas';

export type Access = 'public' | 'user' | 'admin' | 'webhook';

export interface RouteInput<B, Q, P, A extends AccountColumn = never> {
  body: B;
  query: Q;
  params: P;
  user: AuthUser<A>;
  ctx: Context;
}

export interface RouteResult<R> {
  status?: number;
  body: R;
  headers?: Record<string, string>;
}

export interface RouteSpec<
  B = unknown,
  Q = unknown,
  P = unknown,
  R = unknown,
  A extends AccountColumn = AccountColumn,
> {
  method: 'get' | 'post' | 'patch' | 'delete';
  path: string;
  summary: string;
  tag: string;
  access: Access;
  /**
   * The columns of the caller's user row the handler reads (`user.account`), read by the session
   * check in its one query: a signed-in route gets the check's own columns (id, role, user code,
   * active, session version) and these, and its handler's type cannot name another.
   */
  account?: readonly A[];
  body?: ZodType<B>;
  query?: ZodType<Q>;
  params?: ZodType<P>;
  /** Status → schema of the success body (null: no body). Errors share one documented shape. */
  responses: Record<number, ZodType | null>;
  /** Extra request headers to document (e.g. Idempotency-Key). */
  headers?: Record<string, { required: boolean; description: string }>;
  /** A non-JSON success body (CSV, HTML): documented by content type. */
  produces?: string;
  /**
   * Which request budget the route spends (api/rateLimits.ts). Default: signed-in reads 'read',
   * other signed-in routes 'write', public and webhook routes none.
   */
  rateLimit?: RouteClass;
  /** Runs before the body is parsed: webhook authentication, so a forged call is 401, not 400. */
  before?: (ctx: Context) => void | Promise<void>;
  handler: (input: RouteInput<B, Q, P, NoInfer<A>>) => Promise<RouteResult<R> | void>;
}

/** Keeps B, Q, P, R and A inferred from the schemas and the columns at each declaration. */
export function defineRoute<
  B = undefined,
  Q = undefined,
  P = undefined,
  R = unknown,
  const A extends AccountColumn = never,
>(spec: RouteSpec<B, Q, P, R, A>): RouteSpec {
  return spec as unknown as RouteSpec;
}

/**
 * A check a request must pass before its route's handler runs: it throws to refuse the request
 * (and may record what it learnt, as authentication records the user in `ctx.state.user`).
 */
export type Check = (ctx: Context) => void | Promise<void>;

export interface Guards {
  /** Authentication: a live session's user, with the route's columns of it, or UnauthenticatedError. */
  user: (account: readonly AccountColumn[]) => Check;
  admin: Check;
  budgets: RequestBudgets;
}

export function routeClassOf(r: RouteSpec): RouteClass {
  if (r.rateLimit) return r.rateLimit;
  if (r.access === 'public' || r.access === 'webhook') return 'none';
  return r.method === 'get' ? 'read' : 'write';
}

export function mountRoutes(routers: AreaRouters, routes: RouteSpec[], guards: Guards): void {
  for (const r of routes) {
    const cls = routeClassOf(r);
    const signedIn = r.access === 'user' || r.access === 'admin';
    // Checks in order, not middleware layers around the handler: a layer costs every request
    // a dispatch and a promise more, and these only ever pass or throw.
    const checks: Check[] = [
      // The IP's budget first, so a flood of bad tokens is refused before it costs a session check.
      ...guards.budgets.perIp(cls),
      ...(signedIn ? [guards.user(r.account ?? []), ...guards.budgets.perUser(cls)] : []),
      ...(r.access === 'admin' ? [guards.admin] : []),
    ];
    const requiredHeaders = Object.entries(r.headers ?? {}).filter(([, h]) => h.required);
    routers.for(r.path)[r.method](r.path, async (ctx) => {
      for (const check of checks) await check(ctx);
      if (r.before) await r.before(ctx);
      // Before the body and before any lookup: a request without them is malformed, whatever else it says.
      const missing = requiredHeaders.filter(([name]) => !ctx.get(name)).map(([name]) => name);
      if (missing.length > 0) {
        throw new ValidationError(
          `missing header${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`,
          missing.map((name) => ({ path: name, field: name, message: 'missing' })),
        );
      }
      const input = {
        body: r.body ? r.body.parse(ctx.request.body ?? {}) : undefined,
        query: r.query ? r.query.parse(ctx.query) : undefined,
        params: r.params ? r.params.parse(ctx.params) : undefined,
        user: ctx.state.user as AuthUser<AccountColumn>,
        ctx,
      };
      const result = await r.handler(input);
      if (!result) return; // the handler wrote the response itself (streams)
      ctx.status = result.status ?? 200;
      for (const [k, v] of Object.entries(result.headers ?? {})) ctx.set(k, v);
      if (result.body !== undefined) ctx.body = result.body;
    });
  }
}

/** Shared building blocks for route schemas. */
export const schemas = {
  errorBody: z.object({
    error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
  }),
};
