/**
 * The API's link to Temporal: a client on the SDK's native connection (its Rust core, the one
 * the worker polls with) rather than the pure-JS `Connection`. The JS connection runs HTTP/2 and
 * gRPC on the API's own event loop: measured on 16-client transfers, it cost about 1.7 ms more
 * of the API's CPU per transfer, a third of all the API spends on one (docs/performance.md).
 *
 * A native connection cannot be made while Temporal is down, so it is made in the background and
 * retried: meanwhile the API serves everything else, `/readyz` reports Temporal down and a payment
 * is answered 503. Once made, it reconnects by itself when the server comes back after a restart.
 */
import { Client } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import type { Logger } from 'pino';
import type { GrpcCompression } from '../config';
import { connectToTemporal } from '../config/temporalConnection';

export interface TemporalLink {
  /** The client, or undefined until the first connection is made. */
  client(): Client | undefined;
  /** For readiness: throws while not connected, or when the server does not answer. */
  check(): Promise<void>;
  close(): Promise<void>;
}

const FIRST_RETRY_MS = 250;
const LAST_RETRY_MS = 5_000;

export function linkToTemporal(o: {
  address: string;
  namespace: string;
  compression: GrpcCompression;
  logger: Logger;
}): TemporalLink {
  let connection: NativeConnection | undefined;
  let client: Client | undefined;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;
  const connect = async (waitMs: number): Promise<void> => {
    try {
      const made = await connectToTemporal(o.address, o.compression);
      if (closed) return void (await made.close());
      connection = made;
      client = new Client({ connection: made, namespace: o.namespace });
      o.logger.info({ address: o.address }, 'connected to Temporal');
    } catch (err) {
      if (closed) return;
      o.logger.warn({ address: o.address, err: (err as Error).message, retryMs: waitMs }, 'Temporal unreachable');
      retry = setTimeout(() => void connect(Math.min(waitMs * 2, LAST_RETRY_MS)), waitMs);
    }
  };
  void connect(FIRST_RETRY_MS);
  return {
    client: () => client,
    async check() {
      if (!connection) throw new Error('not connected yet');
      await connection.healthService.check({});
    },
    async close() {
      closed = true;
      clearTimeout(retry);
      await connection?.close();
    },
  };
}
