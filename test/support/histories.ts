/**
 * Determinism guard: workflow histories, closed and open, are kept as fixtures (binary protobuf, encoded by
 * @temporalio/proto) and replayed against the current workflow code by replay.test.ts through
 * scripts/replay-histories.ts. `RECORD_HISTORIES=1 npm test` refreshes them; a missing one is
 * recorded on the next run. (Proto-JSON is avoided: in SDK 1.24 its converter breaks on the two
 * protobufjs versions the SDK installs.)
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

/** Histories recorded before database steps became local activities: what payments open at that deploy carry. */
export const HISTORY_DIR = path.join(__dirname, '..', 'fixtures', 'histories');

/** Histories recorded after the `local-db-steps` patch (workflows/activityPolicies.ts). */
export const LOCAL_STEPS_HISTORY_DIR = path.join(HISTORY_DIR, 'local-db-steps');

/**
 * Histories recorded since the `reversals-after-close` patch (workflows/heldPayment.ts): settled
 * payments close at once, and reversals are reversal runs.
 */
export const REVERSALS_AFTER_CLOSE_HISTORY_DIR = path.join(HISTORY_DIR, 'reversals-after-close');

/**
 * Histories recorded since the `held-steps-merged` patch (workflows/heldPayment.ts): a held
 * payment records and holds in one step, and settles in one.
 */
export const HELD_STEPS_MERGED_HISTORY_DIR = path.join(HISTORY_DIR, 'held-steps-merged');

/**
 * Histories recorded since the `held-opens-processing` patch (workflows/heldPayment.ts): the
 * step that records and holds also records PROCESSING.
 */
export const HELD_OPENS_PROCESSING_HISTORY_DIR = path.join(HISTORY_DIR, 'held-opens-processing');

/**
 * Histories recorded since the `transfer-in-one-step` patch (workflows/transfer.ts): a transfer
 * records, posts and completes in one step.
 */
export const TRANSFER_IN_ONE_STEP_HISTORY_DIR = path.join(HISTORY_DIR, 'transfer-in-one-step');

/**
 * Histories recorded since transfers are started as `transferWorkflowV2` (workflows/transfer.ts),
 * which asks no patch. Where new recordings go.
 */
export const TRANSFER_V2_HISTORY_DIR = path.join(HISTORY_DIR, 'transfer-v2');

const wanted = (name: string) => {
  const file = path.join(TRANSFER_V2_HISTORY_DIR, `${name}.pb`);
  return existsSync(file) && process.env.RECORD_HISTORIES !== '1' ? undefined : file;
};

async function write(client: Client, workflowId: string, file: string): Promise<void> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, temporal.api.history.v1.History.encode(history).finish());
}

/** A closed history (completed, failed or cancelled): waits for the workflow to close. */
export async function keepHistory(client: Client, workflowId: string, name: string): Promise<void> {
  const file = wanted(name);
  if (!file) return;
  await client.workflow
    .getHandle(workflowId)
    .result()
    .catch(() => undefined);
  await write(client, workflowId, file);
}

/**
 * An open history, as it stands now: what a deploy meets in production (payments waiting on a
 * provider, parked, in the reversal watch). Replaying it checks that new code makes the same
 * decisions up to this point, which is what the running payment needs.
 */
export async function keepOpenHistory(client: Client, workflowId: string, name: string): Promise<void> {
  const file = wanted(name);
  if (!file) return;
  await write(client, workflowId, file);
}
