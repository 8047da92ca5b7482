/**
 * Every workflow the worker runs, by the names recorded in running histories as their types:
 * never rename one. Only deterministic code is reachable from here.
 *
 * Each workflow's module is required when a workflow of its type runs, not imported here. The
 * SDK gives every workflow a module cache of its own and evaluates this file, and all it
 * imports, afresh for each: with static re-exports a transfer evaluated the top-up's, the held
 * payments', the reversals' and the reports' modules too, 0.6 to 0.9 ms of the worker's CPU for
 * every workflow (docs/performance.md, "Each workflow evaluates only its own modules").
 */
import type * as HeldKinds from './heldKinds';
import type * as Reconciliation from './reconciliation';
import type * as Refund from './refund';
import type * as Reports from './reports';
import type * as Reversal from './reversal';
import type * as TopUp from './topup';
import type * as Transfer from './transfer';

type WorkflowFunction = (...args: never[]) => Promise<unknown>;

/** `name` of the module `load` requires, as a function of that name that requires it when called. */
function onFirstRun<M extends { [N in K]: WorkflowFunction }, K extends keyof M & string>(
  load: () => M,
  name: K,
): M[K] {
  const run = (...args: Parameters<M[K]>) => load()[name](...args);
  return Object.defineProperty(run, 'name', { value: name }) as unknown as M[K];
}

export const transferWorkflowV2 = onFirstRun(() => require('./transfer') as typeof Transfer, 'transferWorkflowV2');
export const transferWorkflow = onFirstRun(() => require('./transfer') as typeof Transfer, 'transferWorkflow');
export const payoutWorkflow = onFirstRun(() => require('./heldKinds') as typeof HeldKinds, 'payoutWorkflow');
export const rechargeWorkflow = onFirstRun(() => require('./heldKinds') as typeof HeldKinds, 'rechargeWorkflow');
export const billPaymentWorkflow = onFirstRun(() => require('./heldKinds') as typeof HeldKinds, 'billPaymentWorkflow');
export const topUpWorkflow = onFirstRun(() => require('./topup') as typeof TopUp, 'topUpWorkflow');
export const refundWorkflow = onFirstRun(() => require('./refund') as typeof Refund, 'refundWorkflow');
export const reversalWorkflow = onFirstRun(() => require('./reversal') as typeof Reversal, 'reversalWorkflow');
export const reversalSweepWorkflow = onFirstRun(
  () => require('./reversal') as typeof Reversal,
  'reversalSweepWorkflow',
);
export const reconciliationWorkflow = onFirstRun(
  () => require('./reconciliation') as typeof Reconciliation,
  'reconciliationWorkflow',
);
export const orphanSweepWorkflow = onFirstRun(
  () => require('./reconciliation') as typeof Reconciliation,
  'orphanSweepWorkflow',
);
export const reportRollupWorkflow = onFirstRun(() => require('./reports') as typeof Reports, 'reportRollupWorkflow');
