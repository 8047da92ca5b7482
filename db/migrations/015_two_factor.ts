/**
 * TOTP two-factor authentication (RFC 6238). A user's secret is sealed (db/secretBox.ts, bound
 * to the user); `enabled_at` is set once the user proved a code from it; `last_used_step` is the
 * newest 30-second step a code was accepted for, so a code cannot be used twice. Recovery codes
 * are stored as SHA-256 hashes (they are random, 50 bits each: a slow hash adds nothing) and
 * spent once. A session records when it passed the second factor (`two_factor_at`): admin
 * routes need it.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`CREATE TABLE two_factor (
    user_id INT NOT NULL PRIMARY KEY,
    secret_sealed VARCHAR(255) NOT NULL,
    enabled_at TIMESTAMP(3) NULL,
    last_used_step BIGINT NULL,
    created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`);
  await knex.raw(`CREATE TABLE two_factor_recovery_codes (
    id BIGINT PRIMARY KEY AUTO_INCREMENT,
    user_id INT NOT NULL,
    code_hash CHAR(64) CHARACTER SET ascii NOT NULL,
    used_at TIMESTAMP(3) NULL,
    created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    UNIQUE KEY uq_recovery_code (user_id, code_hash),
    FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`);
  await knex.raw('ALTER TABLE sessions ADD COLUMN two_factor_at TIMESTAMP(3) NULL');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE sessions DROP COLUMN two_factor_at');
  await knex.raw('DROP TABLE two_factor_recovery_codes');
  await knex.raw('DROP TABLE two_factor');
}
