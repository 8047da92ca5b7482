/**
 * The versioning lifecycle's gate: `npm run patch-gate` refuses (exit 1) while a workflow
 * started before a given deploy still runs, and allows the next step once none does.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { testEnv } from '../support/env';
import { newTaskQueue } from '../support/temporal';

const gate = (taskQueue: string, before: Date) =>
  spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(__dirname, '../../scripts/patch-gate.ts'),
      '--before',
      before.toISOString(),
      '--type',
      'rechargeWorkflow',
      '--task-queue',
      taskQueue,
    ],
    {
      encoding: 'utf8',
      env: {
        ...process.env,
        NODE_ENV: 'test',
        DATABASE_URL: 'mysql://unused:unused@127.0.0.1:1/unused',
        TEMPORAL_ADDRESS: testEnv.temporalAddress,
      },
    },
  );

it('blocks while a run from before the deploy is open, passes once it is gone', async () => {
  const connection = await Connection.connect({ address: testEnv.temporalAddress });
  const client = new Client({ connection });
  const taskQueue = newTaskQueue(); // no worker polls it: the run stays open
  const before = new Date(Date.now() - 1000);
  const handle = await client.workflow.start('rechargeWorkflow', {
    workflowId: `gate-${taskQueue}`,
    taskQueue,
    args: [],
  });
  try {
    await new Promise((r) => setTimeout(r, 1500)); // visibility catches up
    const afterStart = new Date();
    const blocked = gate(taskQueue, afterStart);
    expect(blocked.status).toBe(1);
    expect(blocked.stdout).toContain(`gate-${taskQueue}`);
    expect(gate(taskQueue, before).status).toBe(0);
    await handle.terminate('test');
    await new Promise((r) => setTimeout(r, 1500));
    expect(gate(taskQueue, afterStart).status).toBe(0);
  } finally {
    await handle.terminate().catch(() => undefined);
    await connection.close();
  }
});
