/**
 * BBPS bill payment, from a bill fetched through the API: hold the amount → BBPS pays the
 * biller with our reference → SUCCESS: capture into BBPS_PAYABLE and pay commissions; FAILURE:
 * release; REVERSED later: refund and claw back. BBPS may keep a payment PENDING for up to 48 h;
 * it is never sent again while pending, only asked about.
 */
import type { Paise } from '../domain/money';
import { HeldPaymentResult, HeldPaymentTiming, runHeldPayment } from './heldPayment';
import type { RecoveryStart } from './messages';

export interface BillPaymentInput extends HeldPaymentTiming {
  recovery?: RecoveryStart;
  paymentId: string;
  userId: number;
  amount: Paise;
  billerId: string;
  billerName: string;
  fetchRef: string;
  bill: { customerName: string; billNumber: string; dueDate: string | null };
  commissionMarginRate: number;
}

export async function billPaymentWorkflow(input: BillPaymentInput): Promise<HeldPaymentResult> {
  return runHeldPayment({
    provider: 'BBPS',
    order: {
      kind: 'bill',
      paymentId: input.paymentId,
      userId: input.userId,
      amount: input.amount,
      billerId: input.billerId,
      fetchRef: input.fetchRef,
    },
    details: { billerId: input.billerId, billerName: input.billerName, fetchRef: input.fetchRef, ...input.bill },
    commissionMarginRate: input.commissionMarginRate,
    polling: input.polling,
    reversalWatchMs: input.reversalWatchMs,
    providerCallBudgetMs: input.providerCallBudgetMs,
    recovery: input.recovery,
  });
}
