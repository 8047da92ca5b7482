/**
 * The ledger's vocabulary, pure so that workflows can use it too. The behaviour lives in
 * db/ledger; see docs/ledger.md for the contract.
 */
import type { Paise } from './money';

export const LEDGER_TYPES = ['TopIn', 'Transfer', 'Recharge', 'Bill', 'Commission', 'Refund'] as const;
export type LedgerType = (typeof LEDGER_TYPES)[number];

export const SYSTEM_ACCOUNT_CODES = [
  'BBPS_PAYABLE',
  'COMMISSION_EXPENSE',
  'FEE_INCOME',
  'PAYOUT_CLEARING',
  'PHONEPE_CLEARING',
  'PLATFORM_EQUITY',
  'RECHARGE_PAYABLE',
] as const;
export type SystemAccountCode = (typeof SYSTEM_ACCOUNT_CODES)[number];

export const TRANSACTION_TYPES = [
  'deposit',
  'withdrawal',
  'transfer',
  'recharge',
  'bill_payment',
  'commission',
  'refund',
] as const;
export type TransactionType = (typeof TRANSACTION_TYPES)[number];

/** A wallet (a `users` row) or a system account. */
export type AccountRef = { user: number } | { system: SystemAccountCode };

export function accountKey(a: AccountRef): string {
  return 'user' in a ? `user:${a.user}` : `system:${a.system}`;
}

/** Checks a posting makes on a user's locked row before it moves money. */
export interface UserRules {
  /** Inactive users can do nothing (but money owed to them is still credited). */
  requireActive?: boolean;
  /** Transfers and payouts need verified KYC. */
  requireKyc?: boolean;
  /** Outgoing money: bounded by the user's daily and monthly limits. */
  countTowardLimits?: boolean;
}

/** What the user sees on their statement (`transactions` row) for a wallet line. */
export interface StatementInfo {
  /** Update this existing row (e.g. the pending row a workflow created) instead of inserting. */
  transactionId?: number;
  referenceNumber?: string;
  transactionType?: TransactionType;
  remarks?: string;
  description?: string;
  paymentMethod?: 'wallet' | 'phonepe' | 'upi' | 'netbanking' | 'card';
  recipientId?: number;
  fromAccountId?: number;
  toAccountId?: number;
  feeAmount?: Paise;
  utrNumber?: string;
  bankReference?: string;
  beneficiaryName?: string;
  beneficiaryAccount?: string;
  beneficiaryIfsc?: string;
  beneficiaryBank?: string;
}

export interface PostingLine {
  account: AccountRef;
  debit?: Paise;
  credit?: Paise;
  rules?: UserRules;
  statement?: StatementInfo;
}

export interface PostingRequest {
  /** Idempotency key of the posting, e.g. `topup:<paymentId>:credit`. */
  reference: string;
  ledgerType: LedgerType;
  description?: string;
  lines: PostingLine[];
}

export interface PostedLine {
  account: AccountRef;
  debit: Paise;
  credit: Paise;
  balanceAfter: Paise;
  transactionId: number | null;
}

export interface PostingResult {
  journalId: number;
  reference: string;
  ledgerType: LedgerType;
  lines: PostedLine[];
  /** True when the reference had already been posted and nothing changed now. */
  replayed: boolean;
}

/** Turns an active hold into a posting wallet → `to` (two-phase: the second phase). */
export interface CaptureRequest {
  holdReference: string;
  /** Reference of the capture posting. */
  reference: string;
  /** Defaults to the whole hold; a smaller amount releases the rest. */
  amount?: Paise;
  /** Where the captured money goes (a payable or clearing account, or another wallet). */
  to: AccountRef;
  ledgerType: LedgerType;
  description?: string;
  statement?: StatementInfo;
}

/** A refund after capture: a new posting back along the original's lines. */
export interface RefundRequest {
  reference: string;
  originalReference: string;
  /** Defaults to everything not yet refunded. Partial refunds need a two-line original. */
  amount?: Paise;
  description?: string;
  /** Statement details for the wallet line(s) of the refund. */
  statement?: StatementInfo;
}

export type HoldStatus = 'active' | 'captured' | 'released';

export interface Hold {
  id: number;
  reference: string;
  userId: number;
  amount: Paise;
  status: HoldStatus;
  capturedAmount: Paise | null;
  captureReference: string | null;
  releaseReason: string | null;
  countsTowardLimits: boolean;
}

/** The statement's transaction type for a wallet line when the caller does not name one. */
export function defaultTransactionType(ledgerType: LedgerType): TransactionType {
  switch (ledgerType) {
    case 'TopIn':
      return 'deposit';
    case 'Transfer':
      return 'transfer';
    case 'Recharge':
      return 'recharge';
    case 'Bill':
      return 'bill_payment';
    case 'Commission':
      return 'commission';
    case 'Refund':
      return 'refund';
  }
}

/**
 * A posting must balance and say unambiguously what it moves: at least two lines, each with
 * exactly one positive side, each account once, debits equal to credits.
 */
export function validatePosting(req: PostingRequest, fail: (message: string, details?: unknown) => Error): void {
  if (!req.reference || req.reference.length > 255)
    throw fail('reference must be 1-255 characters', { reference: req.reference });
  if (req.lines.length < 2) throw fail('a posting needs at least two lines', { reference: req.reference });
  const seen = new Set<string>();
  let debits = 0;
  let credits = 0;
  for (const line of req.lines) {
    const key = accountKey(line.account);
    if (seen.has(key)) throw fail('an account may appear once per posting', { account: key });
    seen.add(key);
    const d = line.debit ?? 0;
    const c = line.credit ?? 0;
    if (!Number.isSafeInteger(d) || !Number.isSafeInteger(c) || d < 0 || c < 0 || d > 0 === c > 0) {
      throw fail('each line needs exactly one positive integer side', { account: key, debit: d, credit: c });
    }
    debits += d;
    credits += c;
  }
  if (debits !== credits) throw fail('debits must equal credits', { reference: req.reference, debits, credits });
}
