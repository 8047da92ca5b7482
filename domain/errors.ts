/**
 * The one error hierarchy. Every failure the system anticipates is a DomainError with a stable
 * snake_case `code`; `api/middleware/errors.ts` maps `httpStatus` to responses, and
 * `activities/failures.ts` maps `retryable` to Temporal failures. Nothing else decides either.
 */
export abstract class DomainError extends Error {
  abstract readonly code: string;
  abstract readonly httpStatus: number;
  /** Would trying the same thing again later possibly succeed? */
  readonly retryable: boolean = false;

  constructor(
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationError extends DomainError {
  readonly code = 'validation_failed';
  readonly httpStatus = 400;
}

export class UnauthenticatedError extends DomainError {
  readonly httpStatus = 401;
  constructor(
    message = 'authentication required',
    readonly code: string = 'unauthenticated',
    details?: unknown,
  ) {
    super(message, details);
  }
}

export class ForbiddenError extends DomainError {
  readonly httpStatus = 403;
  constructor(
    message: string,
    readonly code: string = 'forbidden',
    details?: unknown,
  ) {
    super(message, details);
  }
}

/** The operation needs a second factor (a TOTP or recovery code) that was missing or wrong. */
export class SecondFactorError extends DomainError {
  readonly httpStatus = 403;
  constructor(
    readonly code: 'two_factor_required' | 'two_factor_invalid',
    message: string,
  ) {
    super(message);
  }
}

export class MethodNotAllowedError extends DomainError {
  readonly code = 'method_not_allowed';
  readonly httpStatus = 405;
  constructor(method: string, allowed: string[]) {
    super(`${method} is not allowed here; allowed: ${allowed.join(', ')}`);
  }
}

export class NotFoundError extends DomainError {
  readonly code = 'not_found';
  readonly httpStatus = 404;
}

export class ConflictError extends DomainError {
  readonly httpStatus = 409;
  constructor(
    message: string,
    readonly code: string = 'duplicate',
    details?: unknown,
  ) {
    super(message, details);
  }
}

/** A business rule refused the operation (422): the request was understood and is not allowed. */
export class BusinessRuleError extends DomainError {
  readonly httpStatus = 422;
  constructor(
    readonly code: string,
    message: string,
    details?: unknown,
  ) {
    super(message, details);
  }
}

export class InsufficientFundsError extends BusinessRuleError {
  constructor(details?: unknown) {
    super('insufficient_funds', 'insufficient available balance', details);
  }
}

export class LimitExceededError extends BusinessRuleError {
  constructor(message: string, details?: unknown) {
    super('limit_exceeded', message, details);
  }
}

export class KycRequiredError extends BusinessRuleError {
  constructor(details?: unknown) {
    super('kyc_required', 'this operation needs a verified KYC status', details);
  }
}

export class AccountInactiveError extends BusinessRuleError {
  constructor(details?: unknown) {
    super('account_inactive', 'the account is inactive', details);
  }
}

/** A hold was asked to resolve a second time in the opposite way (capture vs release). */
export class HoldAlreadyResolvedError extends BusinessRuleError {
  constructor(
    readonly status: string,
    details?: unknown,
  ) {
    super('hold_already_resolved', `the hold is already ${status}`, details);
  }
}

export class RateLimitedError extends DomainError {
  readonly code = 'rate_limited';
  readonly httpStatus = 429;
  constructor(readonly retryAfterSeconds: number) {
    super('too many requests');
  }
}

/**
 * The same idempotency reference was used for a different operation. Loud on purpose: it means
 * a caller derived references wrongly, and silently returning either result could lose money.
 */
export class ReferenceConflictError extends DomainError {
  readonly code = 'reference_conflict';
  readonly httpStatus = 409;
}

/** A dependency (database, provider, Temporal) failed in a way that may heal: retry. */
export class TransientError extends DomainError {
  readonly code = 'unavailable';
  readonly httpStatus = 503;
  override readonly retryable = true;
}

/** A broken internal assumption: a bug, never shown in detail to clients. */
export class InvariantViolation extends DomainError {
  readonly code = 'internal';
  readonly httpStatus = 500;
}
