/**
 * Beneficiary account numbers are stored encrypted (AES-256-GCM with a random IV, so the same
 * number encrypts differently each time). The seed's unique key (user_id, account_number,
 * ifsc_code) therefore no longer detects duplicates; it stays, faithful to the seed, and a keyed
 * hash of the number (HMAC-SHA256 under BENEFICIARY_HASH_KEY) carries the real uniqueness rule.
 * `name_at_bank` keeps what penny-drop verification returned.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`ALTER TABLE beneficiaries
    ADD COLUMN account_hash CHAR(64) NULL AFTER account_number,
    ADD COLUMN account_last4 CHAR(4) NULL AFTER account_hash,
    ADD COLUMN name_at_bank VARCHAR(255) NULL AFTER verification_date,
    ADD UNIQUE KEY uniq_beneficiary_account_hash (user_id, account_hash, ifsc_code)`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(
    `ALTER TABLE beneficiaries DROP INDEX uniq_beneficiary_account_hash, DROP COLUMN account_hash, DROP COLUMN account_last4, DROP COLUMN name_at_bank`,
  );
}
