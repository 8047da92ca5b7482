/**
 * How payment workflows call activities, shared so every payment kind retries the same way.
 * Every call carries a one-line summary (the payment's current step) that the Temporal UI
 * shows on the event, so ops read "sending the order to BBPS" rather than an activity name.
 *
 * Short database steps (record, hold, post, capture, release, status) run as local activities:
 * in the worker, recorded as one marker each, without the server round trips a regular activity
 * costs (docs/performance.md). Each is idempotent on its payment's reference, so one re-run
 * after a worker crash changes nothing. Calls to providers stay regular, heartbeating
 * activities. Payments started before this change keep regular steps (`LOCAL_DB_STEPS`).
 */
import {
  ActivityCancellationType,
  ActivityOptions,
  LocalActivityOptions,
  patched,
  proxyActivities,
  proxyLocalActivities,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { StatusChange } from '../domain/payments';

/** Ledger and read-model steps: retried until they succeed; the database coming back is only a matter of time. */
const STEP: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
};

/**
 * Compensation retries for about 15 s (a database blip), then the payment parks visibly in
 * NEEDS_ATTENTION and tries again every minute (compensation.ts) instead of spinning unseen.
 */
const COMPENSATION: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds', maximumAttempts: 5 },
};

/** How long one provider call keeps retrying when the workflow's input does not say (older histories). */
export const DEFAULT_PROVIDER_CALL_BUDGET_MS = 3 * 60_000;

/**
 * Calls to a provider (send an order, read its status, refund). They heartbeat, so a cancel
 * reaches them and a dead worker is noticed in seconds; a cancel waits for the call in flight
 * to finish (its answer says what the provider did, and the process asks again before giving
 * any money back). All attempts together are bounded by `budgetMs`: a provider that stays
 * down ends in a visible state (the caller parks the payment) instead of retrying for ever.
 */
const providerCall = (budgetMs: number): ActivityOptions => ({
  startToCloseTimeout: '45 seconds',
  heartbeatTimeout: '5 seconds',
  scheduleToCloseTimeout: Math.max(budgetMs, 5_000),
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '20 seconds' },
});

/** A quick look at a provider (a few attempts in seconds), for decisions that must not wait on retries. */
const PROVIDER_CALL_ONCE: ActivityOptions = {
  startToCloseTimeout: '45 seconds',
  heartbeatTimeout: '5 seconds',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumAttempts: 3 },
};

/** Creating a PhonePe order is bounded: the customer is waiting for a redirect URL. */
const ORDER_CREATION: ActivityOptions = {
  startToCloseTimeout: '20 seconds',
  heartbeatTimeout: '5 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 seconds', maximumAttempts: 4 },
};

/**
 * The patch behind which database steps became local activities. Decided once, when a workflow
 * starts: a payment started earlier replays (and finishes) with regular activities.
 */
export const LOCAL_DB_STEPS = 'local-db-steps';

/** As STEP and COMPENSATION, in the worker; past 10 s of retries the backoff is a durable timer. */
const local = (options: ActivityOptions): LocalActivityOptions => ({
  startToCloseTimeout: options.startToCloseTimeout,
  retry: options.retry,
  localRetryThreshold: '10 seconds',
});

type Call = (...a: unknown[]) => Promise<unknown>;

/** Activities under `options`, each call summarized by what `summary()` says at the time of the call. */
function summarized(options: ActivityOptions, summary: () => string, inWorker = false): Activities {
  return new Proxy({} as Activities, {
    get:
      (_target, name: string) =>
      (...args: unknown[]) => {
        const withSummary = { summary: summary().slice(0, 200) };
        const acts = (inWorker
          ? proxyLocalActivities<Activities>({ ...local(options), ...withSummary })
          : proxyActivities<Activities>({ ...options, ...withSummary })) as unknown as Record<string, Call>;
        return acts[name]!(...args);
      },
  });
}

/**
 * Every policy a payment workflow uses, its calls summarized by the payment's current step. Call
 * once, at the start: it asks the `local-db-steps` patch where the database steps run.
 */
export function policies(step: () => string, providerCallBudgetMs = DEFAULT_PROVIDER_CALL_BUDGET_MS) {
  return policiesWith(step, providerCallBudgetMs, patched(LOCAL_DB_STEPS));
}

/**
 * As `policies`, for a workflow type that has run its database steps in the worker since it was
 * first deployed: no patch to ask, so no marker in its histories.
 */
export function policiesInWorker(step: () => string, providerCallBudgetMs = DEFAULT_PROVIDER_CALL_BUDGET_MS) {
  return policiesWith(step, providerCallBudgetMs, true);
}

function policiesWith(step: () => string, providerCallBudgetMs: number, dbStepsInWorker: boolean) {
  return {
    steps: summarized(STEP, step, dbStepsInWorker),
    compensations: summarized(COMPENSATION, step, dbStepsInWorker),
    /** A provider read retried like a step (until it answers): always a regular activity. */
    providerStep: summarized(STEP, step),
    provider: summarized(providerCall(providerCallBudgetMs), step),
    providerOnce: summarized(PROVIDER_CALL_ONCE, step),
    orderCreation: summarized(ORDER_CREATION, step),
    /** Records a status change in the read model (summarized by the change itself). */
    recordStatus: (change: StatusChange): Promise<void> =>
      summarized(
        STEP,
        () => `record ${change.status}${change.note ? `: ${change.note}` : ''}`,
        dbStepsInWorker,
      ).recordPaymentStatus(change),
  };
}

export type Policies = ReturnType<typeof policies>;
