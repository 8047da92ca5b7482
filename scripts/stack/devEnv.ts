/**
 * `npm run dev` writes the addresses of the stack it started to .data/dev.env, so that other
 * commands run beside it (`npm run ledger:check`, `npm run migrate`) find the same database and
 * Temporal server without the user exporting anything. Explicit env vars always win.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { dataDir } from './paths';

const file = path.join(dataDir, 'dev.env');

export function writeDevEnv(vars: Record<string, string>): void {
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(
    file,
    Object.entries(vars)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n') + '\n',
  );
}

/** process.env with the running dev stack's addresses filled in where unset. */
export function envWithDevStack(): NodeJS.ProcessEnv {
  if (!existsSync(file)) return process.env;
  const fromFile = Object.fromEntries(
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  return { ...fromFile, ...process.env };
}
