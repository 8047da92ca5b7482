import { NativeConnection } from '@temporalio/worker';
import type { GrpcCompression } from './index';

/**
 * The native connection to Temporal, made the one way every engine process makes it (the worker,
 * the API's link, and the bench's ceilings that must pay what the engine pays): its gRPC calls
 * compressed only as TEMPORAL_GRPC_COMPRESSION says (the SDK alone would gzip them).
 */
export const connectToTemporal = (address: string, compression: GrpcCompression): Promise<NativeConnection> =>
  NativeConnection.connect({ address, grpcCompression: { codec: compression } });
