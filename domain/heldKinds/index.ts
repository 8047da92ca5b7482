/**
 * The held kinds, registered: adding one means its module here (see `kind.ts`), its line below,
 * its workflow in `workflows/heldKinds.ts`, and its provider (docs/architecture.md).
 */
import type { HeldPaymentKind } from '../contracts';
import { BILL } from './bill';
import type { HeldKind, HeldPaymentInput } from './kind';
import { PAYOUT } from './payout';
import { RECHARGE } from './recharge';

export const HELD_KINDS: { [K in HeldPaymentKind]: HeldKind<K, any> } = {
  payout: PAYOUT,
  recharge: RECHARGE,
  bill: BILL,
};

export type { HeldKind, HeldPaymentInput };
export type { HeldPaymentTiming } from './kind';
export type { PayoutInput } from './payout';
export type { RechargeInput } from './recharge';
export type { BillPaymentInput } from './bill';
