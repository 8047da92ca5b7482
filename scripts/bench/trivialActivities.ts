/** The trivial workflows' activities. */
import { Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { providerEventSignal } from './trivialWorkflows';

/** Returns its input. */
export async function noop(n: number): Promise<number> {
  return n;
}

let client: Promise<Client> | undefined;

/**
 * Returns at once, and the workflow is signalled right after, through the Temporal server, as a
 * provider's webhook relayed by the API would signal it (on the API's kind of connection).
 */
export async function signalAfterReturning(workflowId: string): Promise<void> {
  client ??= NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! }).then(
    (connection) => new Client({ connection }),
  );
  const signalling = client;
  setImmediate(() => {
    void signalling
      .then((c) => c.workflow.getHandle(workflowId).signal(providerEventSignal))
      .catch((err) => console.error(`signal to ${workflowId} failed`, err));
  });
}
