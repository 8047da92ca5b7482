/**
 * Mobile recharge: hold the amount → the aggregator recharges the number with our reference →
 * SUCCESS: capture into RECHARGE_PAYABLE and pay the uplines' commissions; FAILURE: release;
 * REVERSED later (operator reversal): refund the wallet and claw the commissions back.
 */
import type { RechargeOperatorCode } from '../contracts';
import { HeldKind, HeldOrder, HeldPaymentInput, orderBase, maskMobile } from './kind';

export interface RechargeInput extends HeldPaymentInput {
  operator: RechargeOperatorCode;
  circle: string;
  mobile: string;
  /** The recharge margin at the time of the payment (1/10,000), capping commissions. */
  commissionMarginRate: number;
}

/** The provider's status words in the engine's terms (its wire protocol and webhooks use this map). */
export const RECHARGE_OUTCOME = {
  PENDING: 'pending',
  SUCCESS: 'succeeded',
  FAILURE: 'failed',
  REVERSED: 'reversed',
} as const;

export interface RechargeOrder extends HeldOrder {
  kind: 'recharge';
  operator: RechargeOperatorCode;
  circle: string;
  mobile: string;
}

export const RECHARGE: HeldKind<RechargeInput, RechargeOrder> = {
  kind: 'recharge',
  outcomes: RECHARGE_OUTCOME,
  title: 'Recharge',
  provider: 'the recharge operator',
  settlement: { account: 'RECHARGE_PAYABLE', ledgerType: 'Recharge', transactionType: 'recharge' },
  commissionMarginRate: (input) => input.commissionMarginRate,
  order: (input) => ({
    kind: 'recharge',
    ...orderBase(input),
    operator: input.operator,
    circle: input.circle,
    mobile: input.mobile,
  }),
  details: (input) => ({ operator: input.operator, circle: input.circle, mobile: input.mobile }),
  statement: (d) => ({
    remarks: `${d.operator} recharge of ${d.mobile} (${d.circle})`,
  }),
  summary: (input) => ({
    line: [input.operator, maskMobile(input.mobile)],
    details: [
      ['Operator', `${input.operator} (${input.circle})`],
      ['Mobile', maskMobile(input.mobile)],
    ],
  }),
};
