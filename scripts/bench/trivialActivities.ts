/** The trivial workflows' activities. */
import { Client } from '@temporalio/client';
import { PROCESSING_MS } from '../../simulators/core';
import { connectAsTheEngine } from './engineConnection';
import { providerEventSignal } from './trivialWorkflows';

/** Returns its input. */
export async function noop(n: number): Promise<number> {
  return n;
}

let client: Promise<Client> | undefined;

/**
 * Returns at once, and the workflow is signalled through the Temporal server as a provider's
 * webhook relayed by the API would signal it (on the API's kind of connection): as late as the
 * simulators send theirs, once the order has been processing for `PROCESSING_MS`. Signalled at
 * once, the held path's ceiling cost the server 4 ms less a payment and answered 15 ms faster at
 * p99, its settling never beside the next answer (docs/performance.md).
 */
export async function signalAfterReturning(workflowId: string): Promise<void> {
  client ??= connectAsTheEngine(process.env.TEMPORAL_ADDRESS!).then((connection) => new Client({ connection }));
  const signalling = client;
  setTimeout(() => {
    void signalling
      .then((c) => c.workflow.getHandle(workflowId).signal(providerEventSignal))
      .catch((err) => console.error(`signal to ${workflowId} failed`, err));
  }, PROCESSING_MS);
}
