import type { Knex } from 'knex';
import { recordPaymentStatus } from '../db/payments';
import type { StatusChange } from '../domain/payments';

export function paymentActivities(deps: { knex: Knex }) {
  return {
    /** Keeps the read model (status, timeline) current; idempotent. */
    async recordPaymentStatus(change: StatusChange): Promise<void> {
      await recordPaymentStatus(deps.knex, change);
    },
  };
}
