/**
 * Serves the built console (api/console/bundle.ts) under /console. The page only talks to the
 * REST API with the admin's own token, so serving it needs no session of its own; as an HTML
 * page it gets the pages' CSP (own scripts and styles only, api/middleware/security.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type Router from '@koa/router';
import type { Context } from 'koa';
import { NotFoundError } from '../../domain/errors';
import { DEFAULT_CONSOLE_DIR } from './bundle';

const ASSETS: Record<string, string> = { 'app.js': 'application/javascript', 'app.css': 'text/css' };

export function mountConsole(router: Router, dir = DEFAULT_CONSOLE_DIR): void {
  // Read once, on first use: the bundle does not change under a running API.
  const cache = new Map<string, Buffer>();
  const serve = (ctx: Context, name: string, type: string) => {
    let body = cache.get(name);
    if (!body) {
      const p = path.join(dir, name);
      if (!existsSync(p)) {
        ctx.status = 503;
        ctx.type = 'text';
        ctx.body = 'The console is not built: run `npm run console:build` (npm run dev and the Docker image do).\n';
        return;
      }
      body = readFileSync(p);
      cache.set(name, body);
    }
    ctx.type = type;
    ctx.set('Cache-Control', 'no-cache');
    ctx.body = body;
  };
  router.get('/console', (ctx) => serve(ctx, 'index.html', 'html'));
  router.get('/console/assets/:name', (ctx) => {
    const type = ASSETS[ctx.params.name!];
    if (!type) throw new NotFoundError('no such console asset');
    serve(ctx, ctx.params.name!, type);
  });
}
