/** A held payout's orders at the payout provider: its status words and fields in the engine's terms. */
import { ValidationError } from '../../domain/errors';
import { PAYOUT_OUTCOME, PayoutOrder } from '../../domain/heldKinds/payout';
import type { ProviderOutcome } from '../../domain/contracts';
import type { HeldOrderDesk, PayeeLookup, PayoutGateway, PayoutState } from '../contracts';

const outcomeOf = (s: PayoutState): ProviderOutcome => ({
  outcome: PAYOUT_OUTCOME[s.status],
  providerState: s.status,
  providerRef: s.payoutId,
  ...(s.utr ? { utr: s.utr } : {}),
  ...(s.failureReason ? { reason: s.failureReason } : {}),
});

export function payoutOrders(gateway: () => PayoutGateway, payee: PayeeLookup): HeldOrderDesk<PayoutOrder> {
  return {
    async find(paymentId) {
      const s = await gateway().findPayout(paymentId);
      return s && outcomeOf(s);
    },
    async create(order) {
      const to = await payee(order.userId, order.beneficiaryId);
      if (!to)
        throw new ValidationError('the beneficiary of this payout no longer exists', {
          beneficiaryId: order.beneficiaryId,
        });
      return outcomeOf(
        await gateway().createPayout({
          referenceId: order.paymentId,
          amount: order.amount,
          mode: order.mode,
          beneficiary: to,
        }),
      );
    },
  };
}
