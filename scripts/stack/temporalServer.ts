import { spawnSync } from 'node:child_process';
import { SEARCH_ATTRIBUTES } from '../../workflows/searchAttributes';
import { lastLines, MissingPrerequisite } from './log';
import { freePort, startProcess, waitFor } from './processes';

/**
 * The dev server's dynamic config (`--dynamic-config-value`). The compose stack's
 * deploy/temporal/dynamicconfig.yaml sets the same values (test/compose.test.ts), but for the
 * search attributes' cache, which it must refresh (its comment says why).
 *
 * The history queues keep their default checkpoint (30 s). One a second made the server 17%
 * faster at 16 clients, but a chaos run with it lost the dev server's SQLite connection to a
 * known driver bug (a cancelled query leaves every later one "interrupted"), not seen in any
 * chaos run before (docs/performance.md, "The Temporal server walked every task it had run in
 * the last 30 s"): not adopted while the dev server runs that driver.
 */
export const DEV_SERVER_DYNAMIC_CONFIG: Record<string, boolean | number | string> = {
  // A regular activity scheduled by a workflow task comes back to the same worker with the
  // task's answer instead of through matching: one server round trip less per provider call
  // (docs/performance.md). Off by default in the server.
  'system.enableActivityEagerExecution': true,
  // Every workflow task (a start, an activity's result, a signal) reaches matching through the
  // history shard's transfer queue, whose reader polls at most 20 times a second per shard by
  // default. The dev server has one shard: under steady load a task waited up to 50 ms for
  // the next poll, the p50 of an empty workflow was 50 ms instead of 22 (docs/performance.md).
  // The reader polls only when tasks were written, so a higher cap costs nothing when idle.
  'history.transferProcessorMaxPollRPS': 1000,
  // Tasks go to one partition of each task queue instead of four. With four, a task written to
  // a partition where no poll was waiting was stored and matched later; at 16 clients the
  // trivial workflow ran 40-50% faster with one, the transfers about 10% (docs/performance.md).
  // Polls still read all four partitions (the server's default), so tasks an older server
  // wrote to the others in a kept database are still delivered; fewer read partitions than
  // were ever written would strand them.
  'matching.numTaskqueueWritePartitions': 1,
  // The CLI's dev server re-reads the search attributes' definitions (cluster metadata and the
  // namespace, from SQLite) at every use, so that attributes added at run time are seen at once:
  // a transfer's start, its two upserts and its result each paid for it, about 4 ms of the
  // server's CPU a transfer (docs/performance.md). Ours are defined with the namespace, before
  // the server serves (--search-attribute below), so the cache is right from the first read. An
  // attribute added later (a kept database meeting a newer SEARCH_ATTRIBUTES, which the worker
  // registers) is refused until each service's namespace cache has it (its refresh, 2 s by
  // default; 0.6 s in test/workflows/worker.test.ts): the server refuses a start using it as an
  // invalid argument, which the API answers as 503 for the client to retry, and fails a workflow
  // task upserting it, which it retries.
  'system.forceSearchAttributesCacheRefreshOnRead': false,
};

export interface TemporalDevServer {
  address: string;
  uiUrl?: string;
  stop(): Promise<void>;
  /** SIGKILL: a crash (chaos runs restart it on the same database file). */
  kill(): Promise<void>;
  /** How the server ended, or undefined while it runs. */
  exitStatus(): string | undefined;
  /** The server's process id (to read the CPU it used). */
  pid(): number | undefined;
}

export interface TemporalServerOptions {
  cli: string;
  /** SQLite file; persistent for dev, throwaway for tests. */
  dbFile: string;
  logFile: string;
  ui: boolean;
  /**
   * How SQLite commits. 'wal' (the default: dev, bench, chaos): write-ahead log with
   * synchronous=NORMAL, durable when the server process dies, may lose its last commits when
   * the machine loses power, never corrupt. 'throwaway' (test servers): synchronous=OFF.
   */
  sqlite?: 'wal' | 'throwaway';
  port?: number;
  uiPort?: number;
}

/**
 * Starts `temporal server start-dev` on loopback with our search attributes registered. Free
 * ports are only free when we look, so a start that loses a port race is retried on new ones.
 */
export async function startTemporalDevServer(opts: TemporalServerOptions): Promise<TemporalDevServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(opts);
    } catch (err) {
      if (attempt >= 3 || !(err instanceof MissingPrerequisite) || !/address already in use|bind/i.test(err.message))
        throw err;
    }
  }
}

async function startOnce(opts: TemporalServerOptions): Promise<TemporalDevServer> {
  const port = opts.port ?? (await freePort());
  const httpPort = await freePort();
  const metricsPort = await freePort();
  const uiPort = opts.ui ? (opts.uiPort ?? (await freePort())) : undefined;
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--http-port',
    String(httpPort),
    '--metrics-port',
    String(metricsPort),
    '--db-filename',
    opts.dbFile,
    '--log-level',
    'warn',
    ...(uiPort ? ['--ui-port', String(uiPort)] : ['--headless']),
    '--sqlite-pragma',
    'journal_mode=WAL',
    '--sqlite-pragma',
    `synchronous=${opts.sqlite === 'throwaway' ? 'OFF' : 'NORMAL'}`,
    ...Object.entries(DEV_SERVER_DYNAMIC_CONFIG).flatMap(([key, value]) => [
      '--dynamic-config-value',
      `${key}=${JSON.stringify(value)}`,
    ]),
    ...Object.entries(SEARCH_ATTRIBUTES).flatMap(([name, type]) => ['--search-attribute', `${name}=${type}`]),
  ];
  const proc = startProcess(opts.cli, args, { logFile: opts.logFile });
  const address = `127.0.0.1:${port}`;
  await waitFor(
    'the Temporal dev server',
    async () => {
      if (proc.child.exitCode !== null)
        throw new MissingPrerequisite(
          `the Temporal dev server exited with ${proc.child.exitCode}: ${lastLines(opts.logFile, 5).join(' | ')}`,
        );
      const r = spawnSync(opts.cli, ['operator', 'cluster', 'health', '--address', address], { encoding: 'utf8' });
      return r.status === 0 && /SERVING/.test(r.stdout);
    },
    60_000,
  ).catch(async (e) => {
    await proc.stop();
    throw e;
  });
  return {
    address,
    uiUrl: uiPort ? `http://127.0.0.1:${uiPort}` : undefined,
    stop: proc.stop,
    kill: proc.kill,
    exitStatus: proc.exitStatus,
    pid: () => proc.child.pid,
  };
}
