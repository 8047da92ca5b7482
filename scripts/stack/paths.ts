import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';

export const projectRoot = path.resolve(__dirname, '..', '..');
/** Per-checkout state (dev database, Temporal SQLite file, logs). Ignored by git. */
export const dataDir = path.join(projectRoot, '.data');
/** Tools built once per machine, shared by every clone and by CI runs on the same machine. */
export const toolCache = process.env.NEXASPAY_TOOL_CACHE ?? path.join(os.homedir(), '.cache', 'nexaspay');

/** A program's path as the shell would find it on PATH, or undefined. */
export function onPath(bin: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' });
  const found = r.stdout.trim();
  return r.status === 0 && found ? found : undefined;
}
