/**
 * The Koa app: request ids and logs, metrics, security headers, the one error mapper, CORS, JSON
 * bodies, then the routes, each declared once with its zod schemas (validation + OpenAPI).
 */
import { UnauthenticatedError } from '../domain/errors';
import { opsTokenCheck } from './middleware/opsToken';
import cors from '@koa/cors';
import Koa from 'koa';
import type { AppDeps } from './deps';
import { buildOpenApi, DOCS_HTML, DOCS_INIT_JS, SWAGGER_ASSETS, swaggerAsset } from './http/openapi';
import { AreaRouters } from './http/areas';
import { mountRoutes, RouteSpec } from './http/route';
import { requireAdmin, requireUser } from './auth/guards';
import { jsonBody } from './middleware/body';
import { errorMapper } from './middleware/errors';
import { mountConsole } from './console/routes';
import { createMetrics } from './middleware/metrics';
import { requestContext } from './middleware/requestContext';
import { methodNotAllowed } from './middleware/methods';
import { securityHeaders } from './middleware/security';
import { adminRoutes } from './routes/admin';
import { authRoutes } from './routes/auth';
import { healthRoutes } from './routes/health';
import { meRoutes } from './routes/me';
import { sessionRoutes } from './routes/sessions';
import { twoFactorRoutes } from './routes/twoFactor';
import { createRequestBudgets } from './rateLimits';
import { adminApprovalRoutes } from './routes/adminApprovals';
import { adminPaymentRoutes } from './routes/adminPayments';
import { adminOperationRoutes } from './routes/adminOperations';
import { paymentRoutes } from './routes/payments';
import { webhookRoutes } from './routes/webhooks';
import { billRoutes } from './routes/bills';
import { rechargeRoutes } from './routes/recharges';
import { payoutRoutes } from './routes/payouts';
import { beneficiaryRoutes } from './routes/beneficiaries';
import { earningsRoutes } from './routes/earnings';
import { reportRoutes } from './routes/reports';
import { adminUserRoutes } from './routes/adminUsers';
import { catalogues } from './providerPayments';

export function allRoutes(deps: AppDeps): RouteSpec[] {
  const catalogue = catalogues(deps.gateways);
  return [
    ...healthRoutes(deps),
    ...authRoutes(deps),
    ...meRoutes(deps),
    ...sessionRoutes(deps),
    ...twoFactorRoutes(deps),
    ...paymentRoutes(deps),
    ...rechargeRoutes(deps, catalogue),
    ...billRoutes(deps, catalogue),
    ...payoutRoutes(deps),
    ...beneficiaryRoutes(deps),
    ...earningsRoutes(deps),
    ...reportRoutes(deps),
    ...webhookRoutes(deps),
    ...adminRoutes(deps),
    ...adminPaymentRoutes(deps),
    ...adminApprovalRoutes(deps),
    ...adminOperationRoutes(deps),
    ...adminUserRoutes(deps),
  ];
}

export function createApp(deps: AppDeps): Koa {
  const { config, knex } = deps;
  const app = new Koa({ proxy: config.TRUST_PROXY, maxIpsCount: config.TRUST_PROXY_HOPS });
  const metrics = createMetrics(knex, deps.logger);
  const routes = allRoutes(deps);
  const isOps = opsTokenCheck(config.METRICS_TOKEN);
  const openapi = buildOpenApi(routes, { title: 'NexasPay API', version: '1' });

  const routers = new AreaRouters();
  const tokens = { secret: config.JWT_SECRET, issuer: config.JWT_ISSUER, ttlSeconds: config.ACCESS_TOKEN_TTL_SECONDS };
  mountRoutes(routers, routes, {
    user: requireUser(knex, tokens, deps.logger),
    admin: requireAdmin(),
    budgets: createRequestBudgets(config),
  });
  routers.for('/openapi.json').get('/openapi.json', (ctx) => {
    ctx.body = openapi;
  });
  routers.for('/docs').get('/docs', (ctx) => {
    ctx.type = 'html';
    ctx.body = DOCS_HTML;
  });
  routers.for('/docs').get('/docs/init.js', (ctx) => {
    ctx.type = 'application/javascript';
    ctx.body = DOCS_INIT_JS;
  });
  routers.for('/docs').get('/docs/assets/:name', (ctx) => {
    const asset = swaggerAsset(ctx.params.name!);
    if (!asset) return;
    ctx.type = SWAGGER_ASSETS[ctx.params.name!]!;
    ctx.set('Cache-Control', 'public, max-age=86400');
    ctx.body = asset;
  });
  mountConsole(routers.for('/console'), deps.consoleDir);
  routers.for('/metrics').get('/metrics', async (ctx) => {
    if (!isOps(ctx)) throw new UnauthenticatedError('/metrics needs the METRICS_TOKEN as a bearer token');
    ctx.type = metrics.registry.contentType;
    ctx.body = await metrics.registry.metrics();
  });

  // Outside the error mapper, these see the answer as sent: the log line and the metrics its
  // status (the metrics, once inside it, counted every error as 404, Koa's default), the
  // security headers its type.
  app.use(requestContext(deps.logger));
  app.use(metrics.middleware);
  app.use(securityHeaders());
  app.use(errorMapper(deps.logger));
  // Only with origins to allow: with none, no answer depends on a request's Origin, and every
  // request would pay for a Vary header that says nothing.
  if (config.CORS_ORIGINS.length > 0) {
    app.use(
      cors({
        origin: (ctx) => (config.CORS_ORIGINS.includes(ctx.get('origin')) ? ctx.get('origin') : ''),
        exposeHeaders: ['X-Request-Id', 'Retry-After'],
      }),
    );
  }
  app.use(methodNotAllowed(routers));
  app.use(jsonBody());
  app.use(routers.middleware());
  return app;
}
