/**
 * A Cancel from the Temporal UI or CLI stops a payment's waiting, never its money: the process
 * is interrupted, `settleAfterCancel` then runs to its end (non-cancellable) and decides, with
 * the provider, what the held money becomes; the workflow ends cancelled. Either way an
 * operator's update in flight receives its answer before the workflow closes.
 */
import {
  allHandlersFinished,
  CancellationScope,
  CancelledFailure,
  condition,
  isCancellation,
} from '@temporalio/workflow';

export async function runUnlessCancelled(
  process: () => Promise<void>,
  settleAfterCancel: () => Promise<void>,
): Promise<void> {
  const root = CancellationScope.current();
  try {
    await process();
  } catch (err) {
    if (!root.consideredCancelled) throw err;
    await CancellationScope.nonCancellable(async () => {
      await settleAfterCancel();
      await condition(allHandlersFinished);
    });
    throw isCancellation(err) ? err : new CancelledFailure('cancelled by an operator');
  }
  await CancellationScope.nonCancellable(() => condition(allHandlersFinished));
}
