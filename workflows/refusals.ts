/** How a workflow reads an activity's failure: a business refusal, or the reason it gave up. */
import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';

/** A business rule the ledger or a provider refused with (a non-retryable ApplicationFailure). */
export function refusal(err: unknown): ApplicationFailure | undefined {
  return err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.nonRetryable
    ? err.cause
    : undefined;
}

/** Why an activity gave up, in words: its cause's message when there is one. */
export function failureMessage(err: unknown): string {
  const cause = err instanceof ActivityFailure ? err.cause : undefined;
  return (cause as Error | undefined)?.message ?? (err as Error).message;
}
