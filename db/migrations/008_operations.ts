/**
 * What ops need to see what no workflow will act on any more:
 *  - webhook events that reached a closed workflow and contradict how its payment ended (a
 *    reversal after the watch window, a success after a cancel) stay undelivered with a reason,
 *    listed for finance until an admin settles them;
 *  - payments whose workflow stopped while they were open (terminated, timed out, failed) are
 *    marked orphaned by the sweeper, and listed first until a recovery run takes them over.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`ALTER TABLE webhook_events
    ADD COLUMN undelivered_reason VARCHAR(500) NULL,
    ADD COLUMN settled_at TIMESTAMP(3) NULL,
    ADD COLUMN settled_by VARCHAR(32) NULL,
    ADD COLUMN settlement_note VARCHAR(500) NULL`);
  await knex.raw(`ALTER TABLE payment_records
    ADD COLUMN orphaned_at TIMESTAMP(3) NULL,
    ADD COLUMN orphan_reason VARCHAR(500) NULL,
    ADD INDEX idx_payment_records_orphaned (orphaned_at)`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(
    'ALTER TABLE payment_records DROP INDEX idx_payment_records_orphaned, DROP COLUMN orphan_reason, DROP COLUMN orphaned_at',
  );
  await knex.raw(
    'ALTER TABLE webhook_events DROP COLUMN settlement_note, DROP COLUMN settled_by, DROP COLUMN settled_at, DROP COLUMN undelivered_reason',
  );
}
