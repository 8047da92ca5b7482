/**
 * Top users over a window read every user's row of every day and kind in it: at a million
 * payments (1,000 retailers, 90 days) 450,000 rows, most of the admin summary's time
 * (docs/performance.md). This rollup holds each user's completed payments by IST week (Monday
 * first) without the kind: the weeks inside a window are read here and only the days at its
 * edges from `report_user_days`, so 90 days are 12 weeks and at most 12 days. The fold keeps it
 * in step with `report_user_days` from the same deltas; the checker recomputes it.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`CREATE TABLE report_user_weeks (
    week DATE NOT NULL,
    user_id INT NOT NULL,
    payments BIGINT NOT NULL,
    amount DECIMAL(18,2) NOT NULL,
    fee DECIMAL(18,2) NOT NULL,
    PRIMARY KEY (week, user_id)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`);
  // WEEKDAY() is 0 on Monday; the days are IST days already.
  await knex.raw(`INSERT INTO report_user_weeks (week, user_id, payments, amount, fee)
    SELECT DATE_SUB(day, INTERVAL WEEKDAY(day) DAY), user_id, SUM(payments), SUM(amount), SUM(fee)
      FROM report_user_days GROUP BY 1, user_id`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE report_user_weeks');
}
