/**
 * Determinism guard: every recorded history (test/fixtures/histories) must replay against the
 * current workflow bundle. A change that would break running payments fails here, in CI,
 * instead of in production. Re-record deliberately with RECORD_HISTORIES=1 when a workflow
 * change is meant to be incompatible (and version it with patched() first).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { testEnv } from '../support/env';
import { HISTORY_DIR } from '../support/histories';

const EXPECTED = ['refund-completed', 'refund-failed', 'topup-amount-mismatch-operator', 'topup-completed', 'topup-failed', 'topup-late-success', 'topup-late-window-recheck', 'topup-operator-failed'];

it('has a recorded history for every workflow path we guard', () => {
  const present = readdirSync(HISTORY_DIR).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, '')).sort();
  expect(present).toEqual(EXPECTED);
});

it('replays every recorded history against the current workflow code', async () => {
  const histories = EXPECTED.map((name) => ({
    workflowId: name,
    history: historyFromJSON(JSON.parse(readFileSync(path.join(HISTORY_DIR, `${name}.json`), 'utf8'))),
  }));
  const failures: string[] = [];
  let replayed = 0;
  for await (const result of Worker.runReplayHistories({ workflowBundle: { codePath: testEnv.workflowBundlePath } }, histories)) {
    replayed++;
    if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
  }
  expect(failures).toEqual([]);
  expect(replayed).toBe(EXPECTED.length);
});
