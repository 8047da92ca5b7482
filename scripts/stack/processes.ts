import { ChildProcess, spawn, SpawnOptions } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import net from 'node:net';
import { ENGINE_ENV, ENGINE_NODE_FLAGS, engineProcessOf } from '../../config/engineProcess';

/** A free TCP port on loopback, chosen by the kernel. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Polls `check` until it says ready. A check throws only when waiting longer is pointless. */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`${what} did not become ready within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

/**
 * Children started by the stack. They are killed when this process exits, so an interrupted
 * `npm test` or `npm run dev` never leaves a database or a Temporal server behind.
 */
const children = new Set<ChildProcess>();
let hooksInstalled = false;

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', () => {
    for (const c of children) c.kill('SIGTERM');
  });
}

export interface Started {
  child: ChildProcess;
  stop(): Promise<void>;
  /** SIGKILL, as a crash would: no chance to flush or finish anything. */
  kill(): Promise<void>;
  /** How the process ended, or undefined while it runs: `exit code 1`, `signal SIGKILL`. */
  exitStatus(): string | undefined;
}

/**
 * Spawns a long-running child whose output goes to a log file (or is inherited). The child
 * writes to the file itself: relayed through a pipe, every log line woke this process to read
 * and write it again, and on two cores under load that relay competed with the processes it
 * logs for (docs/performance.md, "Logs written by the processes themselves").
 */
export function startProcess(cmd: string, args: string[], opts: SpawnOptions & { logFile?: string }): Started {
  installExitHooks();
  const { logFile, ...spawnOpts } = opts;
  const log = logFile === undefined ? undefined : openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(cmd, args, { stdio: log === undefined ? 'inherit' : ['ignore', log, log], ...spawnOpts });
  } finally {
    // The child has its own copy of the descriptor.
    if (log !== undefined) closeSync(log);
  }
  children.add(child);
  child.on('exit', () => children.delete(child));
  const exitStatus = () =>
    child.signalCode !== null
      ? `signal ${child.signalCode}`
      : child.exitCode !== null
        ? `exit code ${child.exitCode}`
        : undefined;
  return {
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (exitStatus() !== undefined) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
    kill: () =>
      new Promise<void>((resolve) => {
        if (exitStatus() !== undefined) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
    exitStatus,
  };
}

/** A port we would like (so URLs stay the same between runs), or any free one if it is taken. */
export async function preferredPort(port: number): Promise<number> {
  return (await portOpen(port)) ? freePort() : port;
}

/** Runs one of our TypeScript entry points as a child, its output prefixed with its name. */
export function startService(name: string, script: string, env: NodeJS.ProcessEnv): Started {
  const engine = engineProcessOf(name);
  const flags = engine ? ENGINE_NODE_FLAGS[engine] : [];
  const started = startProcess(process.execPath, [...flags, '--import', 'tsx', script], {
    env: { ...env, ...ENGINE_ENV },
    logFile: undefined,
    stdio: ['ignore', 'pipe', 'pipe'],
  } as SpawnOptions);
  const prefix = (chunk: Buffer) =>
    chunk
      .toString()
      .split('\n')
      .filter(Boolean)
      .map((l) => `[${name}] ${l}`)
      .join('\n') + '\n';
  started.child.stdout?.on('data', (d: Buffer) => process.stdout.write(prefix(d)));
  started.child.stderr?.on('data', (d: Buffer) => process.stderr.write(prefix(d)));
  return started;
}
