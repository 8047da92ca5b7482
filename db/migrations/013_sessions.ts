/**
 * Sessions get their own table. A session was only a family of refresh tokens, so whether it
 * was live had to be found among its tokens (the session check joined them on every request),
 * and nothing could say when it was last used, on which device, or when it must end whatever
 * its refreshes. Now the session check reads the session by its primary key; a session ends at
 * `expires_at` however often it is refreshed (an absolute lifetime); `device` names the client
 * for the person reviewing their sessions and for the new-device audit; `last_used_at` and
 * `last_ip` follow its use (see db/sessions.ts for how often).
 *
 * Every existing family becomes a session: created with its first token, last used with its
 * newest, ending with its latest token's expiry, revoked if none of its tokens is live.
 */
import type { Knex } from 'knex';
import { deviceName } from '../devices';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`CREATE TABLE sessions (
    id CHAR(26) NOT NULL PRIMARY KEY,
    user_id INT NOT NULL,
    device VARCHAR(100) NOT NULL,
    ip_address VARCHAR(45) NULL,
    user_agent VARCHAR(500) NULL,
    last_ip VARCHAR(45) NULL,
    created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    last_used_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    expires_at TIMESTAMP(3) NOT NULL,
    revoked_at TIMESTAMP(3) NULL,
    revoked_reason VARCHAR(40) NULL,
    INDEX idx_sessions_user_live (user_id, revoked_at, last_used_at),
    INDEX idx_sessions_user_device (user_id, device),
    FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`);
  const [families] = (await knex.raw(`SELECT f.family_id, first.user_id, first.ip_address, first.user_agent,
        newest.ip_address AS last_ip, first.created_at, newest.created_at AS last_used_at, f.expires_at,
        CASE WHEN f.live = 0 THEN f.revoked_at END AS revoked_at
     FROM (SELECT family_id, MIN(id) AS first_id, MAX(id) AS newest_id, MAX(expires_at) AS expires_at,
                  SUM(revoked_at IS NULL) AS live, MAX(revoked_at) AS revoked_at
             FROM refresh_tokens GROUP BY family_id) f
     JOIN refresh_tokens first ON first.id = f.first_id
     JOIN refresh_tokens newest ON newest.id = f.newest_id`)) as unknown as [Array<Record<string, unknown>>];
  const sessions = families.map((f) => ({
    id: f.family_id,
    user_id: f.user_id,
    device: deviceName(f.user_agent as string | null),
    ip_address: f.ip_address,
    user_agent: f.user_agent,
    last_ip: f.last_ip,
    created_at: f.created_at,
    last_used_at: f.last_used_at,
    expires_at: f.expires_at,
    revoked_at: f.revoked_at,
    revoked_reason: f.revoked_at ? 'revoked' : null,
  }));
  await knex.batchInsert('sessions', sessions, 500);
  await knex.raw(`ALTER TABLE refresh_tokens
    ADD CONSTRAINT fk_refresh_tokens_session FOREIGN KEY (family_id) REFERENCES sessions(id) ON DELETE CASCADE`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE refresh_tokens DROP FOREIGN KEY fk_refresh_tokens_session');
  await knex.raw('DROP TABLE sessions');
}
