/**
 * Limit usage as counters on the user's row (domain/limitUsage.ts), so a limit check no longer
 * sums the month's entries under share locks. The backfill counts the IST day and month the
 * migration runs in, from the same entries and holds the old sums read; run it before the
 * workers start, as every migration.
 *
 * The backfill's SQL is written out here rather than imported: a shipped migration must not
 * change when the ledger's code does.
 */
import type { Knex } from 'knex';

const IST = 'INTERVAL 330 MINUTE';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`ALTER TABLE users
    ADD COLUMN limit_day DATE NULL AFTER monthly_limit,
    ADD COLUMN limit_day_used DECIMAL(15,2) NOT NULL DEFAULT 0.00 AFTER limit_day,
    ADD COLUMN limit_month DATE NULL AFTER limit_day_used,
    ADD COLUMN limit_month_used DECIMAL(15,2) NOT NULL DEFAULT 0.00 AFTER limit_month,
    ADD CONSTRAINT chk_users_limit_usage CHECK (limit_day_used >= 0 AND limit_month_used >= 0)`);
  const [[now]] = await knex.raw(
    `SELECT DATE(UTC_TIMESTAMP() + ${IST}) AS day, DATE_FORMAT(UTC_TIMESTAMP() + ${IST}, '%Y-%m-01') AS month`,
  );
  await knex.raw(
    `UPDATE users u JOIN (
       SELECT user_id,
              SUM(CASE WHEN DATE(at + ${IST}) = ? THEN amount ELSE 0 END) AS day_used,
              SUM(amount) AS month_used
         FROM (SELECT e.user_id, e.created_at AS at, e.debit AS amount
                 FROM ledger_entries e JOIN ledger_journals j ON j.id = e.journal_id
                WHERE e.user_id IS NOT NULL AND e.debit > 0 AND j.counts_toward_limits = 1
               UNION ALL
               SELECT user_id, created_at, amount FROM holds WHERE status = 'active' AND counts_toward_limits = 1) c
        WHERE DATE_FORMAT(at + ${IST}, '%Y-%m-01') = ?
        GROUP BY user_id) x ON x.user_id = u.id
     SET u.limit_day = ?, u.limit_day_used = x.day_used, u.limit_month = ?, u.limit_month_used = x.month_used`,
    [now.day, now.month, now.day, now.month],
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`ALTER TABLE users DROP CONSTRAINT chk_users_limit_usage,
    DROP COLUMN limit_month_used, DROP COLUMN limit_month, DROP COLUMN limit_day_used, DROP COLUMN limit_day`);
}
