/** OpenAPI 3.1 from the route declarations, and the Swagger UI page served from the npm package. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z, ZodType } from 'zod';
import { routeClassOf, RouteSpec, schemas } from './route';

const jsonSchema = (s: ZodType) =>
  z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
const outputSchema = (s: ZodType) =>
  z.toJSONSchema(s, { io: 'output', unrepresentable: 'any' }) as Record<string, unknown>;

const ERROR_STATUSES: Record<number, string> = {
  400: 'validation_failed: the request is malformed (zod issues in details)',
  401: 'unauthenticated (or, on login, refresh and webhooks: the credentials were refused)',
  403: 'forbidden, two_factor_required, two_factor_invalid, four_eyes_required',
  404: 'not_found',
  409: 'conflict (duplicate, idempotency_key_reused, invalid_state, …)',
  422: 'a business rule refused the request (insufficient_funds, limit_exceeded, kyc_required, …)',
  429: 'rate_limited: wait Retry-After seconds',
  503: 'a service the request needs (Temporal, a provider) is unavailable; try again',
};

/** The error statuses a route can answer, from what it declares. */
function errorStatuses(r: RouteSpec): number[] {
  const signedIn = r.access === 'user' || r.access === 'admin';
  const cls = routeClassOf(r);
  const out = [400, 409, 422];
  if (signedIn || r.access === 'webhook' || cls === 'auth') out.push(401);
  if (signedIn) out.push(403, 404);
  else if (r.params || r.access === 'webhook') out.push(404);
  if (cls !== 'none') out.push(429);
  if (r.access !== 'public' || cls !== 'none') out.push(503);
  return out.sort();
}

function parameters(r: RouteSpec) {
  const out: Array<Record<string, unknown>> = [];
  const objectProps = (s: ZodType | undefined) => {
    if (!s) return {};
    const js = jsonSchema(s);
    return {
      props: (js.properties ?? {}) as Record<string, unknown>,
      required: new Set((js.required ?? []) as string[]),
    };
  };
  const p = objectProps(r.params) as { props?: Record<string, unknown>; required?: Set<string> };
  for (const [name, schema] of Object.entries(p.props ?? {})) out.push({ name, in: 'path', required: true, schema });
  const q = objectProps(r.query) as { props?: Record<string, unknown>; required?: Set<string> };
  for (const [name, schema] of Object.entries(q.props ?? {}))
    out.push({ name, in: 'query', required: q.required?.has(name) ?? false, schema });
  for (const [name, h] of Object.entries(r.headers ?? {}))
    out.push({ name, in: 'header', required: h.required, description: h.description, schema: { type: 'string' } });
  return out;
}

export function buildOpenApi(routes: RouteSpec[], info: { title: string; version: string }) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const oaPath = r.path.replace(/:([A-Za-z_]+)/g, '{$1}');
    const responses: Record<string, unknown> = {};
    for (const [status, schema] of Object.entries(r.responses)) {
      responses[status] = schema
        ? { description: 'success', content: { [r.produces ?? 'application/json']: { schema: outputSchema(schema) } } }
        : { description: 'success' };
    }
    for (const status of errorStatuses(r)) {
      responses[status] ??= {
        description: ERROR_STATUSES[status],
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        ...(status === 429
          ? { headers: { 'Retry-After': { description: 'seconds to wait', schema: { type: 'integer' } } } }
          : {}),
      };
    }
    (paths[oaPath] ??= {})[r.method] = {
      summary: r.summary,
      tags: [r.tag],
      ...(r.access === 'user' || r.access === 'admin' ? { security: [{ bearerAuth: [] }] } : {}),
      parameters: parameters(r),
      ...(r.body
        ? {
            requestBody: {
              // A body whose every field is optional may be left out altogether.
              required: !r.body.safeParse({}).success,
              content: { 'application/json': { schema: jsonSchema(r.body) } },
            },
          }
        : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info,
    paths,
    components: {
      schemas: { Error: outputSchema(schemas.errorBody) },
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    },
  };
}

const swaggerDir = path.dirname(require.resolve('swagger-ui-dist/package.json'));
export const SWAGGER_ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'application/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'application/javascript; charset=utf-8',
};

export function swaggerAsset(name: string): Buffer | undefined {
  return name in SWAGGER_ASSETS ? readFileSync(path.join(swaggerDir, name)) : undefined;
}

export const DOCS_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>NexasPay API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/swagger-ui-standalone-preset.js"></script>
<script src="/docs/init.js"></script>
</body></html>`;

// Served as a file, not inline, so the page works under a CSP without 'unsafe-inline'.
export const DOCS_INIT_JS = `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#ui', presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset], layout: 'StandaloneLayout' });`;
