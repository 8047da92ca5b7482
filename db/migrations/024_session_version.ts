/**
 * A version of each user's sessions, so a request can know its session is still live from the
 * user's row alone (api/auth/guards.ts). Every change to a session's state — revoked, two-factor
 * passed, its end moved, the row deleted — bumps the version of the user it belongs to, in a
 * trigger, so no code path (nor an operator's hand-written UPDATE) can change a session without
 * it. "Last used" and "last IP" are not state: they change once a minute per session, and would
 * otherwise send every token of the user to the slower check.
 */
import type { Knex } from 'knex';

export const SESSION_VERSION_TRIGGERS = ['sessions_state_changed', 'sessions_deleted'] as const;

export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE users ADD COLUMN session_version INT UNSIGNED NOT NULL DEFAULT 0');
  await knex.raw(`CREATE TRIGGER sessions_state_changed AFTER UPDATE ON sessions FOR EACH ROW
    IF NOT (NEW.revoked_at <=> OLD.revoked_at AND NEW.two_factor_at <=> OLD.two_factor_at
            AND NEW.expires_at <=> OLD.expires_at AND NEW.user_id <=> OLD.user_id) THEN
      UPDATE users SET session_version = session_version + 1 WHERE id IN (OLD.user_id, NEW.user_id);
    END IF`);
  await knex.raw(`CREATE TRIGGER sessions_deleted AFTER DELETE ON sessions FOR EACH ROW
    UPDATE users SET session_version = session_version + 1 WHERE id = OLD.user_id`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TRIGGER IF EXISTS sessions_deleted');
  await knex.raw('DROP TRIGGER IF EXISTS sessions_state_changed');
  await knex.raw('ALTER TABLE users DROP COLUMN session_version');
}
