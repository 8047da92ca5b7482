import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { MissingPrerequisite, step } from './log';
import { onPath, toolCache } from './paths';

/** A program the project builds from a pinned Go module into the tool cache, once per machine. */
export interface GoTool {
  /** What the messages call it, e.g. "the Temporal CLI". */
  label: string;
  /** `module/path/cmd/name@version`, pinned; the cached binary is named after the version too. */
  module: string;
  /** Environment variable that points at a binary to use instead. */
  envVar: string;
  /** A binary of this name on PATH is used instead of building one (only where any version will do). */
  onPath?: string;
  minGo: [number, number];
  /** `go install -tags`: leave out what the project never uses, to build faster. */
  buildTags?: string[];
}

function goVersionOk(go: string, [major, minor]: [number, number]): boolean {
  const out = spawnSync(go, ['env', 'GOVERSION'], { encoding: 'utf8' }).stdout.trim(); // e.g. go1.26.8
  const m = /^go(\d+)\.(\d+)/.exec(out);
  if (!m) return false;
  const [maj, min] = [Number(m[1]), Number(m[2])];
  return maj > major || (maj === major && min >= minor);
}

/** `github.com/x/y/cmd/temporal@v1.5.1` -> `temporal` (as go install names it). */
const binaryName = (module: string) => path.basename(module.split('@')[0]!);

/**
 * Finds the tool: $envVar, then the tool cache, then (if allowed) PATH; builds it into the tool
 * cache with `go install` when none exists. Nothing is downloaded but Go modules.
 */
export async function ensureGoTool(tool: GoTool, binDir = path.join(toolCache, 'bin')): Promise<string> {
  const fromEnv = process.env[tool.envVar];
  if (fromEnv) {
    if (!existsSync(fromEnv))
      throw new MissingPrerequisite(`${tool.envVar}=${fromEnv} does not exist; unset it or point it at a binary.`);
    return fromEnv;
  }
  const cached = path.join(binDir, binaryName(tool.module));
  if (existsSync(cached)) return cached;
  const found = tool.onPath && onPath(tool.onPath);
  if (found) return found;

  const go = onPath('go') ?? (existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
  if (!go || !goVersionOk(go, tool.minGo)) {
    throw new MissingPrerequisite(
      `${tool.label} is missing and cannot be built: install Go ${tool.minGo.join('.')} or newer (https://go.dev/doc/install), or set ${tool.envVar} to a binary.`,
    );
  }
  mkdirSync(binDir, { recursive: true });
  step(`building ${tool.label} (${tool.module}) into ${binDir}; the first build takes several minutes`);
  const started = Date.now();
  await new Promise<void>((resolve, reject) => {
    const tags = tool.buildTags?.length ? ['-tags', tool.buildTags.join(',')] : [];
    const child = spawn(go, ['install', ...tags, tool.module], {
      env: { ...process.env, GOBIN: binDir },
      cwd: binDir,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const ticker = setInterval(
      () => step(`  still building ${tool.label} (${Math.round((Date.now() - started) / 1000)} s)…`),
      30_000,
    );
    child.on('exit', (code) => {
      clearInterval(ticker);
      if (code === 0) resolve();
      else
        reject(
          new MissingPrerequisite(
            `building ${tool.label} failed (go install exit ${code}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`,
          ),
        );
    });
  });
  step(`built ${tool.label} in ${Math.round((Date.now() - started) / 1000)} s`);
  return cached;
}
