import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

const { foldReportRollups } = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: { maximumAttempts: 3 },
});

/**
 * Folds the report deltas into the daily rollups (every minute, by a Temporal Schedule). Reports
 * are exact whether or not it has run: they read the deltas it has not folded yet as well.
 */
export async function reportRollupWorkflow(): Promise<Awaited<ReturnType<Activities['foldReportRollups']>>> {
  return foldReportRollups();
}
