/**
 * Pre-bundles the workflow code into one file (used by the Docker image; `npm test` does the
 * same in memory), so a production worker starts without webpack and cannot drift from what
 * was built. Usage: node --import tsx scripts/bundle-workflows.ts <out.js>
 */
import { writeFileSync } from 'node:fs';
import { bundleWorkflowCode } from '@temporalio/worker';

async function main() {
  const out = process.argv[2];
  if (!out) throw new Error('usage: bundle-workflows.ts <out.js>');
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('../workflows') });
  writeFileSync(out, code);
  console.log(`wrote ${out} (${Math.round(code.length / 1024)} KiB)`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
