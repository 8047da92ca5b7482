import { log, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

const { runLedgerReconciliation } = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  retry: { maximumAttempts: 5 },
});

/**
 * Daily reconciliation (run by a Temporal Schedule): checks the ledger invariants and stores
 * the report, readable through the admin API. A failing check fails loudly in the logs but
 * the workflow completes, so the schedule keeps running and the report is there to read.
 */
export async function reconciliationWorkflow(): Promise<Awaited<ReturnType<Activities['runLedgerReconciliation']>>> {
  const summary = await runLedgerReconciliation();
  if (!summary.ok)
    log.error('ledger invariants failed', { failedChecks: summary.failedChecks, reportId: summary.reportId });
  if (summary.attention.undeliveredWebhooks > 0 || summary.attention.stalePayments > 0)
    log.warn('reconciliation found items for ops', { ...summary.attention, reportId: summary.reportId });
  return summary;
}

const { sweepOrphans } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '1 minute',
  retry: { maximumAttempts: 3 },
});

/**
 * The orphan sweep (every minute, by a Temporal Schedule; on demand through the admin API):
 * marks open payments whose workflow has stopped NEEDS_ATTENTION, so ops see them in a minute.
 */
export async function orphanSweepWorkflow(): Promise<Awaited<ReturnType<Activities['sweepOrphans']>>> {
  const result = await sweepOrphans();
  if (result.orphaned.length > 0) log.warn('orphaned payments marked NEEDS_ATTENTION', { orphaned: result.orphaned });
  return result;
}
