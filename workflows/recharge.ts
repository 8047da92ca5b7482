/**
 * Mobile recharge: hold the amount → the aggregator recharges the number with our reference →
 * SUCCESS: capture into RECHARGE_PAYABLE and pay the uplines' commissions; FAILURE: release;
 * REVERSED later (operator reversal): refund the wallet and claw the commissions back.
 */
import type { Paise } from '../domain/money';
import type { RechargeOperatorCode } from '../domain/contracts';
import { HeldPaymentResult, HeldPaymentTiming, runHeldPayment } from './heldPayment';
import type { RecoveryStart } from './messages';

export interface RechargeInput extends HeldPaymentTiming {
  recovery?: RecoveryStart;
  paymentId: string;
  userId: number;
  amount: Paise;
  operator: RechargeOperatorCode;
  circle: string;
  mobile: string;
  /** The recharge margin at the time of the payment (1/10,000), capping commissions. */
  commissionMarginRate: number;
}

export async function rechargeWorkflow(input: RechargeInput): Promise<HeldPaymentResult> {
  return runHeldPayment({
    provider: 'the recharge operator',
    order: {
      kind: 'recharge',
      paymentId: input.paymentId,
      userId: input.userId,
      amount: input.amount,
      operator: input.operator,
      circle: input.circle,
      mobile: input.mobile,
    },
    details: { operator: input.operator, circle: input.circle, mobile: input.mobile },
    commissionMarginRate: input.commissionMarginRate,
    polling: input.polling,
    reversalWatchMs: input.reversalWatchMs,
    providerCallBudgetMs: input.providerCallBudgetMs,
    recovery: input.recovery,
  });
}
