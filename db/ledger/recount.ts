/**
 * Repair for the limit counters: sets a user's counters to what counts in the IST day and month
 * of `at`, summed from the entries and holds. Needed only when code from before the counters
 * posted after migration 009 (a rolling deploy across it); the `limit_counters` invariant names
 * the users. Runs under the user's row lock, through which every writer of the user's entries and
 * holds passes, so the sums cannot miss a posting in flight.
 */
import type { Knex } from 'knex';
import { istDate, istDay, istMonth, istMonthStart } from '../../domain/calendar';
import type { LimitCounters } from '../../domain/limitUsage';
import { fromDecimal } from '../money';
import { selectRows } from '../sql';
import { lockUser, saveUser } from './accounts';
import { COUNTED_TOWARD_LIMITS_SQL } from './limits';
import { inLedgerTransaction } from './transaction';

const COUNTED_SQL = `
  SELECT COALESCE(SUM(CASE WHEN at >= ? AND at < ? THEN amount ELSE 0 END), 0) AS day_used,
         COALESCE(SUM(amount), 0) AS month_used
    FROM (${COUNTED_TOWARD_LIMITS_SQL}) c
   WHERE user_id = ? AND at >= ? AND at < ?`;

export async function recountLimitUsage(
  knex: Knex,
  userId: number,
  at = new Date(),
): Promise<{ before: LimitCounters; after: LimitCounters }> {
  return inLedgerTransaction(knex, async (trx) => {
    const user = await lockUser(trx, userId);
    const day = istDay(at);
    const month = istMonth(at);
    const [sums] = await selectRows<{ day_used: string; month_used: string }>(trx, COUNTED_SQL, [
      day.from,
      day.to,
      userId,
      month.from,
      month.to,
    ]);
    const before = user.limits;
    user.limits = {
      day: istDate(at),
      dayUsed: fromDecimal(sums!.day_used),
      month: istMonthStart(at),
      monthUsed: fromDecimal(sums!.month_used),
    };
    await saveUser(trx, user);
    return { before, after: user.limits };
  });
}
