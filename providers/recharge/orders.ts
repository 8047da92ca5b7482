/** A held recharge's orders at the recharge aggregator: its status words and fields in the engine's terms. */
import { RECHARGE_OUTCOME, RechargeOrder } from '../../domain/heldKinds/recharge';
import type { ProviderOutcome } from '../../domain/contracts';
import type { HeldOrderDesk, RechargeGateway, RechargeState } from '../contracts';

const outcomeOf = (s: RechargeState): ProviderOutcome => ({
  outcome: RECHARGE_OUTCOME[s.status],
  providerState: s.status,
  ...(s.operatorRef ? { providerRef: s.operatorRef } : {}),
  ...(s.status === 'FAILURE' && s.message ? { reason: s.message } : {}),
});

export function rechargeOrders(gateway: () => RechargeGateway): HeldOrderDesk<RechargeOrder> {
  return {
    async find(paymentId) {
      const s = await gateway().findRecharge(paymentId);
      return s && outcomeOf(s);
    },
    async create(order) {
      return outcomeOf(
        await gateway().recharge({
          clientRef: order.paymentId,
          operator: order.operator,
          circle: order.circle,
          mobile: order.mobile,
          amount: order.amount,
        }),
      );
    },
  };
}
