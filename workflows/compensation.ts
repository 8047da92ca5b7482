/**
 * Compensation (release a hold, refund a posting) must happen even if the workflow is being
 * cancelled, and must never be skipped quietly. It runs non-cancellable; its activity retries
 * on its own policy; when that gives up, the payment parks in NEEDS_ATTENTION until ops send
 * `recheck` (try again) or `operatorResolve` (take over). Returns false when an operator took over.
 */
import { CancellationScope, condition } from '@temporalio/workflow';
import { PaymentProgress } from './progress';

export async function compensate(progress: PaymentProgress, what: string, action: () => Promise<void>): Promise<boolean> {
  return CancellationScope.nonCancellable(async () => {
    for (;;) {
      progress.step = what;
      try {
        await action();
        return true;
      } catch (err) {
        await progress.moveTo('NEEDS_ATTENTION', `could not ${what}: ${(err as Error).message}; send recheck to retry or operatorResolve to settle`);
        await condition(() => progress.hasNews());
        if (progress.decision) return false;
        progress.takeNews();
      }
    }
  });
}
