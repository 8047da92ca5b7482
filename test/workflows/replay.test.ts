/**
 * Determinism guard: every recorded history (test/fixtures/histories) must replay against the
 * current workflow bundle. A change that would break running payments fails here, in CI,
 * instead of in production. Re-record deliberately with RECORD_HISTORIES=1 when a workflow
 * change is meant to be incompatible (and version it first: patched(), or a new workflow type).
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { testEnv } from '../support/env';
import {
  HELD_OPENS_PROCESSING_HISTORY_DIR,
  HELD_STEPS_MERGED_HISTORY_DIR,
  HISTORY_DIR,
  LOCAL_STEPS_HISTORY_DIR,
  REVERSALS_AFTER_CLOSE_HISTORY_DIR,
  TRANSFER_IN_ONE_STEP_HISTORY_DIR,
  TRANSFER_V2_HISTORY_DIR,
} from '../support/histories';

/** Closed histories: every way a payment ends. */
const CLOSED = [
  'bill-cancelled-during-send-completed',
  'bill-completed',
  'bill-failed',
  'bill-hold-refused',
  'bill-reversed',
  'orphan-sweep-run',
  'payout-cancelled-during-send-completed',
  'payout-completed',
  'payout-failed',
  'payout-hold-refused',
  'payout-reversed',
  'recharge-cancelled-during-send-completed',
  'recharge-completed',
  'recharge-failed',
  'recharge-hold-refused',
  'recharge-operator-failed-from-ui',
  'recharge-operator-failed-release-parked',
  'recharge-reversed',
  'reconciliation-run',
  'refund-cancelled-during-request-captured',
  'refund-completed',
  'refund-failed',
  'topup-amount-mismatch-operator',
  'topup-completed',
  'topup-failed',
  'topup-late-success',
  'topup-late-window-recheck',
  'topup-lost-page-second-order-completed',
  'topup-operator-failed',
  'transfer-completed',
  'transfer-refused',
];

/**
 * Open histories: what a deploy meets in production, payments mid-way that the new code must
 * continue exactly as the old one started them.
 */
const OPEN = [
  'bill-open-parked-after-window',
  'bill-open-reversal-watch',
  'bill-open-waiting-on-provider',
  'payout-open-reversal-watch',
  'payout-open-waiting-on-provider',
  'recharge-open-cancelled-parked',
  'recharge-open-operator-succeeded',
  'recharge-open-provider-unreachable',
  'recharge-open-recovery-completed',
  'recharge-open-reversal-watch',
  'recharge-open-waiting-on-provider',
];

/** Payments in their reversal watch: only before `reversals-after-close` did a settled payment's workflow stay open. */
const IN_REVERSAL_WATCH = ['bill-open-reversal-watch', 'payout-open-reversal-watch', 'recharge-open-reversal-watch'];

/** Since `reversals-after-close`: a reversal is booked by a reversal run, found by a webhook or the sweep. */
const REVERSAL_RUNS = [
  'bill-reversal-run-reversed',
  'payout-reversal-run-reversed',
  'recharge-reversal-run-reversed',
  'reversal-sweep-run',
];

const BEFORE_REVERSAL_RUNS = [...CLOSED, ...OPEN].sort();
const SINCE_REVERSAL_RUNS = [...CLOSED, ...OPEN.filter((n) => !IN_REVERSAL_WATCH.includes(n)), ...REVERSAL_RUNS].sort();
/**
 * Since `topup-found-paid` (workflows/topup.ts), recorded in the current generation: a top-up
 * reset to its first task after its customer paid, settled from the paid order.
 */
const SINCE_FOUND_PAID = [...SINCE_REVERSAL_RUNS, 'topup-reset-found-paid'].sort();

/** Every generation open payments may carry at a deploy, each patch's histories beside the code before it. */
const GENERATIONS = [
  { name: 'before local database steps', dir: HISTORY_DIR, expected: BEFORE_REVERSAL_RUNS },
  { name: 'with local database steps', dir: LOCAL_STEPS_HISTORY_DIR, expected: BEFORE_REVERSAL_RUNS },
  { name: 'with reversals after close', dir: REVERSALS_AFTER_CLOSE_HISTORY_DIR, expected: SINCE_REVERSAL_RUNS },
  { name: 'with held steps merged', dir: HELD_STEPS_MERGED_HISTORY_DIR, expected: SINCE_REVERSAL_RUNS },
  {
    name: 'with PROCESSING recorded on opening',
    dir: HELD_OPENS_PROCESSING_HISTORY_DIR,
    expected: SINCE_FOUND_PAID,
  },
  { name: 'with a transfer in one step', dir: TRANSFER_IN_ONE_STEP_HISTORY_DIR, expected: SINCE_FOUND_PAID },
  { name: 'with transfers as transferWorkflowV2', dir: TRANSFER_V2_HISTORY_DIR, expected: SINCE_FOUND_PAID },
];

describe.each(GENERATIONS)('histories $name', ({ dir, expected: EXPECTED }) => {
  it('has a recorded history for every workflow path we guard', () => {
    const present = readdirSync(dir)
      .filter((f) => f.endsWith('.pb'))
      .map((f) => f.replace(/\.pb$/, ''))
      .sort();
    expect(present).toEqual(EXPECTED);
  });

  it('replays every recorded history against the current workflow code', () => {
    // A plain Node process: jest's module registry would load protobufjs twice and break the replayer.
    const files = EXPECTED.map((name) => path.join(dir, `${name}.pb`));
    const r = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(__dirname, '../../scripts/replay-histories.ts'),
        '--bundle',
        testEnv.workflowBundlePath,
        ...files,
      ],
      {
        encoding: 'utf8',
        env: { ...process.env, NODE_ENV: 'test' },
      },
    );
    const results = r.stdout
      .split('\n')
      .filter((l) => l.startsWith('replay-result '))
      .map((l) => JSON.parse(l.slice('replay-result '.length)));
    expect(results.filter((x) => !x.ok)).toEqual([]);
    expect(results.map((x) => x.workflowId).sort()).toEqual(EXPECTED);
    expect(r.status).toBe(0);
  });
});
