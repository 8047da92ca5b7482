/**
 * A distributor's network reads its members' rows of `report_user_days` by user. Through an
 * index of (user_id, day) alone, every row was looked up again in the table for its sums (74 ms
 * for 200 members over 90 days, docs/performance.md); holding the sums in the index answers
 * from the index alone.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`ALTER TABLE report_user_days
    DROP INDEX idx_report_user_days_user,
    ADD INDEX idx_report_user_days_user (user_id, day, kind, payments, amount, fee)`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`ALTER TABLE report_user_days
    DROP INDEX idx_report_user_days_user,
    ADD INDEX idx_report_user_days_user (user_id, day)`);
}
