/**
 * The reversal watch of settled payouts, recharges and bills, run from the read model rather
 * than by an open workflow per payment (db/reversalWatch.ts): the watch starts as the payment is
 * recorded COMPLETED, and the reversal sweep asks the provider about each check that falls due.
 * Nothing here moves money: a reversal the provider reports is booked by a reversal run
 * (workflows/reversal.ts), which asks the provider again first.
 */
import { CancelledFailure } from '@temporalio/activity';
import type { Knex } from 'knex';
import {
  bringReversalCheckForward,
  DueReversalCheck,
  deferReversalCheck,
  recordReversalCheck,
  REVERSAL_CHECKS,
  reversalChecksDue,
} from '../db/reversalWatch';
import type { ProviderOutcome, ReversalSweepResult } from '../domain/contracts';
import { currentContext } from './activityContext';
import type { ProviderOrders } from './providerOrders';

/** Checks per sweep run; the schedule runs every minute, so a backlog drains at this rate. */
const BATCH = 200;
/** Providers asked at once: a slow one holds up a slot, not the whole sweep. */
const CONCURRENCY = 8;
/**
 * A check the provider did not answer, or a reversal being booked, is asked again this much later:
 * five minutes, or sooner when the watch's own checks come sooner (a sixth of its window), so a
 * retry never waits longer than the regular check it stands in for.
 */
export function reversalRetryMs(watchMs: number): number {
  return Math.min(5 * 60_000, watchMs / REVERSAL_CHECKS);
}

export function reversalActivities(deps: { knex: Knex; orders: ProviderOrders; watchMs: number }) {
  const { knex, orders } = deps;
  const retryMs = reversalRetryMs(deps.watchMs);

  /** One due check: the provider's answer decides whether the watch moves on or a reversal run is due. */
  async function check(due: DueReversalCheck, result: ReversalSweepResult): Promise<void> {
    let answer: ProviderOutcome | null;
    try {
      answer = await orders.check(due.kind, due.paymentId);
    } catch {
      result.unanswered++;
      await deferReversalCheck(knex, due.paymentId, retryMs);
      return;
    }
    result.checked++;
    if (answer?.outcome === 'reversed') {
      // The reversal run ends the watch when it books; should it not, this check comes back.
      result.reversed.push(due);
      await deferReversalCheck(knex, due.paymentId, retryMs);
    } else {
      await recordReversalCheck(knex, due.paymentId);
    }
  }

  return {
    async sweepReversalChecks(): Promise<ReversalSweepResult> {
      const result: ReversalSweepResult = { checked: 0, reversed: [], unanswered: 0 };
      const due = await reversalChecksDue(knex, BATCH);
      for (let i = 0; i < due.length; i += CONCURRENCY) {
        if (currentContext()?.cancellationSignal.aborted) throw new CancelledFailure('reversal sweep cancelled');
        await Promise.all(due.slice(i, i + CONCURRENCY).map((d) => check(d, result)));
        currentContext()?.heartbeat({ checked: result.checked, reversed: result.reversed.length });
      }
      return result;
    },

    /** A reported reversal the provider did not confirm: its next check comes soon, not in hours. */
    async checkReversalAgainSoon(c: { paymentId: string }): Promise<void> {
      await bringReversalCheckForward(knex, c.paymentId, retryMs);
    },
  };
}
