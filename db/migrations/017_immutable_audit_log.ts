/**
 * The audit log is evidence: like the ledger's journals and entries, its rows can be added and
 * never changed or removed, whoever has the database credentials of the application.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`CREATE TRIGGER audit_logs_no_update BEFORE UPDATE ON audit_logs FOR EACH ROW
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'audit_logs are immutable'`);
  await knex.raw(`CREATE TRIGGER audit_logs_no_delete BEFORE DELETE ON audit_logs FOR EACH ROW
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'audit_logs are immutable'`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TRIGGER IF EXISTS audit_logs_no_delete');
  await knex.raw('DROP TRIGGER IF EXISTS audit_logs_no_update');
}
