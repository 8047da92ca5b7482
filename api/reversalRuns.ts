/**
 * How the API asks about a reversal of a settled payout, recharge or bill whose workflow has
 * closed (workflows/reversal.ts): a reversal webhook, or an operator's recheck, starts a
 * reversal run, which asks the provider before booking anything.
 */
import type { PaymentRecord } from '../db/payments';
import { isWatchedForReversal } from '../db/reversalWatch';
import { HELD_KINDS, type HeldPaymentKind } from '../domain/heldKinds';
import type { AppDeps } from './deps';
import { workflowsOf } from './routes/payments';

/**
 * Starts (or joins) the payment's reversal run when it is COMPLETED and within its reversal
 * window; answers the run's workflow id, or undefined when there is nothing to watch.
 */
export async function startReversalRunIfWatched(deps: AppDeps, payment: PaymentRecord): Promise<string | undefined> {
  if (payment.status !== 'COMPLETED' || !(payment.kind in HELD_KINDS)) return undefined;
  if (!(await isWatchedForReversal(deps.knex, payment.id))) return undefined;
  return workflowsOf(deps).startReversalRun({
    kind: payment.kind as HeldPaymentKind,
    paymentId: payment.id,
    providerCallBudgetMs: deps.config.PROVIDER_CALL_BUDGET_SECONDS * 1000,
  });
}
