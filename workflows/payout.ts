/**
 * Payout (wallet → a verified bank beneficiary, IMPS/NEFT): hold the amount → the payout
 * provider pays with our reference → PROCESSED: capture into PAYOUT_CLEARING with the UTR on the
 * statement; FAILED: release; REVERSED later (the bank returned it): refund the wallet.
 * The account number never enters workflow history: the send activity decrypts it.
 */
import type { Paise } from '../domain/money';
import type { PayoutMode } from '../domain/contracts';
import { HeldPaymentResult, HeldPaymentTiming, runHeldPayment } from './heldPayment';
import type { RecoveryStart } from './messages';

export interface PayoutInput extends HeldPaymentTiming {
  recovery?: RecoveryStart;
  paymentId: string;
  userId: number;
  amount: Paise;
  beneficiaryId: number;
  mode: PayoutMode;
  /** Shown on the statement: name, masked account, IFSC, bank; never the full number. */
  beneficiary: { name: string; accountMasked: string; ifsc: string; bankName: string };
  remarks?: string;
}

export async function payoutWorkflow(input: PayoutInput): Promise<HeldPaymentResult> {
  const { beneficiary } = input;
  return runHeldPayment({
    provider: 'the bank',
    order: {
      kind: 'payout',
      paymentId: input.paymentId,
      userId: input.userId,
      amount: input.amount,
      beneficiaryId: input.beneficiaryId,
      mode: input.mode,
    },
    details: {
      beneficiaryId: input.beneficiaryId,
      beneficiaryName: beneficiary.name,
      accountMasked: beneficiary.accountMasked,
      ifsc: beneficiary.ifsc,
      bankName: beneficiary.bankName,
      mode: input.mode,
      ...(input.remarks ? { remarks: input.remarks } : {}),
    },
    polling: input.polling,
    reversalWatchMs: input.reversalWatchMs,
    providerCallBudgetMs: input.providerCallBudgetMs,
    recovery: input.recovery,
  });
}
