/**
 * Four-eyes on money an admin creates: decisions that credit money no provider confirmed (an
 * operator "succeeded" on a top-up) and large refunds are proposed by one admin and carried out
 * only when a different admin approves (api/routes/adminApprovals.ts). A proposal is pending,
 * then approved (carried out) or rejected; `approving` marks the one approval being carried
 * out, so two admins approving at once cannot both run it.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`CREATE TABLE operator_approvals (
    id CHAR(26) NOT NULL PRIMARY KEY,
    action ENUM('resolve', 'refund') NOT NULL,
    payment_id VARCHAR(40) NOT NULL,
    request JSON NOT NULL,
    status ENUM('pending', 'approving', 'approved', 'rejected') NOT NULL DEFAULT 'pending',
    proposed_by INT NOT NULL,
    proposed_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    decided_by INT NULL,
    decided_at TIMESTAMP(3) NULL,
    decision_note VARCHAR(500) NULL,
    result JSON NULL,
    INDEX idx_approvals_status (status, proposed_at),
    INDEX idx_approvals_payment (payment_id, status),
    FOREIGN KEY (proposed_by) REFERENCES users(id),
    FOREIGN KEY (decided_by) REFERENCES users(id)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE operator_approvals');
}
