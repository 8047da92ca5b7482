/** Every workflow the worker runs. Only deterministic code is reachable from here. */
export { reconciliationWorkflow } from './reconciliation';
