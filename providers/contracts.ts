/**
 * What the engine needs from the BBPS, recharge and payout providers, independent of their wire
 * protocols. Workflows and the API depend on these interfaces; `providers/<name>/client.ts`
 * implements them over HTTP (zod-parsed), and the simulators speak the same protocols locally.
 *
 * Failure rules, the same as PhonePe's (domain/providerErrors.ts):
 * - a definite refusal → ProviderRejectedError (nothing happened; safe to fail the payment);
 * - transient trouble on a read → ProviderUnavailableError (retry);
 * - 5xx or timeout on a call that creates something → ProviderOutcomeUnknownError: the caller
 *   asks the status API (find*) before sending again. Every create is also idempotent at the
 *   provider on our reference, so a re-send can never pay twice.
 * - find* answers null only when the provider says it has never seen the reference.
 */
import type { Paise } from '../domain/money';
import type { ProviderOutcomeKind } from '../domain/payments';

// ── Bank payouts (IMPS/NEFT) ────────────────────────────────────────────────────────────────

import type { BillExactness, PayoutMode, ProviderOutcome, RechargeOperatorCode } from '../domain/contracts';

export type { BillExactness, PayoutMode, RechargeOperatorCode };
export type PayoutStatus = 'PROCESSING' | 'PROCESSED' | 'FAILED' | 'REVERSED';

export interface PayoutState {
  /** Our reference (the payment id). */
  referenceId: string;
  payoutId: string;
  status: PayoutStatus;
  utr?: string;
  failureReason?: string;
}

export interface PayoutRequest {
  referenceId: string;
  amount: Paise;
  mode: PayoutMode;
  beneficiary: { name: string; accountNumber: string; ifsc: string };
}

export interface PayoutGateway {
  createPayout(req: PayoutRequest): Promise<PayoutState>;
  findPayout(referenceId: string): Promise<PayoutState | null>;
  /** Penny-drop: is the account real, and whose name does the bank hold? */
  verifyAccount(req: { accountNumber: string; ifsc: string }): Promise<{ valid: boolean; nameAtBank: string | null }>;
}

// ── Mobile recharge aggregator ──────────────────────────────────────────────────────────────

export { RECHARGE_OPERATORS } from '../domain/contracts';
export type RechargeStatus = 'SUCCESS' | 'PENDING' | 'FAILURE' | 'REVERSED';

export interface RechargeOperator {
  code: RechargeOperatorCode;
  name: string;
  circles: Array<{ code: string; name: string }>;
  /** Whole rupees only; the aggregator's range for this operator. */
  minAmount: Paise;
  maxAmount: Paise;
}

export interface RechargeState {
  /** Our reference (the payment id). */
  clientRef: string;
  status: RechargeStatus;
  operatorRef?: string;
  message?: string;
}

export interface RechargeRequest {
  clientRef: string;
  operator: RechargeOperatorCode;
  circle: string;
  mobile: string;
  /** Whole rupees (the wire carries rupees); the client refuses anything else. */
  amount: Paise;
}

export interface RechargeGateway {
  operators(): Promise<RechargeOperator[]>;
  recharge(req: RechargeRequest): Promise<RechargeState>;
  findRecharge(clientRef: string): Promise<RechargeState | null>;
}

// ── BBPS bill payments ──────────────────────────────────────────────────────────────────────

export type BillFetchType = 'FETCH' | 'VALIDATE' | 'DIRECT';

export interface Biller {
  billerId: string;
  name: string;
  category: string;
  customerParams: Array<{ name: string; regex: string; optional: boolean }>;
  fetchType: BillFetchType;
  exactness: BillExactness;
  supportsPending: boolean;
}

export interface Bill {
  customerName: string;
  amount: Paise;
  dueDate: string | null;
  billNumber: string;
  billPeriod: string | null;
}

export interface BillFetch {
  refId: string;
  billerId: string;
  status: 'PROCESSING' | 'SUCCESS' | 'FAILURE';
  bill?: Bill;
  failureReason?: string;
}

export type BillPaymentStatus = 'PROCESSING' | 'PENDING' | 'SUCCESS' | 'FAILURE' | 'REVERSED';

export interface BillPaymentState {
  /** Our reference (the payment id). */
  paymentRefId: string;
  status: BillPaymentStatus;
  bbpsTxnId?: string;
  billerRefId?: string;
  failureReason?: string;
}

export interface BbpsGateway {
  billers(category?: string): Promise<Biller[]>;
  /** Starts a bill fetch; the result is read with findBill (or arrives by webhook). */
  requestBill(req: { billerId: string; customerParams: Record<string, string> }): Promise<{ refId: string }>;
  findBill(refId: string): Promise<BillFetch | null>;
  payBill(req: { refId: string; amount: Paise; paymentRefId: string }): Promise<BillPaymentState>;
  findBillPayment(paymentRefId: string): Promise<BillPaymentState | null>;
}

// ── Webhooks ────────────────────────────────────────────────────────────────────────────────

/** A provider webhook after its signature was verified and its body parsed. */
export interface VerifiedWebhook {
  /** Our reference the event is about (payment id; for BBPS fetches, the refId). */
  reference: string;
  /** What the provider says happened (its own status word). */
  state: string;
  /** The provider's event kind, e.g. `payout.processed`, `bill.fetch`. */
  event: string;
  /** The state in the engine's words (decides only whether a late event needs finance). */
  outcome: ProviderOutcomeKind;
}

// ── Held payments' orders ───────────────────────────────────────────────────────────────────

/**
 * A held kind's orders at its provider, in the engine's words: `find` answers null only when the
 * provider has never seen our reference; `create` sends the order (the caller asked `find` first).
 */
export interface HeldOrderDesk<Order> {
  find(paymentId: string): Promise<ProviderOutcome | null>;
  create(order: Order): Promise<ProviderOutcome>;
}

/** How a payout reaches the account it pays to (decrypted only there, never in workflow history). */
export type PayeeLookup = (
  userId: number,
  beneficiaryId: number,
) => Promise<{ name: string; accountNumber: string; ifsc: string } | undefined>;

export interface ProviderGateways {
  payout: PayoutGateway;
  recharge: RechargeGateway;
  bbps: BbpsGateway;
}
