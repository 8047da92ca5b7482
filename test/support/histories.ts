/**
 * Determinism guard: closed workflow histories are kept as fixtures (binary protobuf, encoded by
 * @temporalio/proto) and replayed against the current workflow code by replay.test.ts through
 * scripts/replay-histories.ts. `RECORD_HISTORIES=1 npm test` refreshes them; a missing one is
 * recorded on the next run. (Proto-JSON is avoided: in SDK 1.24 its converter breaks on the two
 * protobufjs versions the SDK installs.)
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

export const HISTORY_DIR = path.join(__dirname, '..', 'fixtures', 'histories');

export async function keepHistory(client: Client, workflowId: string, name: string): Promise<void> {
  const file = path.join(HISTORY_DIR, `${name}.pb`);
  if (existsSync(file) && process.env.RECORD_HISTORIES !== '1') return;
  const handle = client.workflow.getHandle(workflowId);
  await handle.result(); // only closed histories are stable fixtures
  const history = await handle.fetchHistory();
  mkdirSync(HISTORY_DIR, { recursive: true });
  writeFileSync(file, temporal.api.history.v1.History.encode(history).finish());
}
