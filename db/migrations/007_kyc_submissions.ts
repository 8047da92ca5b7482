/**
 * KYC submissions: what a user sent (PAN, last four of Aadhaar, address, date of birth) and
 * what an admin decided, with who and why. `users.kyc_status` stays the seed's single source of
 * truth for rules; this table is the history behind it.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`CREATE TABLE kyc_submissions (
    id INT PRIMARY KEY AUTO_INCREMENT,
    user_id INT NOT NULL,
    pan CHAR(10) NOT NULL,
    aadhaar_last4 CHAR(4) NULL,
    address TEXT NULL,
    date_of_birth DATE NULL,
    status ENUM('pending', 'verified', 'rejected') NOT NULL DEFAULT 'pending',
    reason VARCHAR(500) NULL,
    decided_by INT NULL,
    submitted_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    decided_at TIMESTAMP(3) NULL,
    INDEX idx_kyc_submissions_user (user_id, id),
    FOREIGN KEY (user_id) REFERENCES users(id),
    FOREIGN KEY (decided_by) REFERENCES users(id)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('kyc_submissions');
}
