/**
 * The payments read model the API answers from without asking Temporal. The seed's `payments`
 * table is PhonePe's gateway record (its status enum is the gateway's: pending/success/…), so
 * every payment kind gets one `payment_records` row with the engine's status vocabulary, and
 * an append-only `payment_events` timeline.
 */
import type { Knex } from 'knex';

const KINDS = "'topup', 'transfer', 'payout', 'recharge', 'bill', 'refund'";
const STATUSES = "'CREATED', 'AWAITING_PAYMENT', 'PROCESSING', 'COMPLETED', 'FAILED', 'REVERSED', 'NEEDS_ATTENTION'";

const UP = [
  `CREATE TABLE payment_records (
    id VARCHAR(40) PRIMARY KEY,
    kind ENUM(${KINDS}) NOT NULL,
    user_id INT NOT NULL,
    amount DECIMAL(15,2) NOT NULL,
    fee DECIMAL(15,2) NOT NULL DEFAULT 0.00,
    status ENUM(${STATUSES}) NOT NULL DEFAULT 'CREATED',
    workflow_id VARCHAR(255) NOT NULL UNIQUE,
    provider_ref VARCHAR(255) NULL,
    provider_refs JSON NULL,
    failure_reason VARCHAR(1000) NULL,
    transaction_id INT NULL,
    gateway_payment_id INT NULL,
    related_payment_id VARCHAR(40) NULL,
    details JSON NULL,
    created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    updated_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
    INDEX idx_payment_records_user (user_id, created_at, id),
    INDEX idx_payment_records_status (status, updated_at),
    INDEX idx_payment_records_kind_status (kind, status),
    INDEX idx_payment_records_related (related_payment_id),
    FOREIGN KEY (user_id) REFERENCES users(id),
    FOREIGN KEY (transaction_id) REFERENCES transactions(id),
    FOREIGN KEY (gateway_payment_id) REFERENCES payments(id)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  `CREATE TABLE payment_events (
    id BIGINT PRIMARY KEY AUTO_INCREMENT,
    payment_id VARCHAR(40) NOT NULL,
    status ENUM(${STATUSES}) NOT NULL,
    note VARCHAR(1000) NULL,
    actor VARCHAR(255) NULL,
    created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    INDEX idx_payment_events_payment (payment_id, id),
    FOREIGN KEY (payment_id) REFERENCES payment_records(id)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
];

export async function up(knex: Knex): Promise<void> {
  for (const sql of UP) await knex.raw(sql);
}

export async function down(knex: Knex): Promise<void> {
  for (const t of ['payment_events', 'payment_records']) await knex.schema.dropTableIfExists(t);
}
