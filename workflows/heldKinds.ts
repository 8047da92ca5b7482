/**
 * The workflows of the held kinds: one process (`heldPayment.ts`), specifics from each kind's
 * module in `domain/heldKinds/`. The function names are the workflow types recorded in running
 * histories: never rename one.
 */
import { BillPaymentInput, HELD_KINDS, PayoutInput, RechargeInput } from '../domain/heldKinds';
import { HeldPaymentResult, runHeldPayment } from './heldPayment';

export async function payoutWorkflow(input: PayoutInput): Promise<HeldPaymentResult> {
  return runHeldPayment(HELD_KINDS.payout, input);
}

export async function rechargeWorkflow(input: RechargeInput): Promise<HeldPaymentResult> {
  return runHeldPayment(HELD_KINDS.recharge, input);
}

export async function billPaymentWorkflow(input: BillPaymentInput): Promise<HeldPaymentResult> {
  return runHeldPayment(HELD_KINDS.bill, input);
}

/** Each held kind's workflow, for the API to start it by its typed function. */
export const HELD_WORKFLOWS = {
  payout: payoutWorkflow,
  recharge: rechargeWorkflow,
  bill: billPaymentWorkflow,
} as const;
