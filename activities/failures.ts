/**
 * The one place domain errors become Temporal failures. A DomainError that is not retryable
 * (a business rule, a validation, a conflict) becomes a non-retryable ApplicationFailure whose
 * `type` is the error's code, so workflows branch on `failure.type === 'insufficient_funds'`.
 * Anything else (a dropped connection, a timeout) stays retryable under the activity's policy.
 */
import { ApplicationFailure } from '@temporalio/common';
import { DomainError } from '../domain/errors';

export function toTemporalFailure(err: unknown): unknown {
  if (!(err instanceof DomainError)) return err;
  return ApplicationFailure.create({
    type: err.code,
    message: err.message,
    nonRetryable: !err.retryable,
    details: err.details === undefined ? [] : [err.details],
    cause: err,
  });
}

type AnyFn = (...args: any[]) => Promise<unknown>;

/** Wraps every activity so its domain errors cross into Temporal with the right retry semantics. */
export function withFailureMapping<T extends Record<string, AnyFn>>(activities: T): T {
  const wrapped: Record<string, AnyFn> = {};
  for (const [name, fn] of Object.entries(activities)) {
    wrapped[name] = async (...args: unknown[]) => {
      try {
        return await fn(...args);
      } catch (err) {
        throw toTemporalFailure(err);
      }
    };
  }
  return wrapped as T;
}
