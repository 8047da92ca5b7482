/**
 * Reversals of settled payouts, recharges and bills, after their workflow has closed.
 *
 * A settled payment can still be undone by its provider (an operator reversal, a bank return)
 * for `REVERSAL_WATCH_HOURS`. Keeping each payment's workflow open that long made the worker's
 * memory and the Temporal server's work grow with every payment of the last three days, so the
 * payment's workflow closes at settlement and starts a watch on its read-model row instead
 * (db/reversalWatch.ts). Then:
 *
 *   a reversal webhook (relayed by the API) or a due check of the reversal sweep (a Temporal
 *   Schedule, every minute) that finds the provider reporting a reversal
 *   → a reversal run: ask the provider; reversed → refund the wallet, claw the commissions
 *     back, REVERSED; anything else → nothing to do.
 *
 * A reversal run's id is `<kind>:<paymentId>:reversal`: a webhook and a sweep finding the same
 * reversal while a run is going join it, and every posting is idempotent on the payment's
 * reference, so a later run books nothing twice.
 */
import { log, ParentClosePolicy, proxyActivities, startChild, upsertSearchAttributes } from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Activities } from '../activities';
import type { HeldPaymentKind, ProviderOutcome, ReversalSweepResult } from '../domain/contracts';
import { HELD_KINDS } from '../domain/heldKinds';
import { reversalWorkflowIdFor } from '../domain/payments';
import { Policies, policies } from './activityPolicies';
import type { PaymentView } from './messages';
import { PaymentProgress } from './progress';
import { failureMessage } from './refusals';
import { PaymentKindKey } from './searchAttributes';

/**
 * Books a reversal the provider reported: the whole amount back to the wallet, the commissions
 * clawed back where the uplines still have them, REVERSED. Not cancellable in effect: every
 * step is idempotent and the caller runs it to its end.
 */
export async function bookReversal(b: {
  progress: PaymentProgress;
  steps: Policies['steps'];
  kind: HeldPaymentKind;
  paymentId: string;
  who: string;
  outcome: ProviderOutcome;
  clawBack: boolean;
}): Promise<void> {
  const { progress } = b;
  const reason = `${b.who} reversed the payment${b.outcome.reason ? ` (${b.outcome.reason})` : ''}`;
  progress.step = 'refunding the reversed payment to the wallet';
  await b.steps.refundReversedPayment({ kind: b.kind, paymentId: b.paymentId, reason });
  let note = reason;
  if (b.clawBack) {
    progress.step = 'clawing back commissions';
    const clawback = await b.steps.clawBackPaymentCommissions({ paymentId: b.paymentId });
    if (clawback.outstanding.length > 0) {
      note += `; commissions not recoverable from ${clawback.outstanding.length} upline wallet(s) (see reconciliation)`;
    }
  }
  await progress.moveTo('REVERSED', note, { failureReason: reason });
}

export interface ReversalInput {
  kind: HeldPaymentKind;
  paymentId: string;
  /** How long the provider may be asked before the run gives up (the next scheduled check asks again). */
  providerCallBudgetMs?: number;
}

/** Asks the provider about one settled payment and books the reversal it reports, once. */
export async function reversalWorkflow(input: ReversalInput): Promise<PaymentView> {
  const who = HELD_KINDS[input.kind].provider;
  // The policies read the current step only when an activity is called, after `progress` exists.
  const acts = policies(() => progress.step, input.providerCallBudgetMs);
  const progress = new PaymentProgress(input.kind, input.paymentId, acts.recordStatus, 'COMPLETED');
  upsertSearchAttributes([{ key: PaymentKindKey, value: input.kind }]);
  progress.step = `asking ${who} whether it reversed the payment`;
  let answer;
  try {
    answer = await acts.provider.checkWithProvider({ kind: input.kind, paymentId: input.paymentId });
  } catch (err) {
    await acts.steps.checkReversalAgainSoon({ paymentId: input.paymentId });
    progress.step = `${who} could not be asked (${failureMessage(err)}); the reversal sweep asks again within minutes`;
    return progress.view();
  }
  progress.providerChecks++;
  progress.lastProviderState = answer.providerState;
  if (answer.outcome !== 'reversed') {
    // Its status API may lag behind the webhook that started this run.
    await acts.steps.checkReversalAgainSoon({ paymentId: input.paymentId });
    progress.step = `${who} says ${answer.providerState}: nothing to reverse (the reversal sweep asks again within minutes)`;
    return progress.view();
  }
  await bookReversal({
    progress,
    steps: acts.steps,
    kind: input.kind,
    paymentId: input.paymentId,
    who,
    outcome: answer,
    // Payouts earn no commissions; asking costs nothing when none were paid.
    clawBack: true,
  });
  progress.step = 'reversed';
  return progress.view();
}

const { sweepReversalChecks } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '1 minute',
  retry: { maximumAttempts: 3 },
});

/**
 * The reversal sweep (every minute, by a Temporal Schedule): asks the provider about each
 * settled payment whose check is due (a lost reversal webhook is found this way) and starts a
 * reversal run for each one reported reversed.
 */
export async function reversalSweepWorkflow(): Promise<ReversalSweepResult> {
  const result = await sweepReversalChecks();
  for (const r of result.reversed) {
    try {
      await startChild(reversalWorkflow, {
        workflowId: reversalWorkflowIdFor(r.kind, r.paymentId),
        args: [{ kind: r.kind, paymentId: r.paymentId }],
        // The run books the reversal whether or not this sweep is still there to see it.
        parentClosePolicy: ParentClosePolicy.ABANDON,
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err; // a webhook started it first
    }
  }
  if (result.reversed.length > 0) log.warn('settled payments reported reversed', { reversed: result.reversed });
  return result;
}
