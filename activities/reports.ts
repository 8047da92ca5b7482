/** The report rollups' fold, run by a Temporal Schedule (workflows/reports.ts). */
import type { Knex } from 'knex';
import { foldReportDeltas, FoldResult } from '../db/reports/fold';
import { currentContext } from './activityContext';

/** Batches per run: a backlog (a migration's backfill, a long worker outage) is folded over several runs. */
const MAX_BATCHES_PER_RUN = 200;

export function reportActivities(deps: { knex: Knex }) {
  return {
    /** Folds the pending deltas into the rollups; heartbeats each batch's running totals. */
    async foldReportRollups(): Promise<FoldResult> {
      return foldReportDeltas(deps.knex, {
        maxBatches: MAX_BATCHES_PER_RUN,
        onBatch: (progress) => currentContext()?.heartbeat(progress),
      });
    },
  };
}
