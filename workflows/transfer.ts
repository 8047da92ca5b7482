/**
 * Transfer (wallet to wallet): record → one posting sender → recipient → COMPLETED; a business
 * rule refusing it (funds, KYC, limits, inactive account) → FAILED with the rule's code. There is
 * no provider and no hold: the posting is atomic, so there is nothing to compensate.
 */
import { patched } from '@temporalio/workflow';
import type { TransferInput } from '../domain/contracts';
import { policies } from './activityPolicies';
import { PaymentView, RecoveryStart } from './messages';
import { PaymentProgress } from './progress';
import { refusal } from './refusals';

export async function transferWorkflow(
  input: TransferInput & { recovery?: RecoveryStart },
): Promise<PaymentView & { failureCode?: string }> {
  const { steps, recordStatus } = policies(() => progress.step);
  const progress = new PaymentProgress('transfer', input.paymentId, recordStatus, input.recovery?.status);
  if (input.recovery) {
    // The earlier workflow stopped: the posting either happened (atomically) or never will.
    const money = await steps.inspectMoney({ kind: 'transfer', paymentId: input.paymentId });
    if (money.settled)
      await progress.moveTo('COMPLETED', `recovery: the transfer to ${input.recipientCode} had been posted`, {
        failureReason: null,
      });
    else
      await progress.moveTo(
        'FAILED',
        'recovery: the earlier workflow stopped before the transfer was posted; nothing moved',
        { failureReason: 'stopped before posting' },
      );
    return progress.view();
  }
  const completed = `transferred to ${input.recipientCode}`;
  const oneStep = patched(TRANSFER_IN_ONE_STEP);
  if (!oneStep) {
    progress.step = 'recording the transfer';
    await steps.startTransfer(input);
  }
  progress.step = oneStep ? 'recording and posting the transfer, then COMPLETED' : 'posting the transfer';
  try {
    if (oneStep)
      await progress.moveOnceRecorded('COMPLETED', completed, (change) =>
        steps.completeTransfer({ ...input, completed: change }),
      );
    else await steps.postTransfer(input);
  } catch (err) {
    const cause = refusal(err);
    if (!cause) throw err;
    await progress.moveTo('FAILED', cause.message, { failureReason: cause.message });
    return { ...progress.view(), failureCode: cause.type ?? 'rejected' };
  }
  // Already there when the one step recorded it (a move to the same status does nothing).
  await progress.moveTo('COMPLETED', completed, { failureReason: null });
  return progress.view();
}

/**
 * The patch behind which a transfer records, posts and completes in one local activity instead
 * of three (one pass through the worker's activation loop instead of three; docs/performance.md).
 * A transfer started earlier replays with its three steps.
 */
export const TRANSFER_IN_ONE_STEP = 'transfer-in-one-step';
