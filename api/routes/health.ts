import { z } from 'zod';
import { defineRoute } from '../http/route';
import type { AppDeps } from '../deps';
import { pingDatabase } from '../../db/knex';
import { opsTokenCheck } from '../middleware/opsToken';
import { missingSessionTriggers } from '../../db/sessions';

/**
 * The session check trusts the user's session version only because triggers move it on every
 * revocation (api/auth/guards.ts): without them a revoked session would pass until its token
 * expired, so an API over a database without them is not ready.
 */
async function sessionTriggers(deps: AppDeps): Promise<void> {
  const missing = await missingSessionTriggers(deps.knex);
  if (missing.length > 0) throw new Error(`missing triggers: ${missing.join(', ')}`);
}

const readiness = z.object({
  status: z.enum(['ready', 'not_ready']),
  checks: z.record(z.string(), z.string()).optional(),
});

export function healthRoutes(deps: AppDeps) {
  const isOps = opsTokenCheck(deps.config.METRICS_TOKEN);
  return [
    defineRoute({
      method: 'get',
      path: '/healthz',
      summary: 'The process is up',
      tag: 'operations',
      access: 'public',
      responses: { 200: z.object({ status: z.literal('ok') }) },
      handler: async () => ({ body: { status: 'ok' as const } }),
    }),
    defineRoute({
      method: 'get',
      path: '/readyz',
      summary:
        'MySQL (and Temporal, where wired) are reachable, and the session triggers exist; which check fails only with the METRICS_TOKEN',
      tag: 'operations',
      access: 'public',
      responses: { 200: readiness, 503: readiness },
      handler: async ({ ctx }) => {
        const probes = [
          { name: 'mysql', check: () => pingDatabase(deps.knex) },
          { name: 'session_triggers', check: () => sessionTriggers(deps) },
          ...(deps.readiness ?? []),
        ];
        const checks: Record<string, string> = {};
        for (const p of probes) {
          try {
            await p.check();
            checks[p.name] = 'ok';
          } catch (e) {
            checks[p.name] = `failing: ${(e as Error).message}`.slice(0, 200);
          }
        }
        const ready = Object.values(checks).every((v) => v === 'ok');
        // The failing dependency's error text describes the insides: for ops' tools only.
        return {
          status: ready ? 200 : 503,
          body: { status: ready ? ('ready' as const) : ('not_ready' as const), ...(isOps(ctx) ? { checks } : {}) },
        };
      },
    }),
  ];
}
