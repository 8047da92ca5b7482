/**
 * A user's outgoing money (transfers, payouts, recharges, bills) in the IST day and month
 * around a moment: completed postings marked `counts_toward_limits` plus active holds.
 *
 * Inside a posting transaction the caller holds the user's row lock, through which every
 * writer of this user's entries and holds passes; `locking: true` then makes these reads
 * locking reads, so they see the latest committed rows instead of REPEATABLE READ's snapshot.
 */
import type { Knex } from 'knex';
import { istDay, istMonth } from '../../domain/calendar';
import { add, Paise } from '../../domain/money';
import { fromDecimal } from '../money';

export interface OutgoingUsage {
  today: Paise;
  month: Paise;
}

/**
 * Both windows in two queries (entries, then holds): the IST day lies inside its IST month, so
 * one pass over the month's rows sums both. Locking reads take the same rows' share locks the
 * month alone would.
 */
export async function outgoingUsage(
  db: Knex | Knex.Transaction,
  userId: number,
  at: Date,
  opts: { locking?: boolean; excludeHoldId?: number } = {},
): Promise<OutgoingUsage> {
  const lock = opts.locking ? ' LOCK IN SHARE MODE' : '';
  // A hold being created is counted by the caller as the requested amount, not twice.
  const exclude = opts.excludeHoldId ?? 0;
  const day = istDay(at);
  const month = istMonth(at);
  const [[posted]] = await db.raw(
    `SELECT COALESCE(SUM(e.debit), 0) AS month,
            COALESCE(SUM(CASE WHEN e.created_at >= ? AND e.created_at < ? THEN e.debit ELSE 0 END), 0) AS today
       FROM ledger_entries e
       JOIN ledger_journals j ON j.id = e.journal_id
      WHERE e.user_id = ? AND e.created_at >= ? AND e.created_at < ? AND e.debit > 0 AND j.counts_toward_limits = 1${lock}`,
    [day.from, day.to, userId, month.from, month.to],
  );
  const [[held]] = await db.raw(
    `SELECT COALESCE(SUM(amount), 0) AS month,
            COALESCE(SUM(CASE WHEN created_at >= ? AND created_at < ? THEN amount ELSE 0 END), 0) AS today
       FROM holds
      WHERE user_id = ? AND status = 'active' AND counts_toward_limits = 1 AND created_at >= ? AND created_at < ? AND id <> ?${lock}`,
    [day.from, day.to, userId, month.from, month.to, exclude],
  );
  return {
    today: add(fromDecimal(posted.today), fromDecimal(held.today)),
    month: add(fromDecimal(posted.month), fromDecimal(held.month)),
  };
}
