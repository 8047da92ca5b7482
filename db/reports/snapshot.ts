/**
 * Reads for the reports. Every figure is a rollup plus the deltas not folded yet, each half
 * grouped by the database and the two added here (`grouped`), read in one REPEATABLE READ transaction: one snapshot, so a fold committing mid-report can neither count a
 * delta twice (folded and pending) nor drop it, and the figures of one report agree.
 */
import type { Knex } from 'knex';
import { add } from '../../domain/money';
import { addDays } from '../../domain/calendar';
import { periodOf, settleBucketSql } from '../../domain/reports';
import { fromDecimal, toDecimal } from '../money';
import type { DayRange } from '../../domain/reports';

export type Snapshot = Knex.Transaction;

export function inSnapshot<T>(knex: Knex, read: (s: Snapshot) => Promise<T>): Promise<T> {
  return knex.transaction(read, { isolationLevel: 'repeatable read' });
}

export async function query<T = Record<string, any>>(s: Snapshot, sql: string, values: unknown[]): Promise<T[]> {
  const [rows] = await s.raw(sql, values as Knex.RawBinding[]);
  return rows as T[];
}

/** One half of a figure's source: the folded rollup, or the deltas not folded yet. */
export interface SourcePart {
  sql: string;
  values: unknown[];
}

/**
 * Sums of a source grouped by `keys`: `select` (with `{rows}` where the source goes) runs on
 * each half, the rollup and the pending deltas, and the two results are merged here, key by key.
 * Grouping a UNION ALL of the two instead made the database copy every row into a temporary
 * table first: at a million payments that copy was most of a report's time (docs/performance.md).
 * Columns not in `keys` are sums: DECIMAL strings (money) are added exactly, counts as integers.
 */
export async function grouped(
  s: Snapshot,
  parts: readonly SourcePart[],
  keys: readonly string[],
  select: string,
): Promise<Array<Record<string, string>>> {
  const merged = new Map<string, Record<string, string>>();
  for (const part of parts) {
    const rows = await query<Record<string, unknown>>(s, select.replace('{rows}', part.sql), part.values);
    for (const row of rows) {
      const key = keys.map((k) => String(row[k])).join('\u0000');
      const into = merged.get(key);
      if (!into) {
        merged.set(key, Object.fromEntries(Object.entries(row).map(([c, v]) => [c, v === null ? '0' : String(v)])));
        continue;
      }
      for (const [c, v] of Object.entries(row)) if (!keys.includes(c)) into[c] = plus(into[c] ?? '0', String(v ?? '0'));
    }
  }
  return [...merged.values()];
}

/** "12.50" + "-2.25" = "10.25" in paise; "3" + "4" = "7". */
function plus(a: string, b: string): string {
  if (a.includes('.') || b.includes('.')) return toDecimal(add(fromDecimal(a), fromDecimal(b)));
  const n = Number(a) + Number(b);
  if (!Number.isSafeInteger(n)) throw new RangeError(`report count out of range: ${a} + ${b}`);
  return String(n);
}

/** Payments created in the range, by day, kind and status. */
export function paymentRowsSql(r: DayRange): SourcePart[] {
  return [
    {
      sql: 'SELECT day, kind, status, payments, amount, fee FROM report_payment_days WHERE day BETWEEN ? AND ?',
      values: [r.from, r.to],
    },
    {
      sql: 'SELECT day, kind, status, payments, amount, fee FROM report_payment_deltas WHERE day BETWEEN ? AND ?',
      values: [r.from, r.to],
    },
  ];
}

/** Some users' completed payments in the range, by day and kind, found through the users' index. */
export function memberRowsSql(r: DayRange, userIds: readonly number[]): SourcePart[] {
  const users = ` AND user_id IN (${userIds.map(() => '?').join(', ') || 'NULL'})`;
  return [
    {
      sql: `SELECT day, user_id, kind, payments, amount, fee FROM report_user_days FORCE INDEX (idx_report_user_days_user)
             WHERE day BETWEEN ? AND ?${users}`,
      values: [r.from, r.to, ...userIds],
    },
    {
      sql: `SELECT day, user_id, kind, payments, amount, fee FROM report_payment_deltas
             WHERE status = 'COMPLETED' AND day BETWEEN ? AND ?${users}`,
      values: [r.from, r.to, ...userIds],
    },
  ];
}

/**
 * Each user's completed payments over the range, without the kind: whole IST weeks inside the
 * range from `report_user_weeks`, the days at its edges from `report_user_days`, and the
 * pending deltas of the whole range. Columns: user_id, payments, amount, fee.
 */
export function userTotalsSql(r: DayRange): SourcePart[] {
  const firstMonday = periodOf(r.from, 'week') === r.from ? r.from : addDays(periodOf(r.from, 'week'), 7);
  const lastMonday = periodOf(addDays(r.to, -6), 'week') >= firstMonday ? periodOf(addDays(r.to, -6), 'week') : null;
  const pending = {
    sql: `SELECT user_id, payments, amount, fee FROM report_payment_deltas
           WHERE status = 'COMPLETED' AND day BETWEEN ? AND ?`,
    values: [r.from, r.to],
  };
  const days = (from: string, to: string) => ({
    sql: 'SELECT user_id, payments, amount, fee FROM report_user_days WHERE day BETWEEN ? AND ?',
    values: [from, to],
  });
  // A window without a whole week in it: its days.
  if (lastMonday === null) return [days(r.from, r.to), pending];
  const parts: SourcePart[] = [
    {
      sql: 'SELECT user_id, payments, amount, fee FROM report_user_weeks WHERE week BETWEEN ? AND ?',
      values: [firstMonday, lastMonday],
    },
  ];
  if (r.from < firstMonday) parts.push(days(r.from, addDays(firstMonday, -1)));
  if (addDays(lastMonday, 7) <= r.to) parts.push(days(addDays(lastMonday, 7), r.to));
  return [...parts, pending];
}

/** Settlements of payments created in the range, as histogram buckets. */
export function settleRowsSql(r: DayRange): SourcePart[] {
  return [
    {
      sql: 'SELECT day, kind, bucket, payments, total_ms FROM report_settle_days WHERE day BETWEEN ? AND ?',
      values: [r.from, r.to],
    },
    {
      sql: `SELECT day, kind, ${settleBucketSql('settle_ms')} AS bucket, payments, payments * settle_ms AS total_ms
              FROM report_settle_deltas WHERE day BETWEEN ? AND ?`,
      values: [r.from, r.to],
    },
  ];
}

/** Commissions credited and clawed back in the range, by level (and by payer, for one earner). */
export function commissionRowsSql(r: DayRange, earnerId?: number): SourcePart[] {
  if (earnerId === undefined) {
    return [
      {
        sql: `SELECT day, level, paid_count, paid_amount, clawback_count, clawback_amount
                FROM report_commission_level_days WHERE day BETWEEN ? AND ?`,
        values: [r.from, r.to],
      },
      {
        sql: `SELECT day, level, paid_count, paid_amount, clawback_count, clawback_amount
                FROM report_commission_deltas WHERE day BETWEEN ? AND ?`,
        values: [r.from, r.to],
      },
    ];
  }
  return [
    {
      sql: `SELECT day, payer_id, level, paid_count, paid_amount, clawback_count, clawback_amount
              FROM report_commission_days WHERE earner_id = ? AND day BETWEEN ? AND ?`,
      values: [earnerId, r.from, r.to],
    },
    {
      sql: `SELECT d.day, COALESCE(d.payer_id, p.user_id, 0) AS payer_id, d.level, d.paid_count, d.paid_amount,
                   d.clawback_count, d.clawback_amount
              FROM report_commission_deltas d LEFT JOIN payment_records p ON p.id = d.payment_id
             WHERE d.earner_id = ? AND d.day BETWEEN ? AND ?`,
      values: [earnerId, r.from, r.to],
    },
  ];
}
