/** A worker for the benchmark's trivial workflows, run as its own process like the engine's worker. */
import path from 'node:path';
import { NativeConnection, Worker } from '@temporalio/worker';
import { temporalGrpcCompressionOf, workerStackTracesOf } from '../../config';
import * as activities from './trivialActivities';

async function main(): Promise<void> {
  // As the engine's worker connects: the ceiling pays what the engine pays for each call.
  const connection = await NativeConnection.connect({
    address: process.env.TEMPORAL_ADDRESS!,
    grpcCompression: { codec: temporalGrpcCompressionOf() },
  });
  const worker = await Worker.create({
    connection,
    taskQueue: process.env.TASK_QUEUE!,
    workflowsPath: path.join(__dirname, 'trivialWorkflows.ts'),
    activities,
    // As the engine's worker beside it records them (off by default): the ceiling pays what it pays.
    promiseStackTraces: workerStackTracesOf(),
  });
  process.on('SIGTERM', () => worker.shutdown());
  console.log('ready');
  await worker.run();
  await connection.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
