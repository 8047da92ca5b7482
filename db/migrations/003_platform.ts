/** Tables the API and workflows need around the ledger: sessions, idempotency, webhooks, audit, reports. */
import type { Knex } from 'knex';

const UP = [
  `CREATE TABLE refresh_tokens (
    id BIGINT PRIMARY KEY AUTO_INCREMENT,
    user_id INT NOT NULL,
    family_id CHAR(26) NOT NULL,
    token_hash CHAR(64) NOT NULL UNIQUE,
    expires_at TIMESTAMP(3) NOT NULL,
    revoked_at TIMESTAMP(3) NULL,
    revoked_reason VARCHAR(40) NULL,
    replaced_by_id BIGINT NULL,
    ip_address VARCHAR(45),
    user_agent VARCHAR(500),
    created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    INDEX idx_refresh_family (family_id),
    INDEX idx_refresh_user (user_id),
    FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  `CREATE TABLE idempotency_keys (
    id BIGINT PRIMARY KEY AUTO_INCREMENT,
    user_id INT NOT NULL,
    idempotency_key VARCHAR(255) NOT NULL,
    request_fingerprint CHAR(64) NOT NULL,
    resource_id VARCHAR(100) NOT NULL,
    response_status SMALLINT NULL,
    response_body JSON NULL,
    created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    expires_at TIMESTAMP(3) NOT NULL,
    UNIQUE KEY uniq_idempotency_user_key (user_id, idempotency_key),
    INDEX idx_idempotency_expires (expires_at),
    FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  `CREATE TABLE webhook_events (
    id BIGINT PRIMARY KEY AUTO_INCREMENT,
    provider VARCHAR(20) NOT NULL,
    dedupe_key CHAR(64) NOT NULL,
    event_type VARCHAR(100) NOT NULL,
    provider_ref VARCHAR(255) NOT NULL,
    workflow_id VARCHAR(255) NULL,
    payload JSON NOT NULL,
    received_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    signalled_at TIMESTAMP(3) NULL,
    UNIQUE KEY uniq_webhook_dedupe (provider, dedupe_key),
    INDEX idx_webhook_ref (provider, provider_ref),
    INDEX idx_webhook_unsignalled (signalled_at, received_at)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  `CREATE TABLE audit_logs (
    id BIGINT PRIMARY KEY AUTO_INCREMENT,
    actor_user_id INT NULL,
    action VARCHAR(100) NOT NULL,
    target_type VARCHAR(50) NULL,
    target_id VARCHAR(100) NULL,
    outcome ENUM('success', 'failure') NOT NULL,
    ip_address VARCHAR(45),
    user_agent VARCHAR(500),
    request_id VARCHAR(64),
    details JSON NULL,
    created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    INDEX idx_audit_actor (actor_user_id, created_at),
    INDEX idx_audit_action (action, created_at),
    INDEX idx_audit_target (target_type, target_id)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  `CREATE TABLE reconciliation_reports (
    id BIGINT PRIMARY KEY AUTO_INCREMENT,
    started_at TIMESTAMP(3) NOT NULL,
    finished_at TIMESTAMP(3) NOT NULL,
    ok BOOLEAN NOT NULL,
    report JSON NOT NULL,
    INDEX idx_recon_finished (finished_at)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
];

export async function up(knex: Knex): Promise<void> {
  for (const sql of UP) await knex.raw(sql);
}

export async function down(knex: Knex): Promise<void> {
  for (const t of ['reconciliation_reports', 'audit_logs', 'webhook_events', 'idempotency_keys', 'refresh_tokens']) {
    await knex.schema.dropTableIfExists(t);
  }
}
