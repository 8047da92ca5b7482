/**
 * How a provider call can fail, in the one error hierarchy. The distinction that matters for
 * money: a *rejection* is definite (nothing happened; safe to fail the payment), while an
 * *unknown outcome* (timeout, 5xx on a call that creates something) may have taken effect, so
 * the caller must ask the provider's status API before doing anything else.
 */
import { DomainError } from './errors';

/** What the provider said, when it said anything: its HTTP status and its own {code, message}. */
export interface ProviderErrorDetails {
  httpStatus?: number;
  code?: string;
  message?: string;
  [more: string]: unknown;
}

abstract class ProviderError extends DomainError {
  declare readonly details?: ProviderErrorDetails;
  constructor(message: string, details?: ProviderErrorDetails) {
    super(message, details);
  }
}

/** The provider refused the request (4xx other than 429, or credentials it keeps refusing). */
export class ProviderRejectedError extends ProviderError {
  readonly code = 'provider_rejected';
  readonly httpStatus = 502;
}

/** The provider could not be reached or answered with a transient error; nothing to infer. */
export class ProviderUnavailableError extends ProviderError {
  readonly code = 'provider_unavailable';
  readonly httpStatus = 503;
  override readonly retryable = true;
}

/** A create call may or may not have taken effect: check status before re-sending. */
export class ProviderOutcomeUnknownError extends ProviderError {
  readonly code = 'provider_outcome_unknown';
  readonly httpStatus = 503;
  override readonly retryable = true;
}
