/**
 * One status vocabulary for every payment kind: shown by the API, stored in the read model and
 * upserted as the `PaymentStatus` search attribute. Transitions are checked here so that no
 * workflow can, say, complete a payment that already failed.
 */
export const PAYMENT_KINDS = ['topup', 'transfer', 'payout', 'recharge', 'bill', 'refund'] as const;
export type PaymentKind = (typeof PAYMENT_KINDS)[number];

export const PAYMENT_STATUSES = [
  'CREATED',
  'AWAITING_PAYMENT',
  'PROCESSING',
  'COMPLETED',
  'FAILED',
  'REVERSED',
  'NEEDS_ATTENTION',
] as const;
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

/** The statuses a payment can move to `to` from, `to` itself left out: those where the move is a change. */
export function statusesBefore(to: PaymentStatus): PaymentStatus[] {
  return PAYMENT_STATUSES.filter((from) => from !== to && NEXT[from].includes(to));
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

/** The run that books a provider's reversal of a settled payment (workflows/reversal.ts). */
export function reversalWorkflowIdFor(kind: PaymentKind, paymentId: string): string {
  return `${workflowIdFor(kind, paymentId)}:reversal`;
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
  /** The operator decision this change applies: audited, with its channel, where it is recorded. */
  decision?: { outcome: 'succeeded' | 'failed'; reason: string; operator?: string; proof?: string };
  /**
   * With COMPLETED: how long the provider may still reverse the payment. The reversal watch
   * starts in the same transaction, so a settled payment is never seen COMPLETED and unwatched.
   */
  reversalWatchMs?: number;
  /** The statement line (a `transactions` row) the payment's settling posting wrote, linked to its record. */
  transactionId?: number;
}

/** What a provider says of an order, in the engine's words (each provider maps its own status words). */
export type ProviderOutcomeKind = 'pending' | 'succeeded' | 'failed' | 'reversed';

const OPEN: readonly PaymentStatus[] = ['CREATED', 'AWAITING_PAYMENT', 'PROCESSING', 'NEEDS_ATTENTION'];
export const isOpen = (s: PaymentStatus) => OPEN.includes(s);
export const OPEN_STATUSES = OPEN;

/**
 * A provider event that reaches a payment whose workflow has closed is either a late copy of
 * what the payment already shows (nothing to do) or says money moved otherwise: then it is
 * kept undelivered, with this reason, for finance to settle by hand. A payment still open has
 * lost its workflow: the orphan sweep lists it, and its recovery run asks the provider itself.
 */
export function lateEventConcern(outcome: ProviderOutcomeKind, status: PaymentStatus): string | null {
  if (isOpen(status)) return null;
  if (status === 'COMPLETED' && outcome === 'reversed')
    return 'the provider reversed a completed payment after its reversal watch ended: refund the wallet by an adjusting posting';
  if (status === 'FAILED' && outcome === 'succeeded')
    return 'the provider reports success for a payment that FAILED: the money may have moved';
  return null;
}

/**
 * PhonePe's merchant order id of a top-up's n-th order: the payment id for the first, then
 * `<paymentId>-<n>` for an order created because the page of the previous one was lost.
 */
export const merchantOrderIdOf = (paymentId: string, attempt: number) =>
  attempt <= 1 ? paymentId : `${paymentId}-${attempt}`;
/** The payment a PhonePe merchant order id belongs to (payment ids never contain '-'). */
export const paymentIdOfMerchantOrder = (merchantOrderId: string) => merchantOrderId.replace(/-\d+$/, '');
