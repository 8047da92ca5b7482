/**
 * Which provider serves each held kind: the one place that pairs a kind with its provider's
 * client. A process started without a provider fails that kind's calls loudly (and they retry),
 * rather than at start: the API and tests run with only the providers they need.
 */
import type { HeldPaymentKind, ProviderOrder } from '../domain/contracts';
import { billOrders } from './bbps/orders';
import type { HeldOrderDesk, PayeeLookup, ProviderGateways } from './contracts';
import { payoutOrders } from './payout/orders';
import { rechargeOrders } from './recharge/orders';

function need<T>(gateway: T | undefined, name: string): T {
  if (!gateway) throw new Error(`this worker was started without the ${name} gateway`);
  return gateway;
}

export type HeldOrderDesks = { [K in HeldPaymentKind]: HeldOrderDesk<Extract<ProviderOrder, { kind: K }>> };

export function heldOrderDesks(gateways: Partial<ProviderGateways>, payee: PayeeLookup): HeldOrderDesks {
  return {
    payout: payoutOrders(() => need(gateways.payout, 'payout'), payee),
    recharge: rechargeOrders(() => need(gateways.recharge, 'recharge')),
    bill: billOrders(() => need(gateways.bbps, 'BBPS')),
  };
}
