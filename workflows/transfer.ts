/**
 * Transfer (wallet to wallet): record → one posting sender → recipient → COMPLETED; a business
 * rule refusing it (funds, KYC, limits, inactive account) → FAILED with the rule's code. There is
 * no provider and no hold: the posting is atomic, so there is nothing to compensate.
 */
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
  progress.step = 'recording the transfer';
  await steps.startTransfer(input);
  progress.step = 'posting the transfer';
  try {
    await steps.postTransfer(input);
  } catch (err) {
    const cause = refusal(err);
    if (!cause) throw err;
    await progress.moveTo('FAILED', cause.message, { failureReason: cause.message });
    return { ...progress.view(), failureCode: cause.type ?? 'rejected' };
  }
  await progress.moveTo('COMPLETED', `transferred to ${input.recipientCode}`, { failureReason: null });
  return progress.view();
}
