/**
 * A user's outgoing money (transfers, payouts, recharges, bills) in the IST day and month
 * around a moment: completed postings marked `counts_toward_limits` plus active holds.
 *
 * Inside a posting transaction the caller holds the user's row lock, through which every
 * writer of this user's entries and holds passes; `locking: true` then makes these reads
 * locking reads, so they see the latest committed rows instead of REPEATABLE READ's snapshot.
 */
import type { Knex } from 'knex';
import { istDay, istMonth, Window } from '../../domain/calendar';
import { add, Paise } from '../../domain/money';
import { fromDecimal } from '../money';

export interface OutgoingUsage {
  today: Paise;
  month: Paise;
}

async function usageIn(
  db: Knex | Knex.Transaction,
  userId: number,
  w: Window,
  locking: boolean,
  excludeHoldId: number,
): Promise<Paise> {
  const lock = locking ? ' LOCK IN SHARE MODE' : '';
  const [[posted]] = await db.raw(
    `SELECT COALESCE(SUM(e.debit), 0) AS total FROM ledger_entries e
       JOIN ledger_journals j ON j.id = e.journal_id
      WHERE e.user_id = ? AND e.created_at >= ? AND e.created_at < ? AND e.debit > 0 AND j.counts_toward_limits = 1${lock}`,
    [userId, w.from, w.to],
  );
  const [[held]] = await db.raw(
    `SELECT COALESCE(SUM(amount), 0) AS total FROM holds
      WHERE user_id = ? AND status = 'active' AND counts_toward_limits = 1 AND created_at >= ? AND created_at < ? AND id <> ?${lock}`,
    [userId, w.from, w.to, excludeHoldId],
  );
  return add(fromDecimal(posted.total), fromDecimal(held.total));
}

export async function outgoingUsage(
  db: Knex | Knex.Transaction,
  userId: number,
  at: Date,
  opts: { locking?: boolean; excludeHoldId?: number } = {},
): Promise<OutgoingUsage> {
  const locking = opts.locking ?? false;
  // A hold being created is counted by the caller as the requested amount, not twice.
  const exclude = opts.excludeHoldId ?? 0;
  const today = await usageIn(db, userId, istDay(at), locking, exclude);
  const month = await usageIn(db, userId, istMonth(at), locking, exclude);
  return { today, month };
}
