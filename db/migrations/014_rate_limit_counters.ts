/**
 * Rate-limit counters that must be shared by every API instance and survive a restart: failed
 * logins and penny-drops (api/rateLimits.ts). The layout is the one rate-limiter-flexible's
 * MySQL store reads and writes (key, points, expire in epoch milliseconds); it deletes expired
 * rows itself every hour. Keys are SHA-256 hashes, never logins or addresses.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`CREATE TABLE rate_limit_counters (
    \`key\` VARCHAR(255) CHARACTER SET ascii NOT NULL PRIMARY KEY,
    points INT NOT NULL DEFAULT 0,
    expire BIGINT UNSIGNED NULL
  ) ENGINE=InnoDB`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE rate_limit_counters');
}
