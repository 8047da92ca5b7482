/**
 * The process every payment that leaves through a provider follows (payout, recharge, bill;
 * shared/design/workflows.md):
 *
 *   record → reserve the amount (a refusal: FAILED with its rule, nothing held)
 *   → send the order with our reference → wait for a webhook or the next status check
 *   → succeeded: capture the hold into the provider's payable account, pay commissions, COMPLETED
 *   → failed: release the hold, FAILED
 *   → then, for a while, listen for a reversal: refund the wallet, claw commissions back, REVERSED.
 *
 * Every decision is taken on the provider's status API (a webhook only wakes us). A pending
 * order is never sent again: after the polling window the payment parks in NEEDS_ATTENTION,
 * still holding the money, until the provider answers (recheck) or an operator decides.
 */
import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { HeldPaymentStart } from '../activities/heldPayments';
import type { HeldPaymentKind, ProviderOrder, ProviderOutcome } from '../activities/providerOrders';
import { formatRupees } from '../domain/money';
import { nextPoll, PollingPlan } from '../domain/polling';
import { compensations, steps } from './activityPolicies';
import { compensate } from './compensation';
import { PaymentAccepted, paymentAcceptedUpdate, PaymentView } from './messages';
import { operatorName, PaymentProgress } from './progress';
import { ProviderRefKey } from './searchAttributes';

export interface HeldPaymentTiming {
  /** When to ask the provider while it is working on the order. */
  polling: PollingPlan;
  /** How long a settled payment keeps listening for the provider's reversal. */
  reversalWatchMs: number;
}

export interface HeldPaymentPlan extends HeldPaymentTiming {
  order: ProviderOrder;
  /** Who the provider is, in words: "the bank", "the recharge operator", "BBPS". */
  provider: string;
  details: HeldPaymentStart['details'];
  /** Share of the amount the uplines may earn (1/10,000); absent: no commissions (payouts). */
  commissionMarginRate?: number;
}

export type HeldPaymentResult = PaymentView & { failureCode?: string };

/** A business rule the ledger or the provider refused with (non-retryable ApplicationFailure). */
function refusal(err: unknown): ApplicationFailure | undefined {
  return err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.nonRetryable ? err.cause : undefined;
}

export async function runHeldPayment(plan: HeldPaymentPlan): Promise<HeldPaymentResult> {
  const { order, provider } = plan;
  const { kind, paymentId }: { kind: HeldPaymentKind; paymentId: string } = order;
  const progress = new PaymentProgress(kind, paymentId, steps.recordPaymentStatus);
  let accepted: PaymentAccepted | undefined;
  setHandler(paymentAcceptedUpdate, async () => {
    await condition(() => accepted !== undefined);
    return accepted!;
  });
  let held = false;
  let captured = false;
  let failureCode: string | undefined;

  const fail = async (reason: string, code: string, actor?: string): Promise<void> => {
    failureCode = code;
    if (held && !(await compensate(progress, 'release the held amount', () => compensations.releasePaymentHold({ kind, paymentId, reason })))) {
      return settleByOperator();
    }
    held = false;
    await progress.moveTo('FAILED', reason, { failureReason: reason, actor });
  };

  // Once the provider has the money, settling our books must finish even if the workflow is cancelled.
  const complete = (outcome: ProviderOutcome, note: string, actor?: string) => CancellationScope.nonCancellable(() => completeNow(outcome, note, actor));
  const completeNow = async (outcome: ProviderOutcome, note: string, actor?: string): Promise<void> => {
    progress.step = 'capturing the held amount';
    const { transactionId } = await steps.captureHeldPayment({ kind, paymentId, outcome });
    captured = true;
    held = false;
    if (plan.commissionMarginRate !== undefined) {
      progress.step = 'paying commissions to the uplines';
      await steps.payPaymentCommissions({ paymentId, userId: order.userId, transactionId, amount: order.amount, marginRate: plan.commissionMarginRate });
    }
    await progress.moveTo('COMPLETED', note, {
      actor,
      failureReason: null,
      ...(outcome.providerRef ? { providerRefs: { provider: outcome.providerRef, ...(outcome.utr ? { utr: outcome.utr } : {}) } } : {}),
    });
  };

  const reverse = (outcome: ProviderOutcome) => CancellationScope.nonCancellable(() => reverseNow(outcome));
  const reverseNow = async (outcome: ProviderOutcome): Promise<void> => {
    const reason = `${provider} reversed the payment${outcome.reason ? ` (${outcome.reason})` : ''}`;
    progress.step = 'refunding the reversed payment to the wallet';
    await steps.refundReversedPayment({ kind, paymentId, reason });
    let note = reason;
    if (plan.commissionMarginRate !== undefined) {
      progress.step = 'clawing back commissions';
      const clawback = await steps.clawBackPaymentCommissions({ paymentId });
      if (clawback.outstanding.length > 0) {
        note += `; commissions not recoverable from ${clawback.outstanding.length} upline wallet(s) (see reconciliation)`;
      }
    }
    await progress.moveTo('REVERSED', note, { failureReason: reason });
  };

  const settleByOperator = async (): Promise<void> => {
    const d = progress.decision!;
    const note = `operator: ${d.reason}`;
    if (d.outcome === 'succeeded') await complete({ outcome: 'succeeded', providerState: 'OPERATOR' }, note, operatorName(d));
    else {
      failureCode = 'operator_failed';
      held = held && !(await compensate(progress, 'release the held amount', () => compensations.releasePaymentHold({ kind, paymentId, reason: d.reason })));
      await progress.moveTo('FAILED', note, { failureReason: d.reason, actor: operatorName(d) });
    }
  };

  /** Acts on one provider answer; true once the payment is settled (completed or failed). */
  const actOn = async (answer: ProviderOutcome | { outcome: 'unknown'; providerState: string }): Promise<boolean> => {
    progress.lastProviderState = answer.providerState;
    switch (answer.outcome) {
      case 'succeeded':
        await complete(answer, `${provider} confirmed the payment (${answer.providerState})`);
        return true;
      case 'failed':
        await fail(`${provider} refused the payment${answer.reason ? `: ${answer.reason}` : ''}`, 'provider_failed');
        return true;
      case 'reversed':
        // Succeeded and undone before we settled it: the wallet simply keeps its money.
        await fail(`${provider} reversed the payment before it settled${answer.reason ? `: ${answer.reason}` : ''}`, 'provider_reversed');
        return true;
      default:
        return false;
    }
  };

  const askProvider = async () => {
    progress.step = `asking ${provider} for the status`;
    const answer = await steps.checkWithProvider({ kind, paymentId });
    progress.providerChecks++;
    return answer;
  };

  try {
    progress.step = 'recording the payment';
    await steps.startHeldPayment({ kind, paymentId, userId: order.userId, amount: order.amount, details: plan.details });
    progress.step = `holding ₹${formatRupees(order.amount)} on the wallet`;
    try {
      await steps.holdPaymentFunds({ kind, paymentId, userId: order.userId, amount: order.amount });
      held = true;
    } catch (err) {
      const refused = refusal(err);
      if (!refused) throw err;
      await fail(refused.message, refused.type ?? 'rejected');
      accepted = { paymentId, status: progress.status, failureCode, failureReason: progress.failureReason };
      return { ...progress.view(), failureCode };
    }
    await progress.moveTo('PROCESSING', `₹${formatRupees(order.amount)} held; sending to ${provider}`);
    // The API answers now: the money is reserved and the order is ours to finish.
    accepted = { paymentId, status: progress.status };

    progress.step = `sending the order to ${provider}`;
    let answer: ProviderOutcome;
    try {
      answer = await steps.sendToProvider(order);
    } catch (err) {
      const refused = refusal(err);
      if (!refused) throw err;
      // A definite refusal; still confirm that nothing was created before giving the money back.
      const found = await askProvider();
      answer = found.outcome === 'unknown' ? { outcome: 'failed', providerState: 'REJECTED', reason: refused.message } : found;
    }
    if (answer.providerRef) upsertSearchAttributes([{ key: ProviderRefKey, value: answer.providerRef }]);

    const sentAt = Date.now();
    let settled = await actOn(answer);
    while (!settled) {
      if (progress.decision) {
        await settleByOperator();
        break;
      }
      const next = nextPoll(plan.polling, Date.now() - sentAt, 0);
      if (!next && progress.status !== 'NEEDS_ATTENTION') {
        await progress.moveTo('NEEDS_ATTENTION', `${provider} still says ${progress.lastProviderState} after the polling window; the amount stays held`);
      }
      progress.step = next
        ? `waiting for ${provider} (webhook or status check at ${new Date(sentAt + next.atMs).toISOString()})`
        : 'waiting for an operator (recheck or resolve)';
      if (next) await progress.waitForNews(sentAt + next.atMs - Date.now());
      else await condition(() => progress.hasNews());
      if (progress.decision) continue;
      progress.takeNews();
      settled = await actOn(await askProvider());
    }

    if (progress.status === 'COMPLETED') await watchForReversal();
    await condition(allHandlersFinished);
    return { ...progress.view(), ...(failureCode ? { failureCode } : {}) };
  } catch (err) {
    // Cancelled while only listening for a reversal: the payment is settled; stop listening.
    if (isCancellation(err) && progress.status === 'COMPLETED') return progress.view();
    if (isCancellation(err) && held && !captured) {
      // Cancelled from the UI while holding money: give it back (ops check the provider first).
      await CancellationScope.nonCancellable(async () => {
        if (await compensate(progress, 'release the held amount', () => compensations.releasePaymentHold({ kind, paymentId, reason: 'cancelled by an operator' }))) {
          await progress.moveTo('FAILED', 'cancelled by an operator', { failureReason: 'cancelled' });
        }
      });
    }
    throw err;
  }

  /**
   * A settled payment can still be undone by the provider (operator reversal, bank return).
   * Webhooks wake us; a few status checks cover a lost one. Cancelling the workflow here just
   * stops listening: the payment stays COMPLETED.
   */
  async function watchForReversal(): Promise<void> {
    const until = Date.now() + plan.reversalWatchMs;
    const checkEvery = Math.max(1000, Math.floor(plan.reversalWatchMs / 6));
    while (Date.now() < until) {
      progress.step = `completed; listening for a reversal until ${new Date(until).toISOString()}`;
      await progress.waitForNews(Math.min(checkEvery, until - Date.now()));
      progress.takeNews();
      const answer = await askProvider();
      progress.lastProviderState = answer.providerState;
      if (answer.outcome === 'reversed') {
        await reverse(answer);
        return;
      }
    }
    progress.step = 'completed';
  }
}
