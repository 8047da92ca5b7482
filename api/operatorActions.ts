/**
 * What an admin's decisions on money do, in one place for the two ways they happen: directly
 * through the admin API, or when a second admin approves a proposal (four-eyes). Which decisions
 * need the second admin is decided here too (`needsSecondAdmin`).
 */
import { clearOrphan, markOrphaned, PaymentRecord } from '../db/payments';
import { refundedOf } from '../db/refunds';
import { decisionKeyFrom, signDecision } from '../domain/decisionProof';
import { Paise, parseRupees } from '../domain/money';
import { isOpen } from '../domain/payments';
import { PHONEPE_POLLING, scalePlan } from '../domain/polling';
import type { OperatorDecision } from '../workflows/messages';
import type { AppDeps } from './deps';
import { workflowsOf } from './routes/payments';

export interface ResolveRequest {
  outcome: 'succeeded' | 'failed';
  reason: string;
}

export interface RefundRequest {
  amount: Paise;
  reason: string;
  /** Chosen when the refund is first asked for, so carrying it out twice starts one refund. */
  refundId: string;
}

export type ApprovalRequest =
  { action: 'resolve'; request: ResolveRequest } | { action: 'refund'; request: RefundRequest };

/**
 * Decisions that create money no provider confirmed need a second admin: an operator
 * "succeeded" on a top-up credits the wallet although PhonePe never said it was paid, and a
 * refund that takes what is refunded of a top-up above FOUR_EYES_REFUND_ABOVE sends that much
 * to a bank (counted over the top-up's refunds, so splitting one into small ones gains nothing).
 */
export async function needsSecondAdmin(deps: AppDeps, payment: PaymentRecord, a: ApprovalRequest): Promise<boolean> {
  if (a.action === 'resolve') return payment.kind === 'topup' && a.request.outcome === 'succeeded';
  const refunded = await refundedOf(deps.knex, payment.id);
  return refunded + a.request.amount > parseRupees(deps.config.FOUR_EYES_REFUND_ABOVE);
}

export function createOperatorActions(deps: AppDeps) {
  const { knex, config } = deps;
  const decisionKey = decisionKeyFrom(config.JWT_SECRET);

  /** An open payment whose workflow has stopped (marked by the sweeper, or not yet): a recovery run takes over. */
  const needsRecovery = async (rec: PaymentRecord) =>
    rec.orphanReason !== null || (isOpen(rec.status) && !(await workflowsOf(deps).isRunning(rec.workflowId)));

  async function recover(rec: PaymentRecord, by: string, decision?: OperatorDecision) {
    await clearOrphan(knex, rec.id, by);
    try {
      return await workflowsOf(deps).recover(rec.workflowId, rec.status, decision);
    } catch (err) {
      if (rec.orphanReason) await markOrphaned(knex, rec.id, rec.orphanReason);
      throw err;
    }
  }

  return {
    needsRecovery,
    recover,

    /** Settles `rec` as the operator decided, signed so the workflow knows it came from here. */
    async resolve(rec: PaymentRecord, r: ResolveRequest, operator: string): Promise<void> {
      const decision = {
        ...r,
        operator,
        proof: signDecision(decisionKey, { paymentId: rec.id, outcome: r.outcome, reason: r.reason, operator }),
      };
      if (await needsRecovery(rec)) await recover(rec, operator, decision);
      else await workflowsOf(deps).resolve(rec.workflowId, decision);
    },

    /** Starts the refund of a completed top-up (idempotent by `refundId`). */
    async refund(topUp: PaymentRecord, r: RefundRequest, requestedBy: string): Promise<void> {
      await workflowsOf(deps).startRefund(
        {
          refundId: r.refundId,
          topUpId: topUp.id,
          originalMerchantOrderId: topUp.providerRef ?? topUp.id,
          amount: r.amount,
          reason: r.reason,
          requestedBy,
          polling: refundPolling(config.POLLING_TIME_SCALE),
          providerCallBudgetMs: config.PROVIDER_CALL_BUDGET_SECONDS * 1000,
        },
        requestedBy,
      );
    },
  };
}

export type OperatorActions = ReturnType<typeof createOperatorActions>;

/** Refunds settle in minutes to days: quick checks first, then hourly-ish for a week. */
function refundPolling(scale: number) {
  return scalePlan(
    {
      ...PHONEPE_POLLING,
      firstCheckMs: 5_000,
      phases: [{ everyMs: 5_000, forMs: 60_000 }],
      steadyEveryMs: 60_000,
      graceMs: 10 * 60_000,
      lateEveryMs: 30 * 60_000,
      lateWindowMs: 7 * 24 * 3_600_000,
    },
    scale,
  );
}
