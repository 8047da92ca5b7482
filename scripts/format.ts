/** `npm run format`: rewrites every source file in the house format (Prettier, .prettierrc.json). */
import { spawnSync } from 'node:child_process';
import { PRETTIER_GLOBS } from './stack/guardrails';
import { projectRoot } from './stack/paths';

const r = spawnSync(
  process.execPath,
  [require.resolve('prettier/bin/prettier.cjs'), '--write', '--log-level', 'warn', ...PRETTIER_GLOBS],
  { cwd: projectRoot, stdio: 'inherit' },
);
process.exit(r.status ?? 1);
