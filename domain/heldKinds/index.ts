/**
 * The held kinds, registered: adding one means its module here (see `kind.ts`), its line below,
 * and its workflow in `workflows/heldKinds.ts` (docs/architecture.md, "Adding a held kind").
 * The kinds, their orders and their workflows' inputs are all read from this registry.
 */
import { BILL } from './bill';
import type { HeldKind, HeldOrder, HeldPaymentInput } from './kind';
import { PAYOUT } from './payout';
import { RECHARGE } from './recharge';

export const HELD_KINDS = {
  payout: PAYOUT,
  recharge: RECHARGE,
  bill: BILL,
} as const;

export type HeldPaymentKind = keyof typeof HELD_KINDS;

/** The workflow input of one held kind. */
export type HeldInputOf<K extends HeldPaymentKind> = Parameters<(typeof HELD_KINDS)[K]['order']>[0];

/** An order a held payment sends to its provider, with our payment id as the reference. */
export type ProviderOrder = ReturnType<(typeof HELD_KINDS)[HeldPaymentKind]['order']>;

/** How the API starts a held payment: a kind with its own input. */
export type HeldPaymentStart = { [K in HeldPaymentKind]: { kind: K; input: HeldInputOf<K> } }[HeldPaymentKind];

/** A held kind by name, for code that works on any of them. */
export function heldKind(kind: HeldPaymentKind): HeldKind<HeldPaymentInput, HeldOrder> {
  return HELD_KINDS[kind] as HeldKind<any, HeldOrder>;
}

export type { HeldKind, HeldOrder, HeldPaymentInput };
export type { HeldPaymentTiming } from './kind';
export type { PayoutInput } from './payout';
export type { RechargeInput } from './recharge';
export type { BillPaymentInput } from './bill';
