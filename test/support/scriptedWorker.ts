/**
 * Runs the real workflow code on the test Temporal server with activities a test scripts, on a
 * task queue of its own: each branch of a payment process is driven directly, in seconds.
 */
import { Client, Connection, WorkflowHandle } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { testEnv } from './env';
import { installTestRuntime, newTaskQueue } from './temporal';

export interface ScriptedWorkers {
  /** Starts `workflowType` as `workflowId` with `args` under a worker running `activities`, then runs `scenario`. */
  run<T>(
    activities: object,
    scenario: (
      start: (workflowType: string, workflowId: string, args: unknown[]) => Promise<WorkflowHandle>,
    ) => Promise<T>,
  ): Promise<T>;
  close(): Promise<void>;
}

export async function scriptedWorkers(): Promise<ScriptedWorkers> {
  installTestRuntime();
  const connection = await NativeConnection.connect({ address: testEnv.temporalAddress });
  const clientConnection = await Connection.connect({ address: testEnv.temporalAddress });
  const client = new Client({ connection: clientConnection });
  return {
    async run(activities, scenario) {
      const taskQueue = newTaskQueue();
      const worker = await Worker.create({
        connection,
        taskQueue,
        workflowBundle: { codePath: testEnv.workflowBundlePath },
        activities,
      });
      return worker.runUntil(
        scenario((type, workflowId, args) => client.workflow.start(type, { workflowId, taskQueue, args })),
      );
    },
    async close() {
      await clientConnection.close();
      await connection.close();
    },
  };
}

export async function waitUntil(ok: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`not reached within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
