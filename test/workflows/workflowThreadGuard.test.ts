/**
 * The deadlock guard of our patch to the Temporal worker (patches/README.md): a workflow thread
 * no longer calls into its sandbox with Node's per-call `vm` timeout; the main thread times the
 * calls instead, and one that runs past isolateExecutionTimeout fails the worker. Without the
 * patch the first test fails: the SDK's own guard fails only the workflow task, and the worker
 * keeps running.
 */
import { Worker, WorkerOptions } from '@temporalio/worker';
import { useFixtureWorkflows } from '../support/fixtureWorkflows';
import { newTaskQueue } from '../support/temporal';

const TIMEOUT_MS = 1000;
const fixtures = useFixtureWorkflows('spinning.ts');

const workerOn = (taskQueue: string) =>
  Worker.create({
    connection: fixtures.connection,
    taskQueue,
    workflowBundle: fixtures.bundle,
    activities: {},
    // The SDK reads this option (5 s by default), though its type does not show it.
    isolateExecutionTimeout: `${TIMEOUT_MS}ms`,
  } as WorkerOptions);

/** How many of spinFor's iterations take about `ms` here (the same loop, outside the sandbox). */
function iterationsFor(ms: number): number {
  const n = 2_000_000;
  const started = performance.now();
  let x = 0;
  for (let i = 0; i < n; i++) x = (x * 31 + i) % 1_000_003;
  // Reading x keeps the loop from being optimised away.
  const took = Math.max(1, performance.now() - started + (x < 0 ? 1 : 0));
  return Math.round((n * ms) / took);
}

it('fails the worker when workflow code is stuck, within about the timeout', async () => {
  const taskQueue = newTaskQueue();
  const worker = await workerOn(taskQueue);
  const handle = await fixtures.client.workflow.start('spinForever', { taskQueue, workflowId: `spin-${taskQueue}` });
  const started = performance.now();
  try {
    const tooLate = new Promise<never>((_, reject) =>
      setTimeout(
        () => reject(new Error('the worker kept running with its workflow thread stuck')),
        TIMEOUT_MS + 10_000,
      ).unref(),
    );
    await expect(Promise.race([worker.run(), tooLate])).rejects.toThrow(
      /Workflow code ran for more than 1000 ms in one call/,
    );
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(TIMEOUT_MS);
    expect(waited).toBeLessThan(TIMEOUT_MS + 10_000);
    expect(worker.getState()).toBe('FAILED');
  } finally {
    await handle.terminate('test over').catch(() => undefined);
  }
});

it('does not take a thread busy with many calls, each shorter than the timeout, for a stuck one', async () => {
  const taskQueue = newTaskQueue();
  const worker = await workerOn(taskQueue);
  // Each workflow keeps the thread busy for about a quarter of the timeout; the thread runs the
  // twelve one after another and may answer none until all have run (the SDK's thread
  // interleaves its requests): three times the timeout in all.
  const iterations = iterationsFor(TIMEOUT_MS / 4);
  const count = 12;
  const results = await worker.runUntil(
    Promise.all(
      Array.from({ length: count }, (_, k) =>
        fixtures.client.workflow.execute('spinFor', {
          taskQueue,
          workflowId: `busy-${taskQueue}-${k}`,
          args: [iterations],
        }),
      ),
    ),
  );
  expect(results).toHaveLength(count);
  expect(new Set(results).size).toBe(1);
  expect(worker.getState()).toBe('STOPPED');
});
