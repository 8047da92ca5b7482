/**
 * Settled payouts, recharges and bills are watched for a provider reversal from the read model
 * instead of by their workflow staying open for the whole window: the workflow closes at
 * settlement, and the reversal sweep (a Temporal Schedule) asks the provider when a check falls
 * due. `reversal_checks_left` spaces the checks evenly over what remains of the window.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // Two statements: the columns alone can be added in place; the index is built after.
  await knex.raw(`ALTER TABLE payment_records
    ADD COLUMN reversal_watch_until TIMESTAMP(3) NULL,
    ADD COLUMN reversal_check_at TIMESTAMP(3) NULL,
    ADD COLUMN reversal_checks_left TINYINT UNSIGNED NULL`);
  await knex.raw('ALTER TABLE payment_records ADD INDEX idx_payment_records_reversal_check (reversal_check_at)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`ALTER TABLE payment_records
    DROP INDEX idx_payment_records_reversal_check,
    DROP COLUMN reversal_checks_left,
    DROP COLUMN reversal_check_at,
    DROP COLUMN reversal_watch_until`);
}
