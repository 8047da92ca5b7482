/**
 * The Temporal UI's "Stack Trace" view (the `__stack_trace` and `__enhanced_stack_trace`
 * queries) after our patch to the worker (patches/README.md): the SDK recorded a source-mapped
 * stack for every promise a workflow created; the patch reads each promise's call sites then
 * and formats them only when a query asks. The answers must be what the SDK gave before, computed by
 * its own code: the expected stacks below were recorded with the SDK unpatched. The patch's
 * `promiseStackTraces: false` (the payments worker's default, WORKER_STACK_TRACES) records none,
 * and the queries say so.
 */
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { useFixtureWorkflows } from '../support/fixtureWorkflows';
import { newTaskQueue } from '../support/temporal';

const fixtures = useFixtureWorkflows('waiting.ts');

async function withWaitingWorkflow(
  test: (handle: WorkflowHandle) => Promise<void>,
  options: { promiseStackTraces?: boolean } = {},
): Promise<void> {
  const taskQueue = newTaskQueue();
  const worker = await Worker.create({
    connection: fixtures.connection,
    taskQueue,
    workflowBundle: fixtures.bundle,
    activities: {},
    ...options,
  });
  await worker.runUntil(async () => {
    const handle = await fixtures.client.workflow.start('waitingInPlaces', {
      taskQueue,
      workflowId: `stack-${taskQueue}`,
    });
    try {
      await test(handle);
    } finally {
      await handle.terminate('test over').catch(() => undefined);
    }
  });
}

const FIXTURE = path.join(__dirname, '../fixtures/workflows/waiting.ts');
/** The fixture's path, which depends on where the repository is, as "waiting.ts". */
const relative = (text: string) => text.replaceAll(FIXTURE, 'waiting.ts');

it('answers the stack trace query with the source-mapped stacks the SDK gave', async () => {
  await withWaitingWorkflow(async (handle) => {
    // Recorded with the SDK unpatched (the source map's names are the SDK's, not ours).
    expect(relative(await handle.query<string>('__stack_trace'))).toBe(
      [
        '    at isReleased (waiting.ts:19:18)\n    at untilReleased (waiting.ts:14:39)',
        '    at race (waiting.ts:24:16)\n    at timersRacing (waiting.ts:14:70)',
        '    at all (waiting.ts:14:34)',
      ].join('\n\n'),
    );
  });
});

it('answers the enhanced stack trace query with the locations and sources the SDK gave', async () => {
  await withWaitingWorkflow(async (handle) => {
    const trace = await handle.query<{ stacks: Array<{ locations: unknown[] }> }>('__enhanced_stack_trace');
    const at = (function_name: string, line: number, column: number) => ({
      file_path: 'waiting.ts',
      function_name,
      line,
      column,
      internal_code: false,
    });
    // Recorded with the SDK unpatched.
    expect(JSON.parse(relative(JSON.stringify(trace.stacks)))).toEqual([
      { locations: [at('isReleased', 19, 18), at('untilReleased', 14, 39)] },
      { locations: [at('race', 24, 16), at('timersRacing', 14, 70)] },
      { locations: [at('all', 14, 34)] },
    ]);
  });
});

it('says stack traces are off when the worker is created with promiseStackTraces off', async () => {
  await withWaitingWorkflow(
    async (handle) => {
      // The SDK's own answer for a thread without the hook (as on a runtime that lacks it).
      for (const query of ['__stack_trace', '__enhanced_stack_trace'])
        await expect(handle.query(query)).rejects.toThrow('Workflow stack traces are not enabled on this worker');
    },
    { promiseStackTraces: false },
  );
});
