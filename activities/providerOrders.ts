/**
 * The providers a held payment can go to (bank payout, recharge aggregator, BBPS; paired with
 * their kinds in `providers/heldOrders.ts`), behind one shape: send the order with our reference,
 * or read its state, answered in the engine's words (`pending`, `succeeded`, `failed`,
 * `reversed`). Workflows never see a provider's own vocabulary, only this outcome and the
 * provider's state word for the timeline.
 *
 * Every send first asks whether the provider already has our reference: after a timeout or a
 * 5xx (outcome unknown) the retry finds the order instead of sending it again. Providers also
 * deduplicate on our reference; this is the second lock on the door.
 */
import type { HeldPaymentKind, ProviderOrder, ProviderOutcome } from '../domain/contracts';
import type { HeldOrderDesk, PayeeLookup, ProviderGateways } from '../providers/contracts';
import { heldOrderDesks } from '../providers/heldOrders';

export type { PayeeLookup };

export function providerOrders(deps: { gateways: Partial<ProviderGateways>; payee: PayeeLookup }) {
  const desks = heldOrderDesks(deps.gateways, deps.payee);
  // Each desk takes its own kind's order; the order's kind picks the desk.
  const desk = (kind: HeldPaymentKind) => desks[kind] as HeldOrderDesk<ProviderOrder>;

  async function check(kind: HeldPaymentKind, paymentId: string): Promise<ProviderOutcome | null> {
    return desk(kind).find(paymentId);
  }

  /** `beforeCreating` runs after the provider said it has no such order, right before it is created. */
  async function send(order: ProviderOrder, beforeCreating: () => void = () => undefined): Promise<ProviderOutcome> {
    const known = await check(order.kind, order.paymentId);
    if (known) return known;
    beforeCreating();
    return desk(order.kind).create(order);
  }

  return { send, check };
}

export type ProviderOrders = ReturnType<typeof providerOrders>;
