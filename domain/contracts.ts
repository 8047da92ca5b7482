/**
 * The contracts between the API, the workflows and the activities: what a payment's workflow is
 * given, what it answers, what it asks of a provider and what a provider answers, in the engine's
 * words. Pure types, safe in workflow code; every layer imports them from here.
 */
import type { Paise } from './money';
import type { PaymentStatus, ProviderOutcomeKind } from './payments';

export type PayoutMode = 'IMPS' | 'NEFT';
export const RECHARGE_OPERATORS = ['JIO', 'AIRTEL', 'VI', 'BSNL', 'MTNL'] as const;
export type RechargeOperatorCode = (typeof RECHARGE_OPERATORS)[number];
/** How a bill's amount may differ from the amount due (BBPS). */
export type BillExactness = 'EXACT' | 'EXACT_AND_ABOVE' | 'EXACT_AND_BELOW' | 'ANY';

/** Held payments' orders and kinds are read from the kinds' registry (`heldKinds/`). */
import type { HeldPaymentKind, ProviderOrder } from './heldKinds';
export type { HeldPaymentKind, ProviderOrder };

/** A provider's answer about an order, in the engine's words plus its own status word. */
export interface ProviderOutcome {
  outcome: ProviderOutcomeKind;
  /** The provider's own status word, for the timeline and the `status` query. */
  providerState: string;
  /** The provider's id for the order (payout id, operator ref, BBPS transaction id). */
  providerRef?: string;
  /** Bank UTR of a processed payout. */
  utr?: string;
  reason?: string;
}

/** What the read model records of a held payment when it starts (shown on the statement and by the API). */
export interface HeldPaymentRecord {
  kind: HeldPaymentKind;
  paymentId: string;
  userId: number;
  amount: Paise;
  /** Beneficiary (masked), operator and number, biller and bill. */
  details: Record<string, unknown>;
}

/**
 * Given to a recovery run (a payment whose earlier workflow stopped while the payment was open):
 * it starts where the payment's record stands, finds where its money stands, asks the provider
 * and settles it once.
 */
export interface RecoveryStart {
  /** The payment's status in the read model when the recovery run was started. */
  status: PaymentStatus;
}

/** A wallet-to-wallet transfer, as the transfer workflow is given it. */
export interface TransferInput {
  paymentId: string;
  senderId: number;
  senderCode: string;
  recipientId: number;
  recipientCode: string;
  amount: Paise;
  /** Charged to the sender on top of the amount, credited to FEE_INCOME in the same posting. */
  fee?: Paise;
  remarks?: string;
}

/** Where a payment's money stands, read by a recovery run before it takes the payment over. */
export interface MoneyState {
  /** The payment's hold, if it places one: none (never placed), active, captured or released. */
  hold: 'none' | 'active' | 'captured' | 'released';
  /** Whether the posting that settles the payment exists. */
  settled: boolean;
}

/** What the orphan sweep found. */
export interface SweepResult {
  checked: number;
  orphaned: Array<{ paymentId: string; reason: string }>;
}

/** What one run of the reversal sweep did (workflows/reversal.ts). */
export interface ReversalSweepResult {
  /** Settled payments whose provider was asked this run. */
  checked: number;
  /** Those the provider says it reversed: each gets a reversal run, which books it. */
  reversed: Array<{ kind: HeldPaymentKind; paymentId: string }>;
  /** Checks the provider did not answer; they stay due and are asked again at the next run. */
  unanswered: number;
}

/** What the daily reconciliation reports (the full report is stored for the admin API). */
export interface ReconciliationSummary {
  reportId: number;
  ok: boolean;
  failedChecks: string[];
  /** Things for ops to look at that are not ledger violations. */
  attention: { undeliveredWebhooks: number; stalePayments: number; outstandingClawbacks: number };
}
