/**
 * Transfer (wallet to wallet): record → one posting sender → recipient → COMPLETED; a business
 * rule refusing it (funds, KYC, limits, inactive account) → FAILED with the rule's code. There is
 * no provider and no hold: the posting is atomic, so there is nothing to compensate.
 *
 * Two workflow types run it. The API starts `transferWorkflowV2`. `transferWorkflow` is the
 * type transfers were started under until then, kept unchanged for the histories it left (and
 * for recovery runs, which keep a stopped workflow's type). A new type instead of a patch: a
 * patch leaves a marker and a search-attribute upsert in every history that asks it, and a
 * transfer, which lives milliseconds, needs no patch to find its old workflows
 * (docs/workflows.md, "The transfer").
 */
import { patched } from '@temporalio/workflow';
import type { TransferInput } from '../domain/contracts';
import { Policies, policies, policiesInWorker } from './activityPolicies';
import { PaymentView, RecoveryStart } from './messages';
import { PaymentProgress } from './progress';
import { refusal } from './refusals';

type TransferStart = TransferInput & { recovery?: RecoveryStart };
export type TransferResult = PaymentView & { failureCode?: string };

/** A transfer: record, post and COMPLETED in one local activity and one database transaction. */
export async function transferWorkflowV2(input: TransferStart): Promise<TransferResult> {
  const { steps, recordStatus } = policiesInWorker(() => progress.step);
  const progress = new PaymentProgress('transfer', input.paymentId, recordStatus, input.recovery?.status);
  if (input.recovery) return recover(progress, steps, input);
  progress.step = 'recording and posting the transfer, then COMPLETED';
  try {
    await progress.moveOnceRecorded('COMPLETED', `transferred to ${input.recipientCode}`, (change) =>
      steps.completeTransfer({ ...input, completed: change }),
    );
  } catch (err) {
    return failIfRefused(progress, err);
  }
  return progress.view();
}

/**
 * The transfers started before `transferWorkflowV2`: three local activities (record, post,
 * COMPLETED), or regular ones before the `local-db-steps` patch, or the one step behind the
 * `transfer-in-one-step` patch. Started now only by a recovery run of one of its stopped
 * workflows; never changed, so its histories replay.
 */
export async function transferWorkflow(input: TransferStart): Promise<TransferResult> {
  const { steps, recordStatus } = policies(() => progress.step);
  const progress = new PaymentProgress('transfer', input.paymentId, recordStatus, input.recovery?.status);
  if (input.recovery) return recover(progress, steps, input);
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
    return failIfRefused(progress, err);
  }
  // Already there when the one step recorded it (a move to the same status does nothing).
  await progress.moveTo('COMPLETED', completed, { failureReason: null });
  return progress.view();
}

/** The earlier workflow stopped: the posting either happened (atomically) or never will. */
async function recover(progress: PaymentProgress, steps: Policies['steps'], input: TransferStart) {
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

/** A business rule refused the transfer: FAILED with the rule's reason, answered with its code. */
async function failIfRefused(progress: PaymentProgress, err: unknown): Promise<TransferResult> {
  const cause = refusal(err);
  if (!cause) throw err;
  await progress.moveTo('FAILED', cause.message, { failureReason: cause.message });
  return { ...progress.view(), failureCode: cause.type ?? 'rejected' };
}

/**
 * The patch behind which a `transferWorkflow` records, posts and completes in one local activity
 * instead of three (docs/performance.md).
 */
export const TRANSFER_IN_ONE_STEP = 'transfer-in-one-step';
