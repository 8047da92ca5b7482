/**
 * The rollups recomputed from their sources: each check is one statement (one snapshot) that
 * adds the source's figures and subtracts the rollup's and the pending deltas', and lists every
 * key where anything is left over. Run with the ledger's checks (db/ledger/invariants.ts).
 */
import { settleBucketSql } from '../../domain/reports';
import type { Knex } from 'knex';
import { REPORT_TRIGGERS } from '../migrations/020_report_rollups';
import { missingTriggers } from '../triggers';

/** The IST day of a TIMESTAMP whatever the session's zone (as the triggers of migration 020 compute it). */
const istDay = (ts: string) => `FROM_DAYS(719528 + FLOOR((UNIX_TIMESTAMP(${ts}) + 19800) / 86400))`;
/** The Monday of an IST day's week (WEEKDAY() is 0 on Monday). */
const mondayOf = (day: string) => `DATE_SUB(${day}, INTERVAL WEEKDAY(${day}) DAY)`;
const settleMs = `GREATEST(0, CAST(ROUND((UNIX_TIMESTAMP(p.settled_at) - UNIX_TIMESTAMP(p.created_at)) * 1000) AS SIGNED))`;
const level = `IF(t.reference_number REGEXP ':(commission|clawback):[1-9]$', CAST(RIGHT(t.reference_number, 1) AS UNSIGNED), 0)`;
const commissionLines = `FROM transactions t LEFT JOIN payment_records p ON p.id = SUBSTRING_INDEX(t.reference_number, ':', 1)
  WHERE t.transaction_type = 'commission' AND t.status = 'completed' AND t.ledger_date IS NOT NULL`;

/** Keys where source − rollup − pending is not zero in any of the sums. */
function difference(key: string, sums: string[], parts: { source: string; rollup: string; pending: string }): string {
  const total = sums.map((c) => `SUM(${c}) AS ${c}_difference`).join(', ');
  const having = sums.map((c) => `SUM(${c}) <> 0`).join(' OR ');
  const negated = sums.map((c) => `-${c}`).join(', ');
  return `SELECT ${key}, ${total} FROM (
      SELECT ${key}, ${sums.join(', ')} FROM (${parts.source}) src
      UNION ALL SELECT ${key}, ${negated} FROM (${parts.rollup}) r
      UNION ALL SELECT ${key}, ${negated} FROM (${parts.pending}) d
    ) x GROUP BY ${key} HAVING ${having}`;
}

/** A check is one statement listing the offending rows, or a function that finds them. */
export type ReportCheck = { id: string; title: string } & (
  { sql: string } | { run(db: Knex): Promise<Array<Record<string, unknown>>> }
);

export const REPORT_CHECKS: readonly ReportCheck[] = [
  {
    id: 'report_payments',
    title: 'Report rollups: payments by day, kind and status equal the payments read model',
    sql: difference('day, kind, status', ['payments', 'amount', 'fee'], {
      source: `SELECT ${istDay('created_at')} AS day, kind, status, COUNT(*) AS payments, SUM(amount) AS amount, SUM(fee) AS fee
                 FROM payment_records GROUP BY 1, kind, status`,
      rollup: 'SELECT day, kind, status, payments, amount, fee FROM report_payment_days',
      pending: 'SELECT day, kind, status, payments, amount, fee FROM report_payment_deltas',
    }),
  },
  {
    id: 'report_users',
    title: "Report rollups: each user's completed payments by day and kind equal the payments read model",
    sql: difference('day, user_id, kind', ['payments', 'amount', 'fee'], {
      source: `SELECT ${istDay('created_at')} AS day, user_id, kind, COUNT(*) AS payments, SUM(amount) AS amount, SUM(fee) AS fee
                 FROM payment_records WHERE status = 'COMPLETED' GROUP BY 1, user_id, kind`,
      rollup: 'SELECT day, user_id, kind, payments, amount, fee FROM report_user_days',
      pending: `SELECT day, user_id, kind, payments, amount, fee FROM report_payment_deltas WHERE status = 'COMPLETED'`,
    }),
  },
  {
    id: 'report_user_weeks',
    title: "Report rollups: each user's completed payments by IST week equal the payments read model",
    sql: difference('week, user_id', ['payments', 'amount', 'fee'], {
      source: `SELECT ${mondayOf(istDay('created_at'))} AS week, user_id, COUNT(*) AS payments, SUM(amount) AS amount,
                      SUM(fee) AS fee
                 FROM payment_records WHERE status = 'COMPLETED' GROUP BY 1, user_id`,
      rollup: 'SELECT week, user_id, payments, amount, fee FROM report_user_weeks',
      pending: `SELECT ${mondayOf('day')} AS week, user_id, payments, amount, fee FROM report_payment_deltas
                 WHERE status = 'COMPLETED'`,
    }),
  },
  {
    id: 'report_settlements',
    title: 'Report rollups: time to settle by day, kind and bucket equals the settled payments',
    sql: difference('day, kind, bucket', ['payments', 'total_ms'], {
      source: `SELECT ${istDay('p.created_at')} AS day, p.kind, ${settleBucketSql(settleMs)} AS bucket,
                      COUNT(*) AS payments, SUM(${settleMs}) AS total_ms
                 FROM payment_records p WHERE p.settled_at IS NOT NULL GROUP BY 1, p.kind, 3`,
      rollup: 'SELECT day, kind, bucket, payments, total_ms FROM report_settle_days',
      pending: `SELECT day, kind, ${settleBucketSql('settle_ms')} AS bucket, payments, payments * settle_ms AS total_ms
                  FROM report_settle_deltas`,
    }),
  },
  {
    id: 'report_commissions',
    title: 'Report rollups: commissions by earner, day, payer and level equal the commission statement lines',
    sql: difference(
      'earner_id, day, payer_id, level',
      ['paid_count', 'paid_amount', 'clawback_count', 'clawback_amount'],
      {
        source: `SELECT t.user_id AS earner_id, t.ledger_date AS day, COALESCE(t.from_account_id, p.user_id, 0) AS payer_id,
                      ${level} AS level, SUM(t.credit_amount > 0) AS paid_count, SUM(t.credit_amount) AS paid_amount,
                      SUM(t.debit_amount > 0) AS clawback_count, SUM(t.debit_amount) AS clawback_amount
                 ${commissionLines} GROUP BY 1, 2, 3, 4`,
        rollup: `SELECT earner_id, day, payer_id, level, paid_count, paid_amount, clawback_count, clawback_amount
                 FROM report_commission_days`,
        pending: `SELECT d.earner_id, d.day, COALESCE(d.payer_id, p.user_id, 0) AS payer_id, d.level, d.paid_count, d.paid_amount,
                       d.clawback_count, d.clawback_amount
                  FROM report_commission_deltas d LEFT JOIN payment_records p ON p.id = d.payment_id`,
      },
    ),
  },
  {
    id: 'report_commission_levels',
    title: 'Report rollups: commissions by day and level equal the commission statement lines',
    sql: difference('day, level', ['paid_count', 'paid_amount', 'clawback_count', 'clawback_amount'], {
      source: `SELECT t.ledger_date AS day, ${level} AS level, SUM(t.credit_amount > 0) AS paid_count,
                      SUM(t.credit_amount) AS paid_amount, SUM(t.debit_amount > 0) AS clawback_count,
                      SUM(t.debit_amount) AS clawback_amount
                 ${commissionLines} GROUP BY 1, 2`,
      rollup:
        'SELECT day, level, paid_count, paid_amount, clawback_count, clawback_amount FROM report_commission_level_days',
      pending:
        'SELECT day, level, paid_count, paid_amount, clawback_count, clawback_amount FROM report_commission_deltas',
    }),
  },
  {
    id: 'report_triggers',
    title: 'The triggers that keep the report rollups in step with their sources are installed',
    run: (db) => missingTriggers(db, REPORT_TRIGGERS),
  },
  {
    id: 'report_settled_at',
    title: 'A payment has a settlement time exactly when it has settled (completed, failed or reversed)',
    sql: `SELECT id AS payment_id, status, settled_at FROM payment_records
           WHERE (status IN ('COMPLETED', 'FAILED', 'REVERSED')) <> (settled_at IS NOT NULL)`,
  },
];
