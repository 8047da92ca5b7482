import type { Middleware } from 'koa';

/** A year, subdomains included: what browsers' HSTS preload lists ask for. */
const HSTS = 'max-age=31536000; includeSubDomains';

/**
 * Headers every response carries, errors included. The CSP allows only our own scripts and
 * styles (/docs included). HSTS only over TLS (directly, or as the proxy reports it with
 * TRUST_PROXY): over plain http a browser ignores it, and localhost development must stay reachable.
 */
export function securityHeaders(): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } finally {
      ctx.set('X-Content-Type-Options', 'nosniff');
      ctx.set('X-Frame-Options', 'DENY');
      ctx.set('Referrer-Policy', 'no-referrer');
      ctx.set('Cross-Origin-Opener-Policy', 'same-origin');
      ctx.set(
        'Content-Security-Policy',
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'",
      );
      ctx.set('Cache-Control', ctx.get('Cache-Control') || 'no-store');
      if (ctx.secure) ctx.set('Strict-Transport-Security', HSTS);
    }
  };
}
