/**
 * The reversal watch of settled payouts, recharges and bills, run from the read model rather
 * than by an open workflow per payment (db/reversalWatch.ts): the watch starts as the payment is
 * recorded COMPLETED, and the reversal sweep asks the provider about each check that falls due.
 * Nothing here moves money: a reversal the provider reports is booked by a reversal run
 * (workflows/reversal.ts), which asks the provider again first.
 */
import { Context } from '@temporalio/activity';
import type { Knex } from 'knex';
import { recordReversalCheck, reversalChecksDue } from '../db/reversalWatch';
import type { ReversalSweepResult } from '../domain/contracts';
import type { ProviderOrders } from './providerOrders';

/** Checks per sweep run: the schedule runs every minute, so a backlog drains at this rate. */
const BATCH = 200;

export function reversalActivities(deps: { knex: Knex; orders: ProviderOrders }) {
  return {
    async sweepReversalChecks(): Promise<ReversalSweepResult> {
      const result: ReversalSweepResult = { checked: 0, reversed: [], unanswered: 0 };
      for (const due of await reversalChecksDue(deps.knex, BATCH)) {
        heartbeat(result);
        let answer;
        try {
          answer = await deps.orders.check(due.kind, due.paymentId);
        } catch {
          result.unanswered++; // still due: asked again at the next run
          continue;
        }
        result.checked++;
        // A reversal keeps its check due until the reversal run books it (and ends the watch).
        if (answer?.outcome === 'reversed') result.reversed.push(due);
        else await recordReversalCheck(deps.knex, due.paymentId);
      }
      return result;
    },
  };
}

function heartbeat(progress: ReversalSweepResult): void {
  try {
    Context.current().heartbeat({ checked: progress.checked, reversed: progress.reversed.length });
  } catch {
    // called outside an activity
  }
}
