import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { MissingPrerequisite, step } from './log';
import { toolCache } from './paths';

/** The one CLI version we build: the newest tag installable with `go install`; bundles server 1.29.1 and the UI. */
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';
const MIN_GO = [1, 25];

function onPath(bin: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' });
  const found = r.stdout.trim();
  return r.status === 0 && found ? found : undefined;
}

function goVersionOk(go: string): boolean {
  const out = spawnSync(go, ['env', 'GOVERSION'], { encoding: 'utf8' }).stdout.trim(); // e.g. go1.26.8
  const m = /^go(\d+)\.(\d+)/.exec(out);
  if (!m) return false;
  const [maj, min] = [Number(m[1]), Number(m[2])];
  return maj > MIN_GO[0]! || (maj === MIN_GO[0] && min >= MIN_GO[1]!);
}

/**
 * Finds the Temporal CLI: $TEMPORAL_CLI, then `temporal` on PATH, then the tool cache; builds it
 * into the tool cache with `go install` when none exists. Nothing is downloaded but Go modules.
 */
export async function ensureTemporalCli(): Promise<string> {
  const fromEnv = process.env.TEMPORAL_CLI;
  if (fromEnv) {
    if (!existsSync(fromEnv))
      throw new MissingPrerequisite(
        `TEMPORAL_CLI=${fromEnv} does not exist; unset it or point it at a temporal binary.`,
      );
    return fromEnv;
  }
  const binDir = path.join(toolCache, 'bin');
  const cached = path.join(binDir, 'temporal');
  if (existsSync(cached)) return cached;
  const pathCli = onPath('temporal');
  if (pathCli) return pathCli;

  const go = onPath('go') ?? (existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
  if (!go || !goVersionOk(go)) {
    throw new MissingPrerequisite(
      'the Temporal CLI is missing and cannot be built: install Go 1.25 or newer (https://go.dev/doc/install), or set TEMPORAL_CLI to a temporal binary.',
    );
  }
  mkdirSync(binDir, { recursive: true });
  step(`building the Temporal CLI (${TEMPORAL_CLI_MODULE}) into ${binDir}; the first build takes several minutes`);
  const started = Date.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(go, ['install', TEMPORAL_CLI_MODULE], {
      env: { ...process.env, GOBIN: binDir },
      cwd: toolCache,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const ticker = setInterval(
      () => step(`  still building the Temporal CLI (${Math.round((Date.now() - started) / 1000)} s)…`),
      30_000,
    );
    child.on('exit', (code) => {
      clearInterval(ticker);
      if (code === 0) resolve();
      else
        reject(
          new MissingPrerequisite(
            `building the Temporal CLI failed (go install exit ${code}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`,
          ),
        );
    });
  });
  step(`built the Temporal CLI in ${Math.round((Date.now() - started) / 1000)} s`);
  return cached;
}
