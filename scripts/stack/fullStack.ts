/**
 * A whole private stack, every part a separate process that can be killed -9 and restarted: a
 * private MariaDB (durable settings: a crash loses nothing committed), a Temporal dev server on
 * a SQLite file, the simulators, API instances and workers, as production runs them (workers
 * load workflows bundled beforehand, as the image does). The chaos run uses two of each; the
 * benchmark one of each, like `npm run dev`.
 */
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { ENGINE_ENV, ENGINE_NODE_FLAGS, engineProcessOf } from '../../config/engineProcess';
import { DatabaseServer, startPrivateDatabase } from './mariadb';
import { portOpen, Started, startProcess, waitFor } from './processes';
import { projectRoot } from './paths';
import { startTemporalDevServer, TemporalDevServer } from './temporalServer';

export type Target = 'worker-1' | 'worker-2' | 'api-1' | 'api-2' | 'temporal' | 'mariadb';

interface Service {
  name: Target | 'simulators';
  start(): Promise<void>;
  kill(): Promise<void>;
  stop(): Promise<void>;
  pid?(): number | undefined;
}

export interface FullStack {
  env: NodeJS.ProcessEnv;
  apiUrls: string[];
  simulatorUrl: string;
  databaseUrl: string;
  temporalAddress: string;
  /** The process id of a running service (to read its memory or CPU). */
  pid(target: Target): number | undefined;
  /** kill -9, wait `downMs`, start again (waiting until it serves). */
  crash(target: Target, downMs: number): Promise<void>;
  stop(): Promise<void>;
}

export interface FullStackOptions {
  dir: string;
  temporalCli: string;
  /** Engine configuration on top of the stack's own (time scales, budgets). */
  env: Record<string, string>;
  /** API instances and workers (1 or 2 each; default 2). */
  apis?: 1 | 2;
  workers?: 1 | 2;
  /** Extra Node flags for the API and worker processes (e.g. `--cpu-prof`). */
  nodeArgs?: string[];
}

export async function startFullStack(o: FullStackOptions): Promise<FullStack> {
  mkdirSync(o.dir, { recursive: true });
  const logs = (name: string) => path.join(o.dir, `${name}.log`);
  // Below the kernel's ephemeral range: no port handed out meanwhile can take one of these
  // while its process is down between a crash and its restart.
  const [dbPort, temporalPort, simPort, apiPort1, apiPort2, health1, health2] = (await fixedPorts(7)) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];

  // Bundling in each worker would leave webpack's memory in it for good; production bundles once.
  const bundlePath = path.join(o.dir, 'workflow-bundle.js');
  const bundled = promisify(execFile)(process.execPath, [
    '--import',
    'tsx',
    path.join(projectRoot, 'scripts/bundle-workflows.ts'),
    bundlePath,
  ]);
  bundled.catch(() => undefined); // awaited below; a failure surfaces there
  let db: DatabaseServer = await startPrivateDatabase({
    dataDir: path.join(o.dir, 'mysql'),
    throwaway: false,
    database: 'nexaspay',
    port: dbPort,
  });
  const startTemporal = () =>
    startTemporalDevServer({
      cli: o.temporalCli,
      dbFile: path.join(o.dir, 'temporal.db'),
      logFile: logs('temporal'),
      ui: false,
      port: temporalPort,
    });
  let temporal: TemporalDevServer = await startTemporal();
  await bundled;

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    DATABASE_URL: db.url,
    TEMPORAL_ADDRESS: temporal.address,
    SIMULATOR_PORT: String(simPort),
    SIMULATOR_CALLBACK_BASE_URL: `http://127.0.0.1:${apiPort1}`,
    PHONEPE_BASE_URL: `http://127.0.0.1:${simPort}/phonepe`,
    BBPS_BASE_URL: `http://127.0.0.1:${simPort}/bbps`,
    RECHARGE_BASE_URL: `http://127.0.0.1:${simPort}/recharge`,
    PAYOUT_BASE_URL: `http://127.0.0.1:${simPort}/payout`,
    WORKER_METRICS_ADDRESS: 'off',
    WORKFLOW_BUNDLE_PATH: bundlePath,
    // The bench and the chaos run are one client address and a few users making thousands of
    // requests and payments: the budgets are lifted (the limiters still run, so their cost is
    // measured), and so is the cap on a user's open top-ups.
    RATE_LIMIT_PER_IP_PER_MINUTE: '1000000000',
    RATE_LIMIT_AUTH_PER_IP_PER_MINUTE: '1000000000',
    RATE_LIMIT_READS_PER_USER_PER_MINUTE: '1000000000',
    RATE_LIMIT_WRITES_PER_USER_PER_MINUTE: '1000000000',
    RATE_LIMIT_PAYMENTS_PER_USER_PER_MINUTE: '1000000000',
    RATE_LIMIT_BILL_FETCHES_PER_USER_PER_MINUTE: '1000000000',
    RATE_LIMIT_PENNY_DROPS_PER_USER_PER_DAY: '1000000000',
    LOGIN_FAILURES_PER_IP_PER_DAY: '1000000000',
    TOPUP_MAX_OPEN_ORDERS: '1000',
    ...o.env,
  };

  const node = (
    name: string,
    script: string,
    extra: Record<string, string>,
    ready: () => Promise<boolean>,
  ): Service => {
    let proc: Started | undefined;
    return {
      name: name as Service['name'],
      async start() {
        const engine = engineProcessOf(name);
        const flags = engine ? [...ENGINE_NODE_FLAGS[engine], ...(o.nodeArgs ?? [])] : [];
        proc = startProcess(process.execPath, [...flags, '--import', 'tsx', path.join(projectRoot, script)], {
          env: { ...env, ...(engine ? ENGINE_ENV : {}), ...extra },
          logFile: logs(name),
        });
        await waitFor(
          name,
          async () => {
            if (proc!.child.exitCode !== null)
              throw new Error(`${name} exited with ${proc!.child.exitCode}; see ${logs(name)}`);
            return ready();
          },
          90_000,
        );
      },
      kill: async () => proc?.kill(),
      stop: async () => proc?.stop(),
      pid: () => proc?.child.pid,
    };
  };
  const healthy = (port: number) => async () =>
    await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (r) => r.ok,
      () => false,
    );

  const services: Service[] = [
    node('simulators', 'simulators/main.ts', {}, () => portOpen(simPort)),
    node('api-1', 'api/server.ts', { API_PORT: String(apiPort1) }, () => portOpen(apiPort1)),
    node('api-2', 'api/server.ts', { API_PORT: String(apiPort2) }, () => portOpen(apiPort2)),
    node('worker-1', 'worker.ts', { WORKER_HEALTH_PORT: String(health1) }, healthy(health1)),
    node('worker-2', 'worker.ts', { WORKER_HEALTH_PORT: String(health2) }, healthy(health2)),
    {
      name: 'temporal',
      start: async () => {
        temporal = await startTemporal();
      },
      kill: () => temporal.kill(),
      stop: () => temporal.stop(),
      pid: () => temporal.pid(),
    },
    {
      name: 'mariadb',
      start: async () => {
        db = await startPrivateDatabase({
          dataDir: path.join(o.dir, 'mysql'),
          throwaway: false,
          database: 'nexaspay',
          port: dbPort,
        });
      },
      pid: () => db.pid,
      kill: () => db.kill(),
      stop: () => db.stop(),
    },
  ];
  const byName = (n: string) => services.find((s) => s.name === n)!;
  const apis = o.apis ?? 2;
  const workers = o.workers ?? 2;
  const wanted = [
    'simulators',
    'api-1',
    'worker-1',
    ...(apis > 1 ? ['api-2'] : []),
    ...(workers > 1 ? ['worker-2'] : []),
  ];
  for (const s of services.filter((x) => wanted.includes(x.name))) await s.start();

  return {
    env,
    apiUrls: [`http://127.0.0.1:${apiPort1}`, `http://127.0.0.1:${apiPort2}`].slice(0, apis),
    pid: (target) => byName(target).pid?.(),
    simulatorUrl: `http://127.0.0.1:${simPort}`,
    databaseUrl: db.url,
    temporalAddress: temporal.address,
    async crash(target, downMs) {
      const s = byName(target);
      await s.kill();
      await new Promise((r) => setTimeout(r, downMs));
      await s.start();
    },
    async stop() {
      for (const s of [...services].reverse()) await s.stop().catch(() => undefined);
    },
  };
}

/** `n` consecutive free ports from a random base between 20000 and 30000. */
async function fixedPorts(n: number): Promise<number[]> {
  for (;;) {
    const base = 20_000 + Math.floor(Math.random() * 10_000);
    const ports = Array.from({ length: n }, (_, i) => base + i);
    if ((await Promise.all(ports.map(portOpen))).every((open) => !open)) return ports;
  }
}
