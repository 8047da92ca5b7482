// Entry point of every npm script. Plain Node with no dependencies, because on a fresh clone
// nothing is installed yet: it installs (or refreshes) node_modules when package-lock.json or a
// patch of a dependency (patches/, applied by npm's postinstall) changed, then hands over to the
// TypeScript script of the same name under tsx.
import { createHash } from 'node:crypto';
import { spawnSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  console.error(`nexaspay: Node ${process.versions.node} is too old; install Node 20.19 or newer.`);
  process.exit(1);
}

const lockFile = join(root, 'package-lock.json');
const stamp = join(root, 'node_modules', '.nexaspay-install-stamp');
const patches = join(root, 'patches');
const installInputs = [
  lockFile,
  ...(existsSync(patches)
    ? readdirSync(patches)
        .filter((f) => f.endsWith('.patch'))
        .sort()
        .map((f) => join(patches, f))
    : []),
];
const wanted = existsSync(lockFile)
  ? installInputs.reduce((h, f) => h.update(basename(f)).update(readFileSync(f)), createHash('sha256')).digest('hex')
  : 'no-lockfile';
const installed = existsSync(stamp) ? readFileSync(stamp, 'utf8').trim() : '';
if (installed !== wanted) {
  const args = existsSync(lockFile) ? ['ci', '--no-audit', '--no-fund'] : ['install', '--no-audit', '--no-fund'];
  console.log(`nexaspay: installing dependencies (npm ${args[0]}), this takes a minute on a fresh clone…`);
  const r = spawnSync('npm', args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(
      'nexaspay: npm could not install the dependencies (see above); check that the npm registry is reachable.',
    );
    process.exit(r.status ?? 1);
  }
  writeFileSync(stamp, wanted);
}

const [command, ...rest] = process.argv.slice(2);
const script = join(root, 'scripts', `${command}.ts`);
if (!command || !existsSync(script)) {
  console.error(`nexaspay: unknown command "${command ?? ''}"`);
  process.exit(2);
}
const child = spawn(process.execPath, ['--import', 'tsx', script, ...rest], { cwd: root, stdio: 'inherit' });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
