import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, DefaultLogger, LogEntry, Worker } from '@temporalio/worker';
import type { Knex } from 'knex';
import type { ActivityDeps } from '../../activities';
import type { PhonePeGateway } from '../../providers/phonepe/client';
import { createPaymentsWorker } from '../../worker';
import { testEnv } from './env';

let runtimeInstalled = false;

/**
 * The worker's log lines (expected activity failures, mostly) go to one file per suite under
 * TEST_LOG_DIR, which `npm test` prints only for suites that fail; without it, to stderr.
 */
function logToSuiteFile(entry: LogEntry): void {
  const line = `${new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString()} [${entry.level}] ${entry.message} ${entry.meta ? JSON.stringify(entry.meta, (_k, v) => (typeof v === 'bigint' ? String(v) : v)) : ''}\n`;
  const dir = process.env.TEST_LOG_DIR;
  if (!dir) {
    process.stderr.write(line);
    return;
  }
  const suite = (globalThis as { expect?: { getState(): { testPath?: string } } }).expect?.getState().testPath;
  mkdirSync(dir, { recursive: true });
  appendFileSync(path.join(dir, `${suite ? path.basename(suite, '.ts') : 'worker'}.log`), line);
}

/**
 * Once per jest worker: the Temporal runtime logs (the SDK's and, forwarded, the native core's)
 * go to the suite's log file rather than the console.
 */
export function installTestRuntime(): void {
  if (runtimeInstalled) return;
  Runtime.install({
    logger: new DefaultLogger('WARN', logToSuiteFile),
    telemetryOptions: { logging: { filter: { core: 'WARN', other: 'WARN' }, forward: {} } },
  });
  runtimeInstalled = true;
}

export const newTaskQueue = () => `test-${randomBytes(4).toString('hex')}`;

/** For suites whose workflows never talk to PhonePe: any call is a test bug, said loudly. */
const unusedGateway: PhonePeGateway = new Proxy({} as PhonePeGateway, {
  get: (_t, method) => () =>
    Promise.reject(new Error(`this suite gave the worker no PhonePe gateway (called ${String(method)})`)),
});

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
export async function startTestWorker(
  knex: Knex,
  deps: Partial<Omit<ActivityDeps, 'knex'>> = {},
  taskQueue = newTaskQueue(),
): Promise<TestTemporal> {
  installTestRuntime();
  const config = {
    TEMPORAL_ADDRESS: testEnv.temporalAddress,
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TASK_QUEUE: taskQueue,
  };
  const clientConnection = await Connection.connect({ address: testEnv.temporalAddress });
  const client = new Client({ connection: clientConnection, namespace: 'default' });
  const { worker, connection } = await createPaymentsWorker({
    config,
    deps: { ...deps, knex, temporal: client, phonepe: deps.phonepe ?? unusedGateway },
    workflowBundlePath: testEnv.workflowBundlePath,
  });
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
