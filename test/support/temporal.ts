import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, DefaultLogger, Worker } from '@temporalio/worker';
import type { Knex } from 'knex';
import { createPaymentsWorker } from '../../worker';
import { testEnv } from './env';

let runtimeInstalled = false;

export interface TestTemporal {
  client: Client;
  taskQueue: string;
  worker: Worker;
  /** Shuts the worker down (waits for it) and closes the connections. */
  close(): Promise<void>;
}

/**
 * A real worker (real activities over the suite's database) on its own task queue of the shared
 * test Temporal server, using the workflow bundle `npm test` built once.
 */
export async function startTestWorker(knex: Knex): Promise<TestTemporal> {
  if (!runtimeInstalled) {
    Runtime.install({ logger: new DefaultLogger('WARN') });
    runtimeInstalled = true;
  }
  const taskQueue = `test-${randomBytes(4).toString('hex')}`;
  const config = { TEMPORAL_ADDRESS: testEnv.temporalAddress, TEMPORAL_NAMESPACE: 'default', TEMPORAL_TASK_QUEUE: taskQueue };
  const { worker, connection } = await createPaymentsWorker({ config, knex, workflowBundlePath: testEnv.workflowBundlePath });
  const clientConnection = await Connection.connect({ address: testEnv.temporalAddress });
  const client = new Client({ connection: clientConnection, namespace: 'default' });
  // Runs for the whole suite in the background; a fatal worker error fails the test that waits.
  const running = worker.run();
  return {
    client,
    taskQueue,
    worker,
    async close() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await clientConnection.close();
      await (connection as NativeConnection).close();
    },
  };
}
