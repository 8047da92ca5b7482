/**
 * Payout (wallet → a verified bank beneficiary, IMPS/NEFT): hold the amount → the payout
 * provider pays with our reference → PROCESSED: capture into PAYOUT_CLEARING with the UTR on the
 * statement; FAILED: release; REVERSED later (the bank returned it): refund the wallet. No
 * commissions. The account number never enters workflow history: the send activity decrypts it.
 */
import type { PayoutMode } from '../contracts';
import { HeldKind, HeldOrder, HeldPaymentInput, orderBase } from './kind';

export interface PayoutInput extends HeldPaymentInput {
  beneficiaryId: number;
  mode: PayoutMode;
  /** Shown on the statement: name, masked account, IFSC, bank; never the full number. */
  beneficiary: { name: string; accountMasked: string; ifsc: string; bankName: string };
  remarks?: string;
}

/** The provider's status words in the engine's terms (its wire protocol and webhooks use this map). */
export const PAYOUT_OUTCOME = {
  PROCESSING: 'pending',
  PROCESSED: 'succeeded',
  FAILED: 'failed',
  REVERSED: 'reversed',
} as const;

export interface PayoutOrder extends HeldOrder {
  kind: 'payout';
  beneficiaryId: number;
  mode: PayoutMode;
}

export const PAYOUT: HeldKind<PayoutInput, PayoutOrder> = {
  kind: 'payout',
  outcomes: PAYOUT_OUTCOME,
  title: 'Payout',
  provider: 'the bank',
  // The seed's ledger types have no "payout"; money leaving to a bank account is a transfer out.
  settlement: { account: 'PAYOUT_CLEARING', ledgerType: 'Transfer', transactionType: 'withdrawal' },
  commissionMarginRate: () => undefined,
  order: (input) => ({
    kind: 'payout',
    ...orderBase(input),
    beneficiaryId: input.beneficiaryId,
    mode: input.mode,
  }),
  details: ({ beneficiary, ...input }) => ({
    beneficiaryId: input.beneficiaryId,
    beneficiaryName: beneficiary.name,
    accountMasked: beneficiary.accountMasked,
    ifsc: beneficiary.ifsc,
    bankName: beneficiary.bankName,
    mode: input.mode,
    ...(input.remarks ? { remarks: input.remarks } : {}),
  }),
  statement: (d, outcome) => ({
    remarks: d.remarks ?? `${d.mode} payout to ${d.beneficiaryName}`,
    beneficiaryName: d.beneficiaryName,
    beneficiaryAccount: d.accountMasked,
    beneficiaryIfsc: d.ifsc,
    beneficiaryBank: d.bankName,
    ...(outcome.utr ? { utrNumber: outcome.utr } : {}),
  }),
  summary: ({ beneficiary: b, mode }) => ({
    line: [mode, b.accountMasked],
    details: [
      ['Beneficiary', `${b.name}, ${b.accountMasked}, ${b.ifsc} (${b.bankName})`],
      ['Mode', mode],
    ],
  }),
};
