/**
 * The payment metrics (api/paymentMetrics.ts) report the money held right now on every scrape.
 * Holds are indexed by user only, so that read scanned every hold ever placed; by status it
 * reads only the few still active.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE holds ADD INDEX idx_holds_status (status)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE holds DROP INDEX idx_holds_status');
}
