import type { Context, Middleware } from 'koa';

/** A year, subdomains included: what browsers' HSTS preload lists ask for. */
const HSTS = 'max-age=31536000; includeSubDomains';

/** Every response: no type sniffing, no framing. */
const ANY_RESPONSE: Array<[string, string]> = [
  ['X-Content-Type-Options', 'nosniff'],
  ['X-Frame-Options', 'DENY'],
];

/**
 * A response that is not a page (JSON, CSV, the pages' scripts and styles) may load nothing,
 * should a browser ever render it as a document: the set OWASP's REST security cheat sheet gives
 * for APIs.
 */
const NOT_A_PAGE: Array<[string, string]> = [
  ...ANY_RESPONSE,
  ['Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'"],
];

/**
 * An HTML page (/docs, the console): only our own scripts and styles, no referrer sent from it,
 * and a browsing context of its own.
 */
const PAGE: Array<[string, string]> = [
  ...ANY_RESPONSE,
  [
    'Content-Security-Policy',
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'",
  ],
  ['Referrer-Policy', 'no-referrer'],
  ['Cross-Origin-Opener-Policy', 'same-origin'],
];

/** A string compare, not `ctx.response.is('html')`, which parses the type and looks up a table. */
const isPage = (ctx: Context) => String(ctx.response.get('Content-Type')).toLowerCase().startsWith('text/html');

/**
 * Headers every response carries, errors included; nothing is cached unless the route says so.
 * HSTS only over TLS (directly, or as the proxy reports it with TRUST_PROXY): over plain http a
 * browser ignores it, and localhost development must stay reachable. The headers a page needs
 * are sent with pages only: on every JSON answer they were bytes for the client to parse and
 * nothing for it to enforce. This runs outside the error mapper, so it sees an error's JSON.
 */
export function securityHeaders(): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } finally {
      for (const [name, value] of isPage(ctx) ? PAGE : NOT_A_PAGE) ctx.set(name, value);
      ctx.set('Cache-Control', ctx.response.get('Cache-Control') || 'no-store');
      if (ctx.secure) ctx.set('Strict-Transport-Security', HSTS);
    }
  };
}
