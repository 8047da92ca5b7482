/**
 * One status vocabulary for every payment kind: shown by the API, stored in the read model and
 * upserted as the `PaymentStatus` search attribute. Transitions are checked here so that no
 * workflow can, say, complete a payment that already failed.
 */
export const PAYMENT_KINDS = ['topup', 'transfer', 'payout', 'recharge', 'bill', 'refund'] as const;
export type PaymentKind = (typeof PAYMENT_KINDS)[number];

export const PAYMENT_STATUSES = ['CREATED', 'AWAITING_PAYMENT', 'PROCESSING', 'COMPLETED', 'FAILED', 'REVERSED', 'NEEDS_ATTENTION'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

const NEXT: Record<PaymentStatus, readonly PaymentStatus[]> = {
  CREATED: ['AWAITING_PAYMENT', 'PROCESSING', 'COMPLETED', 'FAILED', 'NEEDS_ATTENTION'],
  AWAITING_PAYMENT: ['PROCESSING', 'COMPLETED', 'FAILED', 'NEEDS_ATTENTION'],
  PROCESSING: ['COMPLETED', 'FAILED', 'NEEDS_ATTENTION'],
  // A completed payment can only be undone by a reversal (refund posting), never "failed".
  COMPLETED: ['REVERSED'],
  FAILED: [],
  REVERSED: [],
  // An operator settles what the workflow could not.
  NEEDS_ATTENTION: ['PROCESSING', 'COMPLETED', 'FAILED', 'REVERSED'],
};

export function canTransition(from: PaymentStatus, to: PaymentStatus): boolean {
  return from === to || NEXT[from].includes(to);
}

export const isTerminal = (s: PaymentStatus) => s === 'FAILED' || s === 'REVERSED';

export interface TimelineEntry {
  status: PaymentStatus;
  at: string;
  note?: string;
  /** Who acted, for operator decisions. */
  actor?: string;
}

/** `<kind>:<paymentId>`: the workflow id is the business key. */
export function workflowIdFor(kind: PaymentKind, paymentId: string): string {
  return `${kind}:${paymentId}`;
}

/** A status change a workflow records in the read model (and on its timeline). */
export interface StatusChange {
  paymentId: string;
  status: PaymentStatus;
  note?: string;
  actor?: string;
  failureReason?: string | null;
  providerRef?: string;
  providerRefs?: Record<string, string>;
  details?: Record<string, unknown>;
}
