/**
 * Limit usage as the database keeps it: the counters on the user's row (domain/limitUsage.ts),
 * read and written with the balances. What they count is recomputed from the entries by the
 * invariant checker (`limit_counters`) and by the repair in recount.ts.
 */
import type { Knex } from 'knex';
import { NotFoundError, ValidationError } from '../../domain/errors';
import { LimitCounters, OutgoingUsage, usageAt } from '../../domain/limitUsage';
import { fromDecimal, toDecimal } from '../money';
import type { UserRow } from '../users';

export type { OutgoingUsage };

export const LIMIT_COUNTER_COLUMNS = ['limit_day', 'limit_day_used', 'limit_month', 'limit_month_used'] as const;

/** The columns a user's limits and what they used of them are shown from. */
export const LIMIT_COLUMNS = ['daily_limit', 'monthly_limit', ...LIMIT_COUNTER_COLUMNS] as const;

export function countersFromRow(row: Pick<UserRow, (typeof LIMIT_COUNTER_COLUMNS)[number]>): LimitCounters {
  return {
    day: row.limit_day,
    dayUsed: fromDecimal(row.limit_day_used),
    month: row.limit_month,
    monthUsed: fromDecimal(row.limit_month_used),
  };
}

export function countersToRow(c: LimitCounters): Record<(typeof LIMIT_COUNTER_COLUMNS)[number], string | null> {
  return {
    limit_day: c.day,
    limit_day_used: toDecimal(c.dayUsed),
    limit_month: c.month,
    limit_month_used: toDecimal(c.monthUsed),
  };
}

/**
 * What counts toward limits, one row per item (user_id, at, amount): every wallet debit in a
 * journal that counts, dated by its entry, and every active hold that counts, dated when placed.
 * The one definition the invariant checker and the repair (recount.ts) both sum.
 */
export const COUNTED_TOWARD_LIMITS_SQL = `
  SELECT e.user_id, e.created_at AS at, e.debit AS amount
    FROM ledger_entries e JOIN ledger_journals j ON j.id = e.journal_id
   WHERE e.user_id IS NOT NULL AND e.debit > 0 AND j.counts_toward_limits = 1
  UNION ALL
  SELECT user_id, created_at, amount FROM holds WHERE status = 'active' AND counts_toward_limits = 1`;

/**
 * A user's limits and what they used of them now, from their row as already read (no query). A
 * clock behind the counters' day (around midnight) shows the day they count.
 */
export function limitsOf(row: Pick<UserRow, (typeof LIMIT_COLUMNS)[number]>, now: Date) {
  const counters = countersFromRow(row);
  const usage = usageAt(counters, now) ?? { today: counters.dayUsed, month: counters.monthUsed };
  return {
    dailyLimit: fromDecimal(row.daily_limit),
    monthlyLimit: fromDecimal(row.monthly_limit),
    usedToday: usage.today,
    usedThisMonth: usage.month,
  };
}

/** Usage in the IST day and month of `at` (now, or later: the counters keep no history). */
export async function outgoingUsage(db: Knex, userId: number, at: Date): Promise<OutgoingUsage> {
  const row = await db('users').where({ id: userId }).first(LIMIT_COUNTER_COLUMNS);
  if (!row) throw new NotFoundError('user not found', { userId });
  const usage = usageAt(countersFromRow(row), at);
  if (!usage) throw new ValidationError('limit usage is kept for the current day and month only', { at });
  return usage;
}
