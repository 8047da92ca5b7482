/** How a workflow reads an activity's failure: a business refusal, or the reason it gave up. */
import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';

/**
 * A business rule the ledger or a provider refused with (a non-retryable ApplicationFailure). A
 * regular activity's failure arrives wrapped in an ActivityFailure; a local activity's arrives
 * as the ApplicationFailure itself. Both read the same.
 */
export function refusal(err: unknown): ApplicationFailure | undefined {
  const failure = err instanceof ActivityFailure ? err.cause : err;
  return failure instanceof ApplicationFailure && failure.nonRetryable ? failure : undefined;
}

/** Why an activity gave up, in words: its cause's message when there is one. */
export function failureMessage(err: unknown): string {
  const cause = err instanceof ActivityFailure ? err.cause : undefined;
  return (cause as Error | undefined)?.message ?? (err as Error).message;
}
