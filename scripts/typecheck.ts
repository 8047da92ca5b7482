/** `npm run typecheck`: the strict TypeScript check `npm test` also runs first. */
import { spawnSync } from 'node:child_process';
import { projectRoot } from './stack/paths';

const r = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '--noEmit', '-p', projectRoot], {
  stdio: 'inherit',
});
process.exit(r.status ?? 1);
