/**
 * Compensation (release a hold) must happen even if the workflow is being cancelled, and must
 * never be skipped quietly: a payment is never FAILED while it holds money. It runs
 * non-cancellable; its activity retries on its own bounded policy; when that gives up, the
 * payment parks in NEEDS_ATTENTION and tries again on `recheck` or by itself every minute.
 */
import { CancellationScope, condition } from '@temporalio/workflow';
import { PaymentProgress } from './progress';
import { failureMessage } from './refusals';

/** A parked compensation tries again by itself this often (a recheck retries at once). */
export const PARKED_COMPENSATION_RETRY_MS = 60_000;

/**
 * 'done' once the action succeeded. When `operatorMayTakeOver`, an operator decision arriving
 * while parked is handed back ('operator-decided') for the caller to apply; otherwise (the
 * action is how a decision is being applied) only success ends the loop.
 */
export async function compensate(
  progress: PaymentProgress,
  what: string,
  action: () => Promise<void>,
  opts: { operatorMayTakeOver: boolean },
): Promise<'done' | 'operator-decided'> {
  return CancellationScope.nonCancellable(async () => {
    for (;;) {
      progress.step = what;
      try {
        await action();
        progress.decisionParked = false;
        return 'done';
      } catch (err) {
        const settle = opts.operatorMayTakeOver ? ', or operatorResolve to settle' : '';
        await progress.moveTo(
          'NEEDS_ATTENTION',
          `could not ${what}: ${failureMessage(err)}; the money stays held and it is tried again every minute (send recheck to retry now${settle})`,
        );
        if (!opts.operatorMayTakeOver) progress.decisionParked = true;
        progress.step = `parked: could not ${what}`;
        const wakes = opts.operatorMayTakeOver ? () => progress.hasNews() : () => progress.hasRecheckOrEvent();
        await condition(wakes, PARKED_COMPENSATION_RETRY_MS);
        if (opts.operatorMayTakeOver && progress.decision) return 'operator-decided';
        progress.takeNews();
      }
    }
  });
}
