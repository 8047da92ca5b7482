/**
 * The ledger references of each payment's postings and holds, built in one place: activities
 * post under them (which makes every posting idempotent) and recovery looks them up.
 */
import type { PaymentKind } from './payments';

/** The hold a payout, recharge, bill or refund places before its provider is asked. */
export const holdReferenceOf = (kind: PaymentKind, paymentId: string) => `${kind}:${paymentId}:hold`;

/** The posting that settles a payment: the top-up's credit, the transfer, or a hold's capture. */
export function settlementReferenceOf(kind: PaymentKind, paymentId: string): string {
  switch (kind) {
    case 'topup':
      return `topup:${paymentId}:credit`;
    case 'transfer':
      return `transfer:${paymentId}:post`;
    default:
      return `${kind}:${paymentId}:capture`;
  }
}
