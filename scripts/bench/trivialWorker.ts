/** A worker for the benchmark's trivial workflows, run as its own process like the engine's worker. */
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { workerStackTracesOf } from '../../config';
import { connectAsTheEngine } from './engineConnection';
import * as activities from './trivialActivities';

async function main(): Promise<void> {
  const connection = await connectAsTheEngine(process.env.TEMPORAL_ADDRESS!);
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
