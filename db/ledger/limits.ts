/**
 * Limit usage as the database keeps it: the counters on the user's row (domain/limitUsage.ts),
 * read and written with the balances. What they count is recomputed from the entries by the
 * invariant checker (`limit_counters`) and by the repair in recount.ts.
 */
import type { Knex } from 'knex';
import { NotFoundError, ValidationError } from '../../domain/errors';
import { LimitCounters, OutgoingUsage, usageAt } from '../../domain/limitUsage';
import { fromDecimal, toDecimal } from '../money';

export type { OutgoingUsage };

export const LIMIT_COUNTER_COLUMNS = ['limit_day', 'limit_day_used', 'limit_month', 'limit_month_used'] as const;

export function countersFromRow(row: Record<string, any>): LimitCounters {
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

/** Usage in the IST day and month of `at` (now, or later: the counters keep no history). */
export async function outgoingUsage(db: Knex, userId: number, at: Date): Promise<OutgoingUsage> {
  const row = await db('users').where({ id: userId }).first(LIMIT_COUNTER_COLUMNS);
  if (!row) throw new NotFoundError('user not found', { userId });
  const usage = usageAt(countersFromRow(row), at);
  if (!usage) throw new ValidationError('limit usage is kept for the current day and month only', { at });
  return usage;
}
