/**
 * A payment's timeline begins in the statement that creates its record: a trigger writes the
 * CREATED entry, at the record's own `created_at`. The record and its first entry were two
 * statements, each its own commit, for every payment of every kind; now they are one, and no
 * crash can leave a record without the start of its timeline (docs/performance.md, "Each
 * workflow evaluates only its own modules, and a payment writes two statements fewer").
 */
import type { Knex } from 'knex';

export const TIMELINE_TRIGGERS = ['payment_records_timeline_start'] as const;

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`CREATE TRIGGER payment_records_timeline_start AFTER INSERT ON payment_records FOR EACH ROW
    INSERT INTO payment_events (payment_id, status, created_at) VALUES (NEW.id, 'CREATED', NEW.created_at)`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TRIGGER IF EXISTS payment_records_timeline_start');
}
