/** A held bill payment's orders at BBPS: its status words and fields in the engine's terms. */
import { BILL_PAYMENT_OUTCOME, BillOrder } from '../../domain/heldKinds/bill';
import type { ProviderOutcome } from '../../domain/contracts';
import type { BbpsGateway, BillPaymentState, HeldOrderDesk } from '../contracts';

const outcomeOf = (s: BillPaymentState): ProviderOutcome => ({
  outcome: BILL_PAYMENT_OUTCOME[s.status],
  providerState: s.status,
  ...(s.bbpsTxnId ? { providerRef: s.bbpsTxnId } : {}),
  ...(s.failureReason ? { reason: s.failureReason } : {}),
});

export function billOrders(gateway: () => BbpsGateway): HeldOrderDesk<BillOrder> {
  return {
    async find(paymentId) {
      const s = await gateway().findBillPayment(paymentId);
      return s && outcomeOf(s);
    },
    async create(order) {
      return outcomeOf(
        await gateway().payBill({ refId: order.fetchRef, amount: order.amount, paymentRefId: order.paymentId }),
      );
    },
  };
}
