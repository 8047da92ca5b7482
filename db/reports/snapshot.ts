/**
 * Reads for the reports. Every figure is a rollup plus the deltas not folded yet, read in one
 * REPEATABLE READ transaction: one snapshot, so a fold committing mid-report can neither count a
 * delta twice (folded and pending) nor drop it, and the figures of one report agree.
 */
import type { Knex } from 'knex';
import { settleBucketSql } from '../../domain/reports';
import type { DayRange } from '../../domain/reports';

export type Snapshot = Knex.Transaction;

export function inSnapshot<T>(knex: Knex, read: (s: Snapshot) => Promise<T>): Promise<T> {
  return knex.transaction(read, { isolationLevel: 'repeatable read' });
}

export async function query<T = Record<string, any>>(s: Snapshot, sql: string, values: unknown[]): Promise<T[]> {
  const [rows] = await s.raw(sql, values as Knex.RawBinding[]);
  return rows as T[];
}

/** Payments created in the range (completed ones only with `completedOnly`), rollup and pending together. */
export function paymentRowsSql(r: DayRange, opts: { completedOnly?: boolean; userIds?: readonly number[] } = {}) {
  const users = opts.userIds ? ` AND user_id IN (${opts.userIds.map(() => '?').join(', ') || 'NULL'})` : '';
  const userValues = opts.userIds ?? [];
  if (opts.completedOnly) {
    return {
      // A few users' rows are found by user; everyone's (top users) by day.
      sql: `SELECT day, user_id, kind, payments, amount, fee FROM report_user_days${opts.userIds ? ' FORCE INDEX (idx_report_user_days_user)' : ''}
             WHERE day BETWEEN ? AND ?${users}
            UNION ALL
            SELECT day, user_id, kind, payments, amount, fee FROM report_payment_deltas
             WHERE status = 'COMPLETED' AND day BETWEEN ? AND ?${users}`,
      values: [r.from, r.to, ...userValues, r.from, r.to, ...userValues],
    };
  }
  return {
    sql: `SELECT day, kind, status, payments, amount, fee FROM report_payment_days WHERE day BETWEEN ? AND ?
          UNION ALL
          SELECT day, kind, status, payments, amount, fee FROM report_payment_deltas WHERE day BETWEEN ? AND ?`,
    values: [r.from, r.to, r.from, r.to],
  };
}

/** Settlements of payments created in the range, as histogram buckets. */
export function settleRowsSql(r: DayRange) {
  return {
    sql: `SELECT day, kind, bucket, payments, total_ms FROM report_settle_days WHERE day BETWEEN ? AND ?
          UNION ALL
          SELECT day, kind, ${settleBucketSql('settle_ms')}, payments, payments * settle_ms FROM report_settle_deltas
           WHERE day BETWEEN ? AND ?`,
    values: [r.from, r.to, r.from, r.to],
  };
}

/** Commissions credited and clawed back in the range, by level (and by payer, for one earner). */
export function commissionRowsSql(r: DayRange, earnerId?: number) {
  if (earnerId === undefined) {
    return {
      sql: `SELECT day, level, paid_count, paid_amount, clawback_count, clawback_amount
              FROM report_commission_level_days WHERE day BETWEEN ? AND ?
            UNION ALL
            SELECT day, level, paid_count, paid_amount, clawback_count, clawback_amount
              FROM report_commission_deltas WHERE day BETWEEN ? AND ?`,
      values: [r.from, r.to, r.from, r.to],
    };
  }
  return {
    sql: `SELECT day, payer_id, level, paid_count, paid_amount, clawback_count, clawback_amount
            FROM report_commission_days WHERE earner_id = ? AND day BETWEEN ? AND ?
          UNION ALL
          SELECT d.day, COALESCE(d.payer_id, p.user_id, 0), d.level, d.paid_count, d.paid_amount, d.clawback_count, d.clawback_amount
            FROM report_commission_deltas d LEFT JOIN payment_records p ON p.id = d.payment_id
           WHERE d.earner_id = ? AND d.day BETWEEN ? AND ?`,
    values: [earnerId, r.from, r.to, earnerId, r.from, r.to],
  };
}
