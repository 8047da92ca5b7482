/**
 * How payment workflows call activities, shared so every payment kind retries the same way.
 * Compensation lives in compensation.ts with its own bounded policy.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

/** Ledger and read-model steps: retried until they succeed; the database coming back is only a matter of time. */
export const steps = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** Compensation retries for a while, then parks the payment for an operator instead of spinning. */
export const compensations = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 10 },
});
