import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection } from '@temporalio/worker';
import { testEnv } from './env';
import { installTestRuntime } from './temporal';

export interface FixtureWorkflows {
  connection: NativeConnection;
  client: Client;
  bundle: { code: string };
}

/**
 * For a suite that runs test-only workflows (test/fixtures/workflows/<file>) on workers of its
 * own: a worker connection, a client and the file's bundle, made before the suite's tests and
 * closed after them. The fields are set once `beforeAll` has run.
 */
export function useFixtureWorkflows(file: string): FixtureWorkflows {
  const env = {} as FixtureWorkflows;
  let clientConnection: Connection | undefined;
  beforeAll(async () => {
    installTestRuntime();
    env.connection = await NativeConnection.connect({ address: testEnv.temporalAddress });
    clientConnection = await Connection.connect({ address: testEnv.temporalAddress });
    env.client = new Client({ connection: clientConnection });
    env.bundle = await bundleWorkflowCode({
      workflowsPath: path.join(__dirname, '../fixtures/workflows', file),
      logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
    });
  });
  afterAll(async () => {
    await clientConnection?.close();
    await env.connection?.close();
  });
  return env;
}
