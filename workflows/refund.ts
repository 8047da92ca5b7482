/**
 * Refund of a top-up to the customer's bank (admin action; shared/design/workflows.md):
 *   hold the amount on the wallet (≤ what is left of the top-up, ≤ available) → PhonePe refund
 *   with our refund id → poll its status (PENDING → CONFIRMED → COMPLETED | FAILED), never
 *   resending → COMPLETED: capture the hold wallet → PHONEPE_CLEARING; FAILED: release it.
 */
import { ActivityFailure, allHandlersFinished, ApplicationFailure, CancellationScope, condition, isCancellation } from '@temporalio/workflow';
import { formatRupees, Paise } from '../domain/money';
import { nextPoll, PollingPlan } from '../domain/polling';
import { compensate } from './compensation';
import { compensations, steps } from './activityPolicies';
import { PaymentView } from './messages';
import { operatorName, PaymentProgress } from './progress';

export interface RefundInput {
  refundId: string;
  topUpId: string;
  amount: Paise;
  reason: string;
  requestedBy: string;
  polling: PollingPlan;
}


/** A business-rule refusal from an activity (insufficient funds, refund too large, …). */
function businessRefusal(err: unknown): string | undefined {
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.nonRetryable) return err.cause.message;
  return undefined;
}

export async function refundWorkflow(input: RefundInput): Promise<PaymentView> {
  const { refundId, topUpId, amount } = input;
  const progress = new PaymentProgress('refund', refundId, steps.recordPaymentStatus);
  let held = false;

  const release = async (why: string, actor?: string) => {
    if (held && !(await compensate(progress, 'release the refund hold', () => compensations.releaseRefundHold({ refundId, reason: why })))) {
      return settleByOperator();
    }
    await progress.moveTo('FAILED', why, { failureReason: why, actor });
  };
  const capture = async (note: string, actor?: string) => {
    progress.step = 'capturing the refunded amount';
    await steps.captureRefund({ refundId, topUpId, amount, reason: input.reason });
    await progress.moveTo('COMPLETED', note, { actor, failureReason: null });
  };
  const settleByOperator = async (): Promise<void> => {
    const d = progress.decision!;
    if (d.outcome === 'succeeded') await capture(`operator: ${d.reason}`, operatorName(d));
    else {
      held = held && (await compensate(progress, 'release the refund hold', () => compensations.releaseRefundHold({ refundId, reason: d.reason })));
      await progress.moveTo('FAILED', `operator: ${d.reason}`, { failureReason: d.reason, actor: operatorName(d) });
    }
  };

  try {
    progress.step = 'checking and recording the refund';
    let userId: number;
    try {
      const started = await steps.startRefund({ refundId, topUpId, amount, reason: input.reason, requestedBy: input.requestedBy });
      if (started.refusal) {
        await release(`refund refused: ${started.refusal}`);
        return progress.view();
      }
      userId = started.userId;
      progress.step = `holding ₹${formatRupees(amount)} on the wallet`;
      await steps.holdRefundAmount({ refundId, userId, amount });
      held = true;
    } catch (err) {
      const refusal = businessRefusal(err);
      if (!refusal) throw err;
      await release(`refund refused: ${refusal}`);
      return progress.view();
    }

    progress.step = 'asking PhonePe to refund';
    const first = await steps.requestPhonePeRefund({ refundId, topUpId, amount });
    progress.lastProviderState = first.state;
    await progress.moveTo('PROCESSING', `PhonePe accepted the refund (${first.state})`, { providerRef: refundId });

    const startedAt = Date.now();
    let state: string = first.state;
    for (;;) {
      if (progress.decision) {
        await settleByOperator();
        break;
      }
      if (state === 'COMPLETED') {
        await capture('PhonePe completed the refund');
        break;
      }
      if (state === 'FAILED') {
        await release('PhonePe reported the refund failed');
        break;
      }
      const next = nextPoll(input.polling, Date.now() - startedAt, 0);
      if (!next) {
        await progress.moveTo('NEEDS_ATTENTION', `PhonePe refund still ${state} after the polling window`);
        await condition(() => progress.hasNews());
      } else {
        progress.step = `waiting for PhonePe (refund ${state})`;
        await progress.waitForNews(startedAt + next.atMs - Date.now());
      }
      if (progress.decision) continue;
      progress.takeNews();
      const st = await steps.checkPhonePeRefund(refundId);
      progress.providerChecks++;
      progress.lastProviderState = st.state;
      // NOT_FOUND after PhonePe accepted it would be PhonePe's inconsistency: keep asking.
      if (st.state !== 'NOT_FOUND') state = st.state;
    }
    // Let an operator's update call receive its answer before the workflow closes.
    await condition(allHandlersFinished);
    return progress.view();
  } catch (err) {
    if (isCancellation(err) && held && progress.status !== 'COMPLETED' && progress.status !== 'FAILED') {
      // Cancelled from the UI: the hold must not stay on the wallet. PhonePe may still pay the
      // refund, which is why cancelling after PROCESSING is for ops who checked PhonePe first.
      await CancellationScope.nonCancellable(async () => {
        if (await compensate(progress, 'release the refund hold', () => compensations.releaseRefundHold({ refundId, reason: 'cancelled by an operator' }))) {
          await progress.moveTo('FAILED', 'cancelled by an operator', { failureReason: 'cancelled' });
        }
      });
    }
    throw err;
  }
}
