import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { MissingPrerequisite, step } from './log';
import { onPath } from './paths';

const CANDIDATES = ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome'];

function which(): string | undefined {
  for (const c of CANDIDATES) {
    const found = onPath(c);
    if (found) return found;
  }
  return undefined;
}

/**
 * The browser the console's tests drive (playwright-core brings no browser of its own, and its
 * downloader would reach outside the package registries). On Debian as root it is installed with
 * apt-get like MariaDB; elsewhere CHROMIUM_BIN or a chromium on the PATH is needed.
 */
export function ensureChromium(): string {
  if (process.env.CHROMIUM_BIN) return process.env.CHROMIUM_BIN;
  let found = which();
  if (found) return found;
  const debianRoot = existsSync('/etc/debian_version') && process.getuid?.() === 0;
  if (!debianRoot) {
    throw new MissingPrerequisite(
      'no Chromium found for the console tests: install it (Debian/Ubuntu: apt-get install chromium) or set CHROMIUM_BIN.',
    );
  }
  step('no Chromium found; installing chromium with apt-get (a minute or two)…');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update'], ['install', '-y', '--no-install-recommends', 'chromium']]) {
    const r = spawnSync('apt-get', args, { env, encoding: 'utf8' });
    if (r.status !== 0)
      throw new MissingPrerequisite(
        `apt-get ${args.join(' ')} failed: ${(r.stderr || r.stdout).trim().split('\n').slice(-2).join(' | ')}`,
      );
  }
  found = which();
  if (!found) throw new MissingPrerequisite('chromium was installed but is not on the PATH; set CHROMIUM_BIN.');
  return found;
}
