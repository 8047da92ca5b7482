/**
 * How a provider call can fail, in the one error hierarchy. The distinction that matters for
 * money: a *rejection* is definite (nothing happened; safe to fail the payment), while an
 * *unknown outcome* (timeout, 5xx on a call that creates something) may have taken effect, so
 * the caller must ask the provider's status API before doing anything else.
 */
import { DomainError } from './errors';

export class ProviderRejectedError extends DomainError {
  readonly code = 'provider_rejected';
  readonly httpStatus = 502;
}

/** The provider could not be reached or answered with a transient error; nothing to infer. */
export class ProviderUnavailableError extends DomainError {
  readonly code = 'provider_unavailable';
  readonly httpStatus = 503;
  override readonly retryable = true;
}

/** A create call may or may not have taken effect: check status before re-sending. */
export class ProviderOutcomeUnknownError extends DomainError {
  readonly code = 'provider_outcome_unknown';
  readonly httpStatus = 503;
  override readonly retryable = true;
}
