/**
 * Four-eyes: proposals one admin made (api/operatorActions.ts decides which decisions need
 * one), approved by a different admin, which carries the decision out, or rejected. Both steps
 * are audited; a proposal is carried out once however many admins approve it at once.
 */
import { z } from 'zod';
import {
  Approval,
  claimForApproval,
  getApproval,
  listApprovals,
  markApproved,
  reject,
  releaseClaim,
} from '../../db/approvals';
import { auditedChange, writeAudit } from '../../db/audit';
import { getPayment } from '../../db/payments';
import { ConflictError, ForbiddenError, NotFoundError } from '../../domain/errors';
import { formatRupees, Paise } from '../../domain/money';
import type { AppDeps } from '../deps';
import { defineRoute } from '../http/route';
import { createOperatorActions, RefundRequest, ResolveRequest } from '../operatorActions';
import { clientInfo } from './auth';

const STATUSES = ['pending', 'approving', 'approved', 'rejected'] as const;

export const approvalView = z.object({
  approvalId: z.string(),
  action: z.enum(['resolve', 'refund']),
  paymentId: z.string(),
  request: z.record(z.string(), z.unknown()).describe('what was proposed (amounts in rupees)'),
  status: z.enum(STATUSES).describe('pending until a second admin approves (carried out) or rejects it'),
  proposedBy: z.number(),
  proposedAt: z.string(),
  decidedBy: z.number().nullable(),
  decidedAt: z.string().nullable(),
  decisionNote: z.string().nullable(),
  result: z.unknown().nullable(),
});

export function toApprovalView(a: Approval): z.infer<typeof approvalView> {
  const { amount, ...rest } = a.request as { amount?: number };
  return {
    approvalId: a.id,
    action: a.action,
    paymentId: a.paymentId,
    request: amount === undefined ? rest : { ...rest, amount: formatRupees(amount as Paise) },
    status: a.status,
    proposedBy: a.proposedBy,
    proposedAt: new Date(a.proposedAt).toISOString(),
    decidedBy: a.decidedBy,
    decidedAt: a.decidedAt ? new Date(a.decidedAt).toISOString() : null,
    decisionNote: a.decisionNote,
    result: a.result ?? null,
  };
}

const params = z.object({ id: z.string().regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, 'an approval id') });

export function adminApprovalRoutes(deps: AppDeps) {
  const { knex } = deps;
  const actions = createOperatorActions(deps);
  const found = async (id: string) => {
    const a = await getApproval(knex, id);
    if (!a) throw new NotFoundError('no such approval');
    return a;
  };

  return [
    defineRoute({
      method: 'get',
      path: '/v1/admin/approvals',
      summary: 'Proposals awaiting (or decided by) a second admin, newest first',
      tag: 'admin',
      access: 'admin',
      query: z.strictObject({
        status: z.enum(STATUSES).optional(),
        limit: z.coerce.number().int().min(1).max(200).default(50),
      }),
      responses: { 200: z.object({ items: z.array(approvalView) }) },
      handler: async ({ query }) => ({
        body: { items: (await listApprovals(knex, query.status, query.limit)).map(toApprovalView) },
      }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/admin/approvals/:id',
      summary: 'One proposal',
      tag: 'admin',
      access: 'admin',
      params,
      responses: { 200: approvalView },
      handler: async ({ params: p }) => ({ body: toApprovalView(await found(p.id)) }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/admin/approvals/:id/approve',
      summary: 'Approve another admin’s proposal: it is carried out now',
      tag: 'admin',
      access: 'admin',
      params,
      body: z.strictObject({ note: z.string().trim().min(3).max(500).optional() }),
      responses: { 200: approvalView },
      handler: async ({ params: p, body, user, ctx }) => {
        const proposal = await found(p.id);
        if (proposal.proposedBy === user.id) {
          throw new ForbiddenError(
            'a proposal needs a second admin: the one who proposed it cannot approve it',
            'four_eyes_required',
          );
        }
        if (!(await claimForApproval(knex, proposal.id, user.id))) {
          throw new ConflictError(`this proposal is already ${(await found(p.id)).status}`, 'invalid_state');
        }
        const payment = await getPayment(knex, proposal.paymentId);
        const proposer = (await knex('users').where({ id: proposal.proposedBy }).first('user_code'))
          .user_code as string;
        let result: unknown;
        try {
          if (proposal.action === 'resolve') {
            const r = proposal.request as unknown as ResolveRequest;
            // The workflow records the approver as the operator; the reason names both.
            await actions.resolve(
              payment,
              { ...r, reason: `${r.reason} (proposed by ${proposer}, approved by ${user.userCode})` },
              user.userCode,
            );
            result = { resolved: r.outcome };
          } else {
            const r = proposal.request as unknown as RefundRequest;
            await actions.refund(payment, r, proposer);
            result = { refundId: r.refundId };
          }
        } catch (err) {
          await releaseClaim(knex, proposal.id);
          await writeAudit(knex, {
            actorUserId: user.id,
            action: 'admin.approvals.approve',
            targetType: 'approval',
            targetId: proposal.id,
            outcome: 'failure',
            details: { paymentId: proposal.paymentId, error: (err as Error).message },
            ...clientInfo(ctx),
          });
          throw err;
        }
        await auditedChange(
          knex,
          (trx) => markApproved(trx, proposal.id, result, body.note ?? null),
          () => ({
            actorUserId: user.id,
            action: 'admin.approvals.approve',
            targetType: 'approval',
            targetId: proposal.id,
            outcome: 'success',
            details: {
              paymentId: proposal.paymentId,
              action: proposal.action,
              proposedBy: proposal.proposedBy,
              result,
            },
            ...clientInfo(ctx),
          }),
        );
        return { body: toApprovalView(await found(p.id)) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/admin/approvals/:id/reject',
      summary: 'Reject a proposal (or withdraw your own): nothing is carried out',
      tag: 'admin',
      access: 'admin',
      params,
      body: z.strictObject({ note: z.string().trim().min(3).max(500) }),
      responses: { 200: approvalView },
      handler: async ({ params: p, body, user, ctx }) => {
        const proposal = await found(p.id);
        const rejected = await auditedChange(
          knex,
          (trx) => reject(trx, proposal.id, user.id, body.note),
          (done) =>
            done
              ? {
                  actorUserId: user.id,
                  action: 'admin.approvals.reject',
                  targetType: 'approval',
                  targetId: proposal.id,
                  outcome: 'success',
                  details: { paymentId: proposal.paymentId, note: body.note },
                  ...clientInfo(ctx),
                }
              : null,
        );
        if (!rejected) {
          throw new ConflictError(`this proposal is already ${(await found(p.id)).status}`, 'invalid_state');
        }
        return { body: toApprovalView(await found(p.id)) };
      },
    }),
  ];
}
