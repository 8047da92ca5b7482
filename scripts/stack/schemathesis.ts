import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { MissingPrerequisite, step } from './log';
import { onPath, toolCache } from './paths';

/** The API fuzzer the suite runs (test/fuzz), pinned: a new version may check more. */
export const SCHEMATHESIS_VERSION = '4.32.5';

/**
 * schemathesis in its own virtualenv in the tool cache, installed from PyPI on first use (about
 * 20 s). Needs python3 with venv; nothing is downloaded but PyPI packages.
 */
export async function ensureSchemathesis(): Promise<string> {
  const venv = path.join(toolCache, `schemathesis-${SCHEMATHESIS_VERSION}`);
  const bin = path.join(venv, 'bin', 'schemathesis');
  // Written last: an interrupted install (no marker) is started over, never used half-made.
  const installed = path.join(venv, '.installed');
  if (existsSync(installed)) return bin;
  const python = onPath('python3');
  if (!python) {
    throw new MissingPrerequisite(
      'python3 is needed for the API fuzzer (schemathesis): install python3 and python3-venv.',
    );
  }
  mkdirSync(toolCache, { recursive: true });
  rmSync(venv, { recursive: true, force: true });
  step(`installing schemathesis ${SCHEMATHESIS_VERSION} from PyPI into ${venv}`);
  const run = (cmd: string, args: string[]) =>
    new Promise<void>((resolve, reject) => {
      const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('exit', (code) =>
        code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')}: ${stderr.slice(-2000)}`)),
      );
    });
  try {
    await run(python, ['-m', 'venv', venv]);
    await run(path.join(venv, 'bin', 'pip'), ['install', '--quiet', `schemathesis==${SCHEMATHESIS_VERSION}`]);
  } catch (err) {
    rmSync(venv, { recursive: true, force: true });
    throw new MissingPrerequisite(`could not install schemathesis: ${(err as Error).message}`);
  }
  writeFileSync(installed, `${new Date().toISOString()}\n`);
  return bin;
}
