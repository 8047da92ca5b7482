/**
 * What a recovery run needs to know before it takes over a payment whose workflow stopped:
 * where the money stands (the hold, the settling posting), read from the ledger.
 */
import type { Knex } from 'knex';
import type { PaymentKind } from '../domain/payments';
import { holdReferenceOf, settlementReferenceOf } from '../domain/references';

export interface MoneyState {
  /** The payment's hold, if it places one: none (never placed), active, captured or released. */
  hold: 'none' | 'active' | 'captured' | 'released';
  /** Whether the posting that settles the payment exists. */
  settled: boolean;
}

export function recoveryActivities(deps: { knex: Knex }) {
  return {
    async inspectMoney(p: { kind: PaymentKind; paymentId: string }): Promise<MoneyState> {
      const hold = await deps.knex('holds').where({ reference: holdReferenceOf(p.kind, p.paymentId) }).first('status');
      const journal = await deps.knex('ledger_journals').where({ reference: settlementReferenceOf(p.kind, p.paymentId) }).first('id');
      return { hold: hold?.status ?? 'none', settled: journal !== undefined };
    },
  };
}
