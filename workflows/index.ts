/** Every workflow the worker runs. Only deterministic code is reachable from here. */
export { orphanSweepWorkflow, reconciliationWorkflow } from './reconciliation';
export { topUpWorkflow } from './topup';
export { refundWorkflow } from './refund';
export { reportRollupWorkflow } from './reports';
export { reversalSweepWorkflow, reversalWorkflow } from './reversal';
export { transferWorkflow } from './transfer';
// Every held kind's workflow (and their map by kind, which the worker ignores: it is not a function).
export * from './heldKinds';
