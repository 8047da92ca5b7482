/** Proposals awaiting a second admin (migration 016). */
import type { Knex } from 'knex';
import { newUlid } from './ids';

export type ApprovalAction = 'resolve' | 'refund';
export type ApprovalStatus = 'pending' | 'approving' | 'approved' | 'rejected';

export interface Approval {
  id: string;
  action: ApprovalAction;
  paymentId: string;
  request: Record<string, unknown>;
  status: ApprovalStatus;
  proposedBy: number;
  proposedAt: Date;
  decidedBy: number | null;
  decidedAt: Date | null;
  decisionNote: string | null;
  result: unknown;
}

const json = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);

function toApproval(r: Record<string, any>): Approval {
  return {
    id: r.id,
    action: r.action,
    paymentId: r.payment_id,
    request: json(r.request),
    status: r.status,
    proposedBy: r.proposed_by,
    proposedAt: r.proposed_at,
    decidedBy: r.decided_by,
    decidedAt: r.decided_at,
    decisionNote: r.decision_note,
    result: r.result === null ? null : json(r.result),
  };
}

/**
 * A new proposal, or the open one for the same payment and action: one proposal at a time per
 * decision (the payment row is locked while it is looked for, so two admins proposing at once
 * get the same one).
 */
export async function propose(
  knex: Knex,
  p: { action: ApprovalAction; paymentId: string; request: Record<string, unknown>; proposedBy: number },
): Promise<{ approval: Approval; created: boolean }> {
  return knex.transaction(async (trx) => {
    await trx('payment_records').where({ id: p.paymentId }).forUpdate().first('id');
    const open = await trx('operator_approvals')
      .where({ payment_id: p.paymentId, action: p.action })
      .whereIn('status', ['pending', 'approving'])
      .first();
    if (open) return { approval: toApproval(open), created: false };
    const id = newUlid();
    await trx('operator_approvals').insert({
      id,
      action: p.action,
      payment_id: p.paymentId,
      request: JSON.stringify(p.request),
      proposed_by: p.proposedBy,
    });
    return { approval: toApproval(await trx('operator_approvals').where({ id }).first()), created: true };
  });
}

export async function getApproval(knex: Knex, id: string): Promise<Approval | undefined> {
  const row = await knex('operator_approvals').where({ id }).first();
  return row ? toApproval(row) : undefined;
}

export async function listApprovals(
  knex: Knex,
  status: ApprovalStatus | undefined,
  limit: number,
): Promise<Approval[]> {
  const q = knex('operator_approvals').orderBy('proposed_at', 'desc').limit(limit);
  return (await (status ? q.where({ status }) : q)).map(toApproval);
}

/**
 * A claim this old was left by an API process that died while carrying the proposal out: it may
 * be taken again (carrying out is idempotent: the refund has its id, a resolve its workflow).
 */
const ABANDONED_CLAIM_MS = 5 * 60_000;

/** Takes a pending proposal for carrying out; false when another admin took or decided it first. */
export async function claimForApproval(knex: Knex, id: string, approver: number, now = new Date()): Promise<boolean> {
  const n = await knex('operator_approvals')
    .where({ id })
    .where((q) =>
      q
        .where({ status: 'pending' })
        .orWhere((abandoned) =>
          abandoned
            .where({ status: 'approving' })
            .where('decided_at', '<', new Date(now.getTime() - ABANDONED_CLAIM_MS)),
        ),
    )
    .update({ status: 'approving', decided_by: approver, decided_at: now });
  return n === 1;
}

/** Carrying it out failed: back to pending, for another try. */
export async function releaseClaim(knex: Knex, id: string): Promise<void> {
  await knex('operator_approvals')
    .where({ id, status: 'approving' })
    .update({ status: 'pending', decided_by: null, decided_at: null });
}

export async function markApproved(knex: Knex, id: string, result: unknown, note: string | null): Promise<void> {
  await knex('operator_approvals')
    .where({ id, status: 'approving' })
    .update({ status: 'approved', result: JSON.stringify(result), decision_note: note });
}

export async function reject(knex: Knex, id: string, by: number, note: string): Promise<boolean> {
  const n = await knex('operator_approvals')
    .where({ id, status: 'pending' })
    .update({ status: 'rejected', decided_by: by, decided_at: new Date(), decision_note: note });
  return n === 1;
}
