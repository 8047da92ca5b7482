/**
 * The orphan sweep: a payment whose workflow stopped (terminated, timed out, failed, cancelled
 * while parked) while the payment is still open would otherwise wait unseen until the daily
 * reconciliation calls it stale. Run every minute by a Temporal Schedule (and on demand), it
 * compares open payment records with Temporal's own view of their workflows and marks the
 * orphans NEEDS_ATTENTION with what stopped them; a recheck or resolve then starts a recovery run.
 *
 * Visibility (eventually consistent) narrows the search to the workflows not listed as running;
 * each suspect is confirmed with DescribeWorkflowExecution (strongly consistent) before it is marked.
 */
import { Client, WorkflowNotFoundError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { Knex } from 'knex';
import { markOrphaned, openPaymentsToSweep } from '../db/payments';
import type { SweepResult } from '../domain/contracts';
import { currentContext } from './activityContext';

/**
 * Younger payments are left for the next sweep: their workflow may not be listed yet. (Nothing
 * is marked on visibility alone; this only saves describing workflows that are surely running.)
 */
const SETTLE_MS = 5_000;
const PAGE = 100;

const quoted = (s: string) => `'${s.replace(/'/g, "\\'")}'`;

/** Why a workflow is no longer running, in words for the timeline; null while it runs. */
export async function whyStopped(client: Client, workflowId: string): Promise<string | null> {
  let description;
  try {
    description = await client.workflow.getHandle(workflowId).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return `workflow ${workflowId} no longer exists (past its retention?)`;
    throw err;
  }
  const status = description.status.name;
  if (status === 'RUNNING') return null;
  const at = description.closeTime?.toISOString() ?? 'an unknown time';
  const close = await client.workflowService.getWorkflowExecutionHistory({
    namespace: client.options.namespace,
    execution: { workflowId, runId: description.runId },
    historyEventFilterType: temporal.api.enums.v1.HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT,
  });
  const event = close.history?.events?.[0];
  const terminated = event?.workflowExecutionTerminatedEventAttributes;
  if (terminated)
    return `workflow terminated by ${terminated.identity || 'an unknown caller'} at ${at}${terminated.reason ? ` (reason: ${terminated.reason})` : ''}`;
  const failed = event?.workflowExecutionFailedEventAttributes?.failure?.message;
  if (failed) return `workflow failed at ${at}: ${failed}`;
  return `workflow ${status.toLowerCase().replace(/_/g, ' ')} at ${at}`;
}

export function orphanActivities(deps: { knex: Knex; temporal?: Client }) {
  return {
    async sweepOrphans(): Promise<SweepResult> {
      const client = deps.temporal;
      if (!client) throw new Error('this worker was started without a Temporal client; it cannot sweep orphans');
      const result: SweepResult = { checked: 0, orphaned: [] };
      const createdBefore = new Date(Date.now() - SETTLE_MS);
      let afterId = '';
      for (;;) {
        const page = await openPaymentsToSweep(deps.knex, { createdBefore, afterId, limit: PAGE });
        if (page.length === 0) return result;
        afterId = page[page.length - 1]!.id;
        result.checked += page.length;
        const running = new Set<string>();
        const query = `ExecutionStatus = 'Running' AND WorkflowId IN (${page.map((p) => quoted(p.workflowId)).join(', ')})`;
        for await (const wf of client.workflow.list({ query })) running.add(wf.workflowId);
        for (const p of page.filter((x) => !running.has(x.workflowId))) {
          const reason = await whyStopped(client, p.workflowId);
          if (reason && (await markOrphaned(deps.knex, p.id, reason)))
            result.orphaned.push({ paymentId: p.id, reason });
        }
        currentContext()?.heartbeat(result.checked);
      }
    },
  };
}
