import type { NativeConnection } from '@temporalio/worker';
import { temporalGrpcCompressionOf } from '../../config';
import { connectToTemporal } from '../../config/temporalConnection';

/**
 * A native connection made as the engine's worker and API make theirs (worker.ts,
 * api/temporalLink.ts), compressed exactly when theirs are (TEMPORAL_GRPC_COMPRESSION): the
 * ceilings' workers and clients pay what the engine pays for each call.
 */
export const connectAsTheEngine = (address: string): Promise<NativeConnection> =>
  connectToTemporal(address, temporalGrpcCompressionOf());
