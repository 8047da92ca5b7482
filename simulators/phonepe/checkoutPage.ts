/**
 * The page a customer lands on from redirectUrl. Plain HTML forms (no scripts, no external
 * assets) so it works in any browser, offline, and from a test with nothing but fetch.
 */
import type Router from '@koa/router';
import type { Context } from 'koa';
import { formatRupees, paise } from '../../domain/money';
import type { Engine } from './engine';
import type { SimOrder } from './state';

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function checkoutPage(o: SimOrder, actionBase: string): string {
  const rupees = formatRupees(paise(o.amount));
  const id = escapeHtml(o.merchantOrderId);
  const action = escapeHtml(`${actionBase}/${encodeURIComponent(o.orderId)}`);
  const body =
    o.state === 'PENDING'
      ? `<form method="post" action="${action}/pay"><button class="pay" type="submit">Pay ₹${rupees}</button></form>
<form method="post" action="${action}/fail"><button type="submit">Fail</button></form>`
      : `<p>This order is ${o.state}${o.errorCode ? ` (${escapeHtml(o.errorCode)})` : ''}.</p>
<p><a href="${escapeHtml(o.merchantRedirectUrl)}">Back to the merchant</a></p>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>PhonePe checkout (simulator): ₹${rupees}</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;text-align:center}
button{font-size:1.1rem;padding:.6rem 1.6rem;margin:.4rem;cursor:pointer}.pay{background:#5f259f;color:#fff;border:0}
.amount{font-size:2rem;margin:1rem}.note{color:#777;font-size:.9rem}</style></head>
<body><h1>PhonePe checkout</h1>
<p class="note">Local simulator: no real money moves.</p>
<p>Order <code>${id}</code></p>
<div class="amount">₹${rupees}</div>
${body}
</body></html>`;
}

/**
 * GET {prefix}/checkout/:orderId shows the page; its two forms POST to …/pay and …/fail, which
 * settle the order (webhook included) and send the browser back to the merchant with a 303.
 */
export function checkoutRoutes(router: Router, d: { engine: Engine; actionBase: string }): void {
  const notFound = (ctx: Context) => {
    ctx.status = 404;
    ctx.type = 'html';
    ctx.body = '<!doctype html><title>Unknown order</title><p>PhonePe (simulator) knows no such order.</p>';
  };
  router.get('/checkout/:orderId', (ctx) => {
    const o = d.engine.orderByPhonePeId(ctx.params.orderId!);
    if (!o) return notFound(ctx);
    ctx.type = 'html';
    ctx.set('cache-control', 'no-store');
    ctx.body = checkoutPage(o, d.actionBase);
  });
  for (const [action, outcome] of [
    ['pay', 'success'],
    ['fail', 'failure'],
  ] as const) {
    router.post(`/checkout/:orderId/${action}`, (ctx) => {
      const o = d.engine.orderByPhonePeId(ctx.params.orderId!);
      if (!o) return notFound(ctx);
      // A second click (or a click after expiry) changes nothing; the merchant page shows the truth.
      d.engine.completeOrder(o, outcome);
      ctx.redirect(o.merchantRedirectUrl);
      ctx.status = 303;
    });
  }
}
