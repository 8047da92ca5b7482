/**
 * A version of each user's sessions, so a request can know its session is still live from the
 * user's row alone (api/auth/guards.ts). Every change to a session's state — revoked, two-factor
 * passed, its end moved, the row deleted — gives the user it belongs to a new version, in a
 * trigger, so no code path (nor an operator's hand-written UPDATE) can change a session without
 * it. "Last used" and "last IP" are not state: they change once a minute per session, and would
 * otherwise send every token of the user to the slower check.
 *
 * A version is 48 random bits, not a counter: a token carries it, and should the signing key
 * ever leak, a counter (0 for most users) would be the only thing left to guess for a forged
 * token to pass without naming a live session; and a counter would start again at 0 after a
 * rollback of this migration, or for a user id used again, matching tokens issued before.
 * 48 bits stay exact in a JSON number.
 */
import type { Knex } from 'knex';

export const SESSION_VERSION_TRIGGERS = ['sessions_state_changed', 'sessions_deleted'] as const;

const RANDOM_VERSION = 'CAST(CONV(HEX(RANDOM_BYTES(6)), 16, 10) AS UNSIGNED)';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`ALTER TABLE users ADD COLUMN session_version BIGINT UNSIGNED NOT NULL DEFAULT (${RANDOM_VERSION})`);
  await knex.raw(`CREATE TRIGGER sessions_state_changed AFTER UPDATE ON sessions FOR EACH ROW
    IF NOT (NEW.revoked_at <=> OLD.revoked_at AND NEW.two_factor_at <=> OLD.two_factor_at
            AND NEW.expires_at <=> OLD.expires_at AND NEW.user_id <=> OLD.user_id AND NEW.id <=> OLD.id) THEN
      UPDATE users SET session_version = ${RANDOM_VERSION} WHERE id IN (OLD.user_id, NEW.user_id);
    END IF`);
  await knex.raw(`CREATE TRIGGER sessions_deleted AFTER DELETE ON sessions FOR EACH ROW
    UPDATE users SET session_version = ${RANDOM_VERSION} WHERE id = OLD.user_id`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TRIGGER IF EXISTS sessions_deleted');
  await knex.raw('DROP TRIGGER IF EXISTS sessions_state_changed');
  await knex.raw('ALTER TABLE users DROP COLUMN session_version');
}
