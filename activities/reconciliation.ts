import type { Knex } from 'knex';
import type { Ledger } from '../db/ledger';
import { storeReconciliationReport } from '../db/reconciliation';

export interface ReconciliationSummary {
  reportId: number;
  ok: boolean;
  failedChecks: string[];
}

export function reconciliationActivities(deps: { knex: Knex; ledger: Ledger }) {
  return {
    /** Runs the ledger invariant checker and stores its report for the admin API. */
    async runLedgerReconciliation(): Promise<ReconciliationSummary> {
      const startedAt = new Date();
      const report = await deps.ledger.checkInvariants();
      const reportId = await storeReconciliationReport(deps.knex, { startedAt, finishedAt: new Date(), ok: report.ok, report });
      return { reportId, ok: report.ok, failedChecks: report.checks.filter((c) => !c.ok).map((c) => c.id) };
    },
  };
}
