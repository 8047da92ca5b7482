/**
 * `npm run patch-gate -- --before <ISO time> [--type <workflowType>]… [--task-queue <name>]`:
 * the gate of the versioning lifecycle (README, "Deploying workflow changes"). Lists the payment
 * workflows still running that were started before `--before` (the deploy that shipped a
 * `patched()` branch, or its `deprecatePatch()`), and exits 1 while there is any: their
 * histories still need the old branch, so the next step of the lifecycle must wait.
 */
import { Client, Connection } from '@temporalio/client';
import { loadConfigOrExit } from '../config';
import { envWithDevStack } from './stack/devEnv';

function options(argv: string[]) {
  const o: { before?: Date; types: string[]; taskQueue?: string } = { types: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--before') o.before = new Date(argv[++i] ?? '');
    else if (a === '--type') o.types.push(argv[++i] ?? '');
    else if (a === '--task-queue') o.taskQueue = argv[++i];
    else throw new Error(`unknown option ${a} (known: --before ISO, --type T, --task-queue Q)`);
  }
  if (!o.before || Number.isNaN(o.before.getTime())) throw new Error('--before <ISO time of the deploy> is required');
  return { ...o, before: o.before };
}

async function main(): Promise<number> {
  const o = options(process.argv.slice(2));
  const config = loadConfigOrExit(envWithDevStack());
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  try {
    const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
    const query = [
      `ExecutionStatus = 'Running'`,
      `StartTime < '${o.before.toISOString()}'`,
      ...(o.types.length ? [`WorkflowType IN (${o.types.map((t) => `'${t}'`).join(', ')})`] : []),
      `TaskQueue = '${o.taskQueue ?? config.TEMPORAL_TASK_QUEUE}'`,
    ].join(' AND ');
    const open: string[] = [];
    for await (const wf of client.workflow.list({ query }))
      open.push(`${wf.workflowId} (${wf.type}, started ${wf.startTime.toISOString()})`);
    if (open.length === 0) {
      console.log(
        `patch-gate: no workflow started before ${o.before.toISOString()} is still running; the next step may ship.`,
      );
      return 0;
    }
    console.log(
      `patch-gate: ${open.length} workflow(s) started before ${o.before.toISOString()} still run; wait (or settle them) before the next step:`,
    );
    for (const line of open.slice(0, 50)) console.log(`  ${line}`);
    return 1;
  } finally {
    await connection.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`patch-gate: ${(err as Error).message}`);
    process.exit(2);
  },
);
