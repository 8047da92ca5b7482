/**
 * What a recovery run needs to know before it takes over a payment whose workflow stopped:
 * where the money stands (the hold, the settling posting), read from the ledger.
 */
import type { Ledger } from '../db/ledger';
import type { PaymentKind } from '../domain/payments';
import { holdReferenceOf, settlementReferenceOf } from '../domain/references';
import type { MoneyState } from '../domain/contracts';

export function recoveryActivities(deps: { ledger: Ledger }) {
  return {
    async inspectMoney(p: { kind: PaymentKind; paymentId: string }): Promise<MoneyState> {
      return {
        hold: await deps.ledger.holdStatus(holdReferenceOf(p.kind, p.paymentId)),
        settled: await deps.ledger.isPosted(settlementReferenceOf(p.kind, p.paymentId)),
      };
    },
  };
}
