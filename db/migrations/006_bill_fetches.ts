/**
 * Bills fetched through BBPS, per user. The API answers a fetch with the provider's refId; this
 * row ties it to the user who fetched it (another user cannot read or pay it by guessing the
 * ref) and to the one payment paying it, so a bill is not paid twice under two
 * Idempotency-Keys. A failed payment frees the bill for another attempt.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`CREATE TABLE bill_fetches (
    ref_id VARCHAR(64) PRIMARY KEY,
    user_id INT NOT NULL,
    biller_id VARCHAR(20) NOT NULL,
    customer_params JSON NOT NULL,
    status ENUM('PROCESSING', 'SUCCESS', 'FAILURE') NOT NULL DEFAULT 'PROCESSING',
    bill JSON NULL,
    failure_reason VARCHAR(500) NULL,
    payment_id VARCHAR(40) NULL,
    created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    updated_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
    INDEX idx_bill_fetches_user (user_id, created_at),
    FOREIGN KEY (user_id) REFERENCES users(id)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('bill_fetches');
}
