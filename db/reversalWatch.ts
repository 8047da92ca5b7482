/**
 * The reversal watch of settled payouts, recharges and bills, kept on their `payment_records`
 * row: when the next provider check is due, until when the provider may still reverse the
 * payment, and how many checks remain. The payment's workflow has closed by then; the reversal
 * sweep (workflows/reversal.ts) asks the provider for each check that falls due.
 *
 * Times are computed by the database (NOW(3)), so no worker's clock decides when a check is due.
 */
import type { Knex } from 'knex';
import type { HeldPaymentKind } from '../domain/contracts';
import { Db, update } from './sql';

/** As many checks as the watch the workflows ran before: one every sixth of the window, the last at its end. */
export const REVERSAL_CHECKS = 6;

/**
 * Starts the watch of a payment as it is recorded COMPLETED (in that transaction): the first
 * check a sixth of the window from now. Idempotent: a repeat neither restarts nor extends it.
 */
export async function startReversalWatch(db: Db, paymentId: string, watchMs: number): Promise<void> {
  const watch = reversalWatchAssignments(watchMs);
  await update(
    db,
    `UPDATE payment_records SET ${watch.sql}
      WHERE id = ? AND status = 'COMPLETED' AND reversal_watch_until IS NULL`,
    [...watch.values, paymentId],
  );
}

/**
 * The SET assignments that start a watch of `watchMs` on a row that has none (a row already
 * watched keeps its watch), for an UPDATE of its own or of the status change it starts with.
 * The window's end is assigned last, so the assignments before it read whether it was set
 * whether the server assigns left to right (MariaDB's default) or all at once.
 */
export function reversalWatchAssignments(watchMs: number): { sql: string; values: unknown[] } {
  const watchUs = Math.max(0, Math.round(watchMs * 1000));
  return {
    sql: `reversal_check_at = IF(reversal_watch_until IS NULL, NOW(3) + INTERVAL ? MICROSECOND, reversal_check_at),
          reversal_checks_left = IF(reversal_watch_until IS NULL, ?, reversal_checks_left),
          reversal_watch_until = IFNULL(reversal_watch_until, NOW(3) + INTERVAL ? MICROSECOND)`,
    values: [Math.floor(watchUs / REVERSAL_CHECKS), REVERSAL_CHECKS, watchUs],
  };
}

export interface DueReversalCheck {
  kind: HeldPaymentKind;
  paymentId: string;
}

/** The checks due now, the longest overdue first. */
export async function reversalChecksDue(knex: Knex, limit: number): Promise<DueReversalCheck[]> {
  const rows: Array<{ id: string; kind: HeldPaymentKind }> = await knex('payment_records')
    .select('id', 'kind')
    .where('reversal_check_at', '<=', knex.raw('NOW(3)'))
    .orderBy('reversal_check_at')
    .limit(limit);
  return rows.map((r) => ({ kind: r.kind, paymentId: r.id }));
}

/**
 * One check is done and found nothing: the next one is spread evenly over what remains of the
 * window, and after the last (or once the window is over) the watch ends. Only a check that was
 * due moves on, so two sweeps overlapping cannot skip one.
 */
export async function recordReversalCheck(knex: Knex, paymentId: string): Promise<void> {
  // MariaDB assigns left to right, each assignment seeing the ones before it: reversal_check_at
  // must come first, so that it reads reversal_checks_left before the decrement.
  await knex.raw(
    `UPDATE payment_records
        SET reversal_check_at = IF(reversal_checks_left <= 1 OR reversal_watch_until <= NOW(3), NULL,
              NOW(3) + INTERVAL FLOOR(TIMESTAMPDIFF(MICROSECOND, NOW(3), reversal_watch_until) / (reversal_checks_left - 1)) MICROSECOND),
            reversal_checks_left = GREATEST(reversal_checks_left, 1) - 1
      WHERE id = ? AND reversal_check_at <= NOW(3)`,
    [paymentId],
  );
}

/**
 * A check that could not be done (the provider did not answer), or whose reversal a reversal run
 * is booking: asked again in `ms`, without using up one of the six. Moving it out of the
 * way keeps one provider's outage from starving every other check at the head of the queue.
 */
export async function deferReversalCheck(knex: Knex, paymentId: string, ms: number): Promise<void> {
  await knex.raw(
    `UPDATE payment_records SET reversal_check_at = NOW(3) + INTERVAL ? MICROSECOND
      WHERE id = ? AND reversal_check_at IS NOT NULL`,
    [Math.round(ms * 1000), paymentId],
  );
}

/**
 * A reversal was reported (webhook, recheck) but the provider's status API did not confirm it:
 * the next check comes within `ms`, in case the status API was lagging behind its webhook.
 */
export async function bringReversalCheckForward(knex: Knex, paymentId: string, ms: number): Promise<void> {
  await knex.raw(
    `UPDATE payment_records SET reversal_check_at = LEAST(reversal_check_at, NOW(3) + INTERVAL ? MICROSECOND)
      WHERE id = ? AND reversal_check_at IS NOT NULL`,
    [Math.round(ms * 1000), paymentId],
  );
}

/**
 * Whether a reversal of this payment is still booked automatically: it is COMPLETED and its watch
 * has a check to come. The one definition the webhook path, the operator's recheck and the sweep
 * share: the sweep keeps the watch until its last check (at or after the window's end) found
 * nothing, and an event the watch no longer takes is left to finance, never booked twice.
 */
export async function isWatchedForReversal(knex: Knex, paymentId: string): Promise<boolean> {
  const [rows] = await knex.raw(
    `SELECT 1 AS watched FROM payment_records
      WHERE id = ? AND status = 'COMPLETED' AND reversal_check_at IS NOT NULL`,
    [paymentId],
  );
  return (rows as unknown[]).length > 0;
}
