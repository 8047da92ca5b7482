/**
 * The three providers a held payment can go to (bank payout, recharge aggregator, BBPS), behind
 * one shape: send the order with our reference, or read its state, answered in the engine's
 * words (`pending`, `succeeded`, `failed`, `reversed`). Workflows never see a provider's own
 * vocabulary, only this outcome and the provider's state word for the timeline.
 *
 * Every send first asks whether the provider already has our reference: after a timeout or a
 * 5xx (outcome unknown) the retry finds the order instead of sending it again. Providers also
 * deduplicate on our reference; this is the second lock on the door.
 */
import { ValidationError } from '../domain/errors';
import type {
  BbpsGateway,
  BillPaymentState,
  PayoutGateway,
  PayoutState,
  ProviderGateways,
  RechargeGateway,
  RechargeState,
} from '../providers/contracts';
import { BILL_PAYMENT_OUTCOME } from '../domain/heldKinds/bill';
import { PAYOUT_OUTCOME } from '../domain/heldKinds/payout';
import { RECHARGE_OUTCOME } from '../domain/heldKinds/recharge';

import type { HeldPaymentKind, ProviderOrder, ProviderOutcome } from '../domain/contracts';

/** How the payout activity gets the account it pays to (decrypted only here, never in workflow history). */
export type PayeeLookup = (
  userId: number,
  beneficiaryId: number,
) => Promise<{ name: string; accountNumber: string; ifsc: string } | undefined>;

const payoutOutcome = (s: PayoutState): ProviderOutcome => ({
  outcome: PAYOUT_OUTCOME[s.status],
  providerState: s.status,
  providerRef: s.payoutId,
  ...(s.utr ? { utr: s.utr } : {}),
  ...(s.failureReason ? { reason: s.failureReason } : {}),
});

const rechargeOutcome = (s: RechargeState): ProviderOutcome => ({
  outcome: RECHARGE_OUTCOME[s.status],
  providerState: s.status,
  ...(s.operatorRef ? { providerRef: s.operatorRef } : {}),
  ...(s.status === 'FAILURE' && s.message ? { reason: s.message } : {}),
});

const billOutcome = (s: BillPaymentState): ProviderOutcome => ({
  outcome: BILL_PAYMENT_OUTCOME[s.status],
  providerState: s.status,
  ...(s.bbpsTxnId ? { providerRef: s.bbpsTxnId } : {}),
  ...(s.failureReason ? { reason: s.failureReason } : {}),
});

function need<T>(gateway: T | undefined, name: string): T {
  if (!gateway) throw new Error(`this worker was started without the ${name} gateway`);
  return gateway;
}

export function providerOrders(deps: { gateways: Partial<ProviderGateways>; payee: PayeeLookup }) {
  const payout = () => need<PayoutGateway>(deps.gateways.payout, 'payout');
  const recharge = () => need<RechargeGateway>(deps.gateways.recharge, 'recharge');
  const bbps = () => need<BbpsGateway>(deps.gateways.bbps, 'BBPS');

  async function check(kind: HeldPaymentKind, paymentId: string): Promise<ProviderOutcome | null> {
    switch (kind) {
      case 'payout': {
        const s = await payout().findPayout(paymentId);
        return s && payoutOutcome(s);
      }
      case 'recharge': {
        const s = await recharge().findRecharge(paymentId);
        return s && rechargeOutcome(s);
      }
      case 'bill': {
        const s = await bbps().findBillPayment(paymentId);
        return s && billOutcome(s);
      }
    }
  }

  /** `beforeCreating` runs after the provider said it has no such order, right before it is created. */
  async function send(order: ProviderOrder, beforeCreating: () => void = () => undefined): Promise<ProviderOutcome> {
    const known = await check(order.kind, order.paymentId);
    if (known) return known;
    beforeCreating();
    switch (order.kind) {
      case 'payout': {
        const payee = await deps.payee(order.userId, order.beneficiaryId);
        if (!payee)
          throw new ValidationError('the beneficiary of this payout no longer exists', {
            beneficiaryId: order.beneficiaryId,
          });
        return payoutOutcome(
          await payout().createPayout({
            referenceId: order.paymentId,
            amount: order.amount,
            mode: order.mode,
            beneficiary: payee,
          }),
        );
      }
      case 'recharge':
        return rechargeOutcome(
          await recharge().recharge({
            clientRef: order.paymentId,
            operator: order.operator,
            circle: order.circle,
            mobile: order.mobile,
            amount: order.amount,
          }),
        );
      case 'bill':
        return billOutcome(
          await bbps().payBill({ refId: order.fetchRef, amount: order.amount, paymentRefId: order.paymentId }),
        );
    }
  }

  return { send, check };
}

export type ProviderOrders = ReturnType<typeof providerOrders>;
