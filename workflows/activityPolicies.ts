/**
 * How payment workflows call activities, shared so every payment kind retries the same way.
 * Compensation lives in compensation.ts with its own bounded policy.
 */
import { ActivityCancellationType, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

/** Ledger and read-model steps: retried until they succeed; the database coming back is only a matter of time. */
export const steps = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/**
 * Compensation retries for about 15 s (a database blip), then the payment parks visibly in
 * NEEDS_ATTENTION and tries again every minute (compensation.ts) instead of spinning unseen.
 */
export const compensations = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds', maximumAttempts: 5 },
});

/** How long one provider call keeps retrying when the workflow's input does not say (older histories). */
export const DEFAULT_PROVIDER_CALL_BUDGET_MS = 3 * 60_000;

/**
 * Calls to a provider (send an order, read its status, refund). They heartbeat, so a cancel
 * reaches them and a dead worker is noticed in seconds; a cancel waits for the call in flight
 * to finish (its answer says what the provider did, and the process asks again before giving
 * any money back). All attempts together are bounded by `budgetMs`: a provider that stays
 * down ends in a visible state (the caller parks the payment) instead of retrying for ever.
 */
export function providerCalls(budgetMs: number = DEFAULT_PROVIDER_CALL_BUDGET_MS) {
  return proxyActivities<Activities>({
    startToCloseTimeout: '45 seconds',
    heartbeatTimeout: '5 seconds',
    scheduleToCloseTimeout: Math.max(budgetMs, 5_000),
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '20 seconds' },
  });
}

/** A quick look at a provider (a few attempts in seconds), for decisions that must not wait on retries. */
export const providerCallOnce = proxyActivities<Activities>({
  startToCloseTimeout: '45 seconds',
  heartbeatTimeout: '5 seconds',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumAttempts: 3 },
});
