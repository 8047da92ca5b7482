import { z } from 'zod';
import { writeAudit } from '../../db/audit';
import { getUser } from '../../db/users';
import { latestReconciliationReport } from '../../db/reconciliation';
import { NotFoundError } from '../../domain/errors';
import type { AppDeps } from '../deps';
import { defineRoute } from '../http/route';
import { positiveId, userView } from '../schemas';
import { toUserView } from '../views';
import { clientInfo } from './auth';

const invariantReport = z.object({
  ok: z.boolean(),
  checkedAt: z.string(),
  checks: z.array(
    z.object({
      id: z.string(),
      title: z.string(),
      ok: z.boolean(),
      offending: z.array(z.record(z.string(), z.unknown())),
    }),
  ),
});

export function adminRoutes(deps: AppDeps) {
  const { knex, ledger } = deps;
  return [
    defineRoute({
      method: 'get',
      path: '/v1/admin/ledger/invariants',
      summary: 'Run the ledger invariant checker now: each invariant, pass/fail, offending rows',
      tag: 'admin',
      access: 'admin',
      responses: { 200: invariantReport },
      handler: async ({ user, ctx }) => {
        const report = await ledger.checkInvariants();
        await writeAudit(knex, {
          actorUserId: user.id,
          action: 'admin.ledger.invariants',
          outcome: 'success',
          details: { ok: report.ok },
          ...clientInfo(ctx),
        });
        return { body: report };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/admin/reconciliation/latest',
      summary: "The last daily reconciliation's report",
      tag: 'admin',
      access: 'admin',
      responses: {
        200: z.object({ id: z.number(), finishedAt: z.string(), ok: z.boolean(), report: invariantReport.loose() }),
      },
      handler: async ({ user, ctx }) => {
        const latest = await latestReconciliationReport(knex);
        await writeAudit(knex, {
          actorUserId: user.id,
          action: 'admin.reconciliation.read',
          targetType: 'reconciliation_report',
          ...(latest ? { targetId: latest.id } : {}),
          outcome: 'success',
          ...clientInfo(ctx),
        });
        if (!latest) throw new NotFoundError('no reconciliation has run yet');
        return {
          body: {
            ...latest,
            finishedAt: new Date(latest.finishedAt).toISOString(),
            report: latest.report as z.infer<typeof invariantReport>,
          },
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/admin/users/:id',
      summary: 'A user, as admins see it',
      tag: 'admin',
      access: 'admin',
      params: z.object({ id: positiveId }),
      responses: { 200: userView },
      handler: async ({ params, user, ctx }) => {
        const found = toUserView(await getUser(knex, params.id));
        await writeAudit(knex, {
          actorUserId: user.id,
          action: 'admin.users.read',
          targetType: 'user',
          targetId: params.id,
          outcome: 'success',
          ...clientInfo(ctx),
        });
        return { body: found };
      },
    }),
  ];
}
