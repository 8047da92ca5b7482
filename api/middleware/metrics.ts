import type { Middleware } from 'koa';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { droppedLogLines } from '../logger';
import { registerPaymentMetrics } from '../paymentMetrics';

/** Prometheus metrics, one registry per app so several apps (tests) never collide. */
export function createMetrics(knex: Knex, logger: Logger): { registry: Registry; middleware: Middleware } {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  registerPaymentMetrics(registry, knex, logger);
  const requests = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP requests by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  let droppedReported = 0;
  new Counter({
    name: 'nexaspay_api_log_lines_dropped_total',
    help: 'Log lines dropped because stdout could not keep up (api/logger.ts)',
    registers: [registry],
    collect() {
      const now = droppedLogLines();
      this.inc(now - droppedReported);
      droppedReported = now;
    },
  });
  const middleware: Middleware = async (ctx, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      // The matched route pattern, never the raw path, keeps label cardinality bounded.
      requests.observe(
        {
          method: ctx.method,
          route: ctx._matchedRoute ? String(ctx._matchedRoute) : 'unmatched',
          status: String(ctx.status),
        },
        (performance.now() - started) / 1000,
      );
    }
  };
  return { registry, middleware };
}
