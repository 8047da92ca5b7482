/**
 * Replays recorded workflow histories (binary protobuf, `History.encode`) against the current
 * workflow code: a change that would break running workflows fails here, not in production.
 * Usage: node --import tsx scripts/replay-histories.ts [--bundle file.js] history.pb…
 * Prints one `replay-result {json}` line per history and exits 1 if any fails to replay.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';

async function main(): Promise<number> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const args = process.argv.slice(2);
  const bundleAt = args.indexOf('--bundle');
  const bundle = bundleAt >= 0 ? args.splice(bundleAt, 2)[1] : undefined;
  if (args.length === 0) throw new Error('usage: replay-histories.ts [--bundle file.js] history.pb…');
  const histories = args.map((file) => ({
    workflowId: path.basename(file, '.pb'),
    history: temporal.api.history.v1.History.decode(readFileSync(file)),
  }));
  const options = bundle
    ? { workflowBundle: { codePath: bundle } }
    : { workflowsPath: require.resolve('../workflows') };
  let failed = 0;
  for await (const r of Worker.runReplayHistories(options, histories)) {
    if (r.error) failed++;
    console.log(
      `replay-result ${JSON.stringify({ workflowId: r.workflowId, ok: !r.error, ...(r.error ? { error: r.error.message } : {}) })}`,
    );
  }
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(2);
  },
);
