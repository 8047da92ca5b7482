/**
 * A local PhonePe Standard Checkout v2 that speaks the real protocol (token, pay, order status,
 * refund, refund status, the checkout page, webhooks, the browser redirect), so the engine's
 * production client runs against it unchanged. Everything lives under PREFIX, whether it runs
 * alone (startPhonePeSimulator, `app`) or beside other simulators (`router`, see
 * simulators/app.ts); the client's baseUrl is `<origin>/phonepe`.
 *
 * Orders that reach expireAt unpaid become FAILED (errorCode TXN_NOT_COMPLETED, detailedErrorCode
 * TXN_AUTO_FAILED, as PhonePe documents) the next time anything looks at them, with a
 * checkout.order.failed webhook. Control API: see sim/control.ts.
 */
import { AddressInfo } from 'node:net';
import { bodyParser } from '@koa/bodyparser';
import Router, { type RouterMiddleware } from '@koa/router';
import Koa from 'koa';
import { checkoutRoutes } from './checkoutPage';
import { controlRoutes } from './control';
import { createEngine } from './engine';
import { protocolRoutes } from './protocol';
import {
  clearState,
  emptyState,
  PhonePeFaults,
  RequestLogEntry,
  SimOrder,
  SimRefund,
  SimState,
  WebhookLogEntry,
} from './state';
import { createTimers } from './timers';
import { createWebhookSender } from './webhooks';

export type { PhonePeFaults, RequestLogEntry, SimOrder, SimRefund, SimState, WebhookLogEntry } from './state';

export const PREFIX = '/phonepe';

export interface PhonePeSimulatorOptions {
  clientId: string;
  clientVersion: string;
  clientSecret: string;
  webhookUsername: string;
  webhookPassword: string;
  /** Where webhooks go (the engine's POST /v1/webhooks/phonepe). Unset: none are sent. */
  webhookUrl?: string;
  /** The simulator's origin as browsers see it, for redirectUrl. Read on every order, so it may be a getter. */
  publicBaseUrl: string;
  /** Lifetime of issued tokens (default 3600 s); the tokenTtlSeconds fault overrides it. */
  tokenTtlSeconds?: number;
  /** The simulator's clock (epoch ms), for token and order expiry. */
  now?: () => number;
}

export interface PhonePeSimulator {
  /** A Koa app serving only this simulator (body parsing included). */
  readonly app: Koa;
  /** The routes, to mount in an app that parses JSON and form bodies. */
  readonly router: Router;
  readonly state: SimState;
  /** state.orders, state.refunds, …: the same objects, kept at the top for existing callers. */
  readonly orders: Map<string, SimOrder>;
  readonly refunds: Map<string, SimRefund>;
  readonly requests: RequestLogEntry[];
  readonly webhooksSent: WebhookLogEntry[];
  /** Its fields may be set directly instead of POST /__sim/faults; reset() empties it in place. */
  readonly faults: PhonePeFaults;
  /** As if the customer paid (or failed) on the checkout page. Throws for an unknown order. */
  completeOrder(merchantOrderId: string, outcome: 'success' | 'failure', paidAmount?: number): Promise<SimOrder>;
  /** Every token issued so far is refused from now on. */
  expireTokens(): void;
  /** Forgets orders, refunds, tokens, logs and faults, and cancels pending webhooks. */
  reset(): void;
}

function logRequests(state: SimState): RouterMiddleware {
  return async (ctx, next) => {
    if (ctx.path.includes('/__sim')) return next();
    const body = ctx.request.body;
    const entry: RequestLogEntry = {
      at: new Date().toISOString(),
      method: ctx.method,
      path: ctx.path,
      query: ctx.querystring,
      // The log is readable over HTTP; the client secret has no business in it.
      body:
        body && typeof body === 'object' && 'client_secret' in body ? { ...body, client_secret: '[redacted]' } : body,
    };
    state.requests.push(entry);
    try {
      await next();
    } finally {
      entry.status = ctx.status;
    }
  };
}

/** JSON {code, message} for what never reached a route: unparseable bodies, unknown paths. */
async function phonePeErrors(ctx: Koa.Context, next: Koa.Next): Promise<void> {
  try {
    await next();
    if (ctx.status === 404 && ctx.body === undefined) {
      ctx.body = { code: 'NOT_FOUND', message: `no route for ${ctx.method} ${ctx.path}` };
      ctx.status = 404; // setting a body made it 200
    }
  } catch (err) {
    const status = (err as { status?: number }).status;
    if (!status || status >= 500) throw err;
    ctx.status = status;
    ctx.body = { code: 'BAD_REQUEST', message: (err as Error).message };
  }
}

export function createPhonePeSimulator(opts: PhonePeSimulatorOptions): PhonePeSimulator {
  const now = opts.now ?? Date.now;
  const state = emptyState();
  const timers = createTimers();
  const webhooks = createWebhookSender({
    url: () => opts.webhookUrl,
    username: opts.webhookUsername,
    password: opts.webhookPassword,
    faults: state.faults,
    log: state.webhooksSent,
    timers,
  });
  const engine = createEngine({ state, now, defaultTokenTtlSeconds: opts.tokenTtlSeconds ?? 3600, webhooks });

  const reset = () => {
    timers.cancelAll();
    clearState(state);
    engine.reset();
  };

  const router = new Router({ prefix: PREFIX });
  router.use(logRequests(state));
  protocolRoutes(router, {
    engine,
    state,
    timers,
    credentials: { clientId: opts.clientId, clientVersion: opts.clientVersion, clientSecret: opts.clientSecret },
    checkoutUrl: (orderId) => `${opts.publicBaseUrl.replace(/\/+$/, '')}${PREFIX}/checkout/${orderId}`,
  });
  checkoutRoutes(router, { engine, actionBase: `${PREFIX}/checkout` });
  controlRoutes(router, { engine, state, reset });

  const app = new Koa();
  app.use(phonePeErrors);
  app.use(bodyParser({ enableTypes: ['json', 'form'] }) as unknown as Koa.Middleware);
  app.use(router.routes());

  return {
    app,
    router,
    state,
    orders: state.orders,
    refunds: state.refunds,
    requests: state.requests,
    webhooksSent: state.webhooksSent,
    faults: state.faults,
    async completeOrder(merchantOrderId, outcome, paidAmount) {
      const o = engine.order(merchantOrderId);
      if (!o) throw new Error(`the PhonePe simulator has no order ${merchantOrderId}`);
      engine.completeOrder(o, outcome, { paidAmount });
      return o;
    },
    expireTokens: engine.expireTokens,
    reset,
  };
}

export interface RunningPhonePeSimulator {
  /** The listening origin, e.g. http://127.0.0.1:4100. */
  url: string;
  /** What the client's baseUrl should be: url + PREFIX. */
  baseUrl: string;
  sim: PhonePeSimulator;
  close(): Promise<void>;
}

/** Listens on host:port (port 0: any free one). publicBaseUrl defaults to the listening origin. */
export async function startPhonePeSimulator(
  opts: Omit<PhonePeSimulatorOptions, 'publicBaseUrl'> & { publicBaseUrl?: string; host?: string; port?: number },
): Promise<RunningPhonePeSimulator> {
  const host = opts.host ?? '127.0.0.1';
  let origin = '';
  const sim = createPhonePeSimulator({
    ...opts,
    get publicBaseUrl() {
      return opts.publicBaseUrl ?? origin;
    },
  });
  const server = sim.app.listen(opts.port ?? 0, host);
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
  const { port } = server.address() as AddressInfo;
  origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    url: origin,
    baseUrl: `${origin}${PREFIX}`,
    sim,
    close: async () => {
      sim.reset();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // A hung response (the timeout fault) must not keep the port open.
        server.closeAllConnections();
      });
    },
  };
}
