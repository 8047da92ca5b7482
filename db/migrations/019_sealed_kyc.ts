/**
 * KYC details are sealed at rest like account numbers (db/secretBox.ts, bound to the user and
 * the submission): PAN, address and date of birth, with the PAN's last four kept for display.
 * Rows submitted before stay readable in their old columns until `npm run reseal` seals them
 * (it needs the key, which migrations do not have) and empties the plain columns.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`ALTER TABLE kyc_submissions
    MODIFY pan CHAR(10) NULL,
    ADD COLUMN pan_last4 CHAR(4) NULL AFTER pan,
    ADD COLUMN details_sealed TEXT NULL AFTER date_of_birth`);
  await knex.raw('UPDATE kyc_submissions SET pan_last4 = RIGHT(pan, 4)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`ALTER TABLE kyc_submissions DROP COLUMN details_sealed, DROP COLUMN pan_last4`);
  await knex.raw('ALTER TABLE kyc_submissions MODIFY pan CHAR(10) NOT NULL');
}
