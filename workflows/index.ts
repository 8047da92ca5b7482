/** Every workflow the worker runs. Only deterministic code is reachable from here. */
export { orphanSweepWorkflow, reconciliationWorkflow } from './reconciliation';
export { topUpWorkflow } from './topup';
export { refundWorkflow } from './refund';
export { transferWorkflow } from './transfer';
export { billPaymentWorkflow, payoutWorkflow, rechargeWorkflow } from './heldKinds';
