/**
 * Determinism guard: closed workflow histories are kept as fixtures and replayed against the
 * current workflow code by test/workflows/replay.test.ts. `RECORD_HISTORIES=1 npm test` refreshes
 * them; a fixture that is missing is recorded on the next run. They are written by the Temporal
 * CLI (`temporal workflow show --output json`), the format ops also use to export a history.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { testEnv } from './env';

export const HISTORY_DIR = path.join(__dirname, '..', 'fixtures', 'histories');

export async function keepHistory(client: Client, workflowId: string, name: string): Promise<void> {
  const file = path.join(HISTORY_DIR, `${name}.json`);
  if (existsSync(file) && process.env.RECORD_HISTORIES !== '1') return;
  await client.workflow.getHandle(workflowId).result(); // only closed histories are stable fixtures
  const r = spawnSync(
    testEnv.temporalCli,
    ['workflow', 'show', '--workflow-id', workflowId, '--output', 'json', '--address', testEnv.temporalAddress, '--namespace', 'default'],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  if (r.status !== 0) throw new Error(`could not export the history of ${workflowId}: ${r.stderr}`);
  mkdirSync(HISTORY_DIR, { recursive: true });
  writeFileSync(file, r.stdout);
}
