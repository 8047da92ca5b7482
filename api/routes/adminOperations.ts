/**
 * What ops and finance act on outside a payment's own workflow: provider events no workflow
 * could take (settled by hand, then marked here), and the orphan sweep and reconciliation on
 * demand.
 */
import { z } from 'zod';
import { auditedChange, writeAudit } from '../../db/audit';
import { settleWebhook, undeliveredWebhooks } from '../../db/webhooks';
import { NotFoundError } from '../../domain/errors';
import type { AppDeps } from '../deps';
import { defineRoute } from '../http/route';
import { positiveId } from '../schemas';
import { clientInfo } from './auth';
import { workflowsOf } from './payments';

const undeliveredView = z.object({
  id: z.number(),
  provider: z.string(),
  paymentId: z.string(),
  eventType: z.string(),
  receivedAt: z.string(),
  reason: z.string().nullable(),
});

const toView = (w: Awaited<ReturnType<typeof undeliveredWebhooks>>[number]) => ({
  id: w.id,
  provider: w.provider,
  paymentId: w.providerRef,
  eventType: w.eventType,
  receivedAt: new Date(w.receivedAt).toISOString(),
  reason: w.reason,
});

export function adminOperationRoutes(deps: AppDeps) {
  const { knex } = deps;
  return [
    defineRoute({
      method: 'get',
      path: '/v1/admin/webhooks/undelivered',
      summary:
        'Provider events no workflow took: contradicting a closed payment (for finance), or waiting over an hour for their payment',
      tag: 'admin',
      access: 'admin',
      responses: { 200: z.object({ items: z.array(undeliveredView) }) },
      handler: async () => ({
        body: { items: (await undeliveredWebhooks(knex, new Date(Date.now() - 3_600_000))).map(toView) },
      }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/admin/webhooks/:id/settle',
      summary: 'Finance has dealt with an undelivered event (say how): it leaves the lists',
      tag: 'admin',
      access: 'admin',
      params: z.object({ id: positiveId }),
      body: z.strictObject({ note: z.string().trim().min(3).max(500) }),
      responses: { 200: undeliveredView.extend({ settledBy: z.string(), note: z.string() }) },
      handler: async ({ params, body, user, ctx }) => {
        const settled = await auditedChange(
          knex,
          (trx) => settleWebhook(trx, params.id, { by: user.userCode, note: body.note }),
          (done) => ({
            actorUserId: user.id,
            action: 'admin.webhooks.settle',
            targetType: 'webhook_event',
            targetId: params.id,
            outcome: done ? 'success' : 'failure',
            details: body,
            ...clientInfo(ctx),
          }),
        );
        if (!settled) throw new NotFoundError('no undelivered, unsettled event with this id');
        return { body: { ...toView(settled), settledBy: user.userCode, note: body.note } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/admin/reconciliation/run',
      summary: 'Run the orphan sweep and the reconciliation now; answers with both results',
      tag: 'admin',
      access: 'admin',
      responses: {
        200: z.object({
          sweep: z.object({
            checked: z.number(),
            orphaned: z.array(z.object({ paymentId: z.string(), reason: z.string() })),
          }),
          reconciliation: z.object({
            reportId: z.number(),
            ok: z.boolean(),
            failedChecks: z.array(z.string()),
            attention: z.record(z.string(), z.number()),
          }),
        }),
      },
      handler: async ({ user, ctx }) => {
        const result = await workflowsOf(deps).runReconciliation();
        await writeAudit(knex, {
          actorUserId: user.id,
          action: 'admin.reconciliation.run',
          outcome: 'success',
          details: { orphaned: result.sweep.orphaned.length, ok: result.reconciliation.ok },
          ...clientInfo(ctx),
        });
        return { body: result };
      },
    }),
  ];
}
