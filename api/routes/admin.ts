import { z } from 'zod';
import { writeAudit } from '../../db/audit';
import { uplinesOf } from '../../db/commissions';
import { fromDecimal } from '../../db/money';
import { downlineOf } from '../../db/userAdmin';
import { getUser } from '../../db/users';
import { latestReconciliationReport } from '../../db/reconciliation';
import { NotFoundError } from '../../domain/errors';
import type { AppDeps } from '../deps';
import { defineRoute } from '../http/route';
import { money, positiveId, rupees, userView } from '../schemas';
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

const member = z.object({
  level: z.number(),
  id: z.number(),
  userCode: z.string(),
  fullName: z.string().nullable(),
  role: z.string(),
});
const adminUserView = userView.extend({
  dailyLimit: money,
  monthlyLimit: money,
  /** The distributors above, nearest first (they earn commission on this user's payments). */
  uplines: z.array(member),
  downline: z.array(member.extend({ kycStatus: z.string(), parentUserCode: z.string().nullable() })),
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
      summary:
        'A user, as admins see it: with their limits, the distributors above them and the network below them (three levels)',
      tag: 'admin',
      access: 'admin',
      params: z.object({ id: positiveId }),
      responses: { 200: adminUserView },
      handler: async ({ params, user, ctx }) => {
        const row = await getUser(knex, params.id);
        const [uplines, downline] = await Promise.all([uplinesOf(knex, params.id), downlineOf(knex, params.id)]);
        const names = uplines.length
          ? await knex('users')
              .whereIn(
                'id',
                uplines.map((u) => u.userId),
              )
              .select('id', 'user_code', 'full_name', 'role')
          : [];
        const found = {
          ...toUserView(row),
          dailyLimit: rupees(fromDecimal(row.daily_limit)),
          monthlyLimit: rupees(fromDecimal(row.monthly_limit)),
          uplines: uplines.map((u) => {
            const n = names.find((x) => x.id === u.userId);
            return {
              level: u.level,
              id: u.userId,
              userCode: n?.user_code ?? '',
              fullName: n?.full_name ?? null,
              role: n?.role ?? '',
            };
          }),
          downline: downline.map((d) => ({
            level: d.level,
            id: d.id,
            userCode: d.userCode,
            fullName: d.fullName,
            role: d.role,
            kycStatus: d.kycStatus,
            parentUserCode: d.parentUserCode,
          })),
        };
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
