/** `npm run typecheck`: the strict TypeScript check `npm test` also runs first. */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { projectRoot } from './stack/paths';

// The engine, then the console (its own tsconfig: browser types, JSX).
for (const project of [projectRoot, path.join(projectRoot, 'console')]) {
  const r = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '--noEmit', '-p', project], {
    stdio: 'inherit',
  });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
