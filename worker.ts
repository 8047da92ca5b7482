/**
 * The worker process: one Temporal worker on the `payments` task queue running every workflow
 * and activity. Stateless; run as many as load needs. `createPaymentsWorker` is also used
 * in-process by `npm run dev` and by the integration tests.
 */
import http from 'node:http';
import type { Knex } from 'knex';
import { Client, Connection, ScheduleAlreadyRunning, ScheduleOptions, ScheduleOverlapPolicy } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import { NativeConnection, Runtime, Worker, DefaultLogger } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { ActivityDeps, createActivities } from './activities';
import { PROVIDER_CALL_BUCKETS, PROVIDER_CALL_METRIC } from './activities/providerCall';
import { Config, loadConfigOrExit, reversalWatchMsOf } from './config';
import { limitHeapGrowth } from './config/engineProcess';
import { connectToTemporal } from './config/temporalConnection';
import { createKnex } from './db/knex';
import { createPhonePeClient } from './providers/phonepe/client';
import { createProviderGateways } from './providers/gateways';

import { beneficiaryKeysOf, loadBeneficiaryForPayout } from './db/beneficiaries';
import { decisionKeyFrom } from './domain/decisionProof';
import { SEARCH_ATTRIBUTES } from './workflows/searchAttributes';

const IndexedValueType = temporal.api.enums.v1.IndexedValueType;
const INDEXED_TYPES = {
  Keyword: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  Int: IndexedValueType.INDEXED_VALUE_TYPE_INT,
} as const;

export const RECONCILIATION_SCHEDULE_ID = 'daily-reconciliation';
export const ORPHAN_SWEEP_SCHEDULE_ID = 'orphan-sweep';
export const REVERSAL_SWEEP_SCHEDULE_ID = 'reversal-sweep';
export const REPORT_ROLLUP_SCHEDULE_ID = 'report-rollup';

/** Registers our search attributes; those that already exist are left alone. */
export async function registerSearchAttributes(
  connection: NativeConnection | Connection,
  namespace: string,
): Promise<string[]> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const known = new Set(Object.keys(existing.customAttributes ?? {}));
  const missing = Object.entries(SEARCH_ATTRIBUTES).filter(([name]) => !known.has(name));
  if (missing.length === 0) return [];
  try {
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map(([name, type]) => [name, INDEXED_TYPES[type]])),
    });
  } catch (err) {
    // Another worker starting at the same moment may have registered them first.
    if (!/already exists/i.test(String((err as Error).message))) throw err;
  }
  return missing.map(([name]) => name);
}

/**
 * The daily reconciliation (02:00 IST), the orphan sweep, the reversal sweep and the report
 * rollups' fold (every minute by default); creating them twice is harmless, and an existing schedule is left as it is.
 * `idSuffix` keeps schedules of several stacks on one Temporal server apart (tests).
 */
export async function ensureSchedules(
  client: Client,
  taskQueue: string,
  opts: { idSuffix?: string; sweepEvery?: Duration; reversalSweepEvery?: Duration; rollupEvery?: Duration } = {},
): Promise<void> {
  const suffix = opts.idSuffix ? `-${opts.idSuffix}` : '';
  const schedules: ScheduleOptions[] = [
    {
      scheduleId: `${RECONCILIATION_SCHEDULE_ID}${suffix}`,
      spec: { cronExpressions: ['30 20 * * *'] }, // 20:30 UTC = 02:00 IST
      action: {
        type: 'startWorkflow',
        workflowType: 'reconciliationWorkflow',
        taskQueue,
        args: [],
        staticSummary: 'Daily reconciliation: ledger invariants, undelivered events, stale payments',
      },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' },
    },
    {
      scheduleId: `${ORPHAN_SWEEP_SCHEDULE_ID}${suffix}`,
      spec: { intervals: [{ every: opts.sweepEvery ?? '1 minute' }] },
      action: {
        type: 'startWorkflow',
        workflowType: 'orphanSweepWorkflow',
        taskQueue,
        args: [],
        staticSummary: 'Orphan sweep: open payments whose workflow stopped',
      },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
    },
    {
      scheduleId: `${REVERSAL_SWEEP_SCHEDULE_ID}${suffix}`,
      spec: { intervals: [{ every: opts.reversalSweepEvery ?? '1 minute' }] },
      action: {
        type: 'startWorkflow',
        workflowType: 'reversalSweepWorkflow',
        taskQueue,
        args: [],
        staticSummary: 'Reversal sweep: asks providers about settled payments whose check is due',
      },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
    },
    {
      scheduleId: `${REPORT_ROLLUP_SCHEDULE_ID}${suffix}`,
      spec: { intervals: [{ every: opts.rollupEvery ?? '1 minute' }] },
      action: {
        type: 'startWorkflow',
        workflowType: 'reportRollupWorkflow',
        taskQueue,
        args: [],
        staticSummary: 'Report rollups: folds the payments and commissions changed since the last run',
      },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
    },
  ];
  for (const schedule of schedules) {
    try {
      await client.schedule.create(schedule);
    } catch (err) {
      if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    }
  }
}

export interface PaymentsWorkerOptions {
  config: Pick<Config, 'TEMPORAL_ADDRESS' | 'TEMPORAL_NAMESPACE' | 'TEMPORAL_TASK_QUEUE'> &
    Partial<
      Pick<
        Config,
        | 'DB_POOL_MAX'
        | 'WORKER_ACTIVITY_SLOTS'
        | 'WORKER_WORKFLOW_SLOTS'
        | 'WORKER_CACHED_WORKFLOWS'
        | 'WORKER_SHUTDOWN_GRACE_SECONDS'
        | 'WORKER_STACK_TRACES'
        | 'TEMPORAL_GRPC_COMPRESSION'
        | 'REVERSAL_SWEEP_SECONDS'
      >
    >;
  deps: ActivityDeps;
  /** A pre-bundled workflow file (production, tests); otherwise bundled from source at start. */
  workflowBundlePath?: string;
  taskQueue?: string;
  schedules?: boolean;
}

export async function createPaymentsWorker(
  opts: PaymentsWorkerOptions,
): Promise<{ worker: Worker; connection: NativeConnection }> {
  const { config } = opts;
  const connection = await connectToTemporal(config.TEMPORAL_ADDRESS, config.TEMPORAL_GRPC_COMPRESSION ?? 'none');
  await registerSearchAttributes(connection, config.TEMPORAL_NAMESPACE);
  const taskQueue = opts.taskQueue ?? config.TEMPORAL_TASK_QUEUE;
  if (opts.schedules) {
    const client = new Client({
      connection: await Connection.connect({ address: config.TEMPORAL_ADDRESS }),
      namespace: config.TEMPORAL_NAMESPACE,
    });
    await ensureSchedules(client, taskQueue, {
      reversalSweepEvery: `${config.REVERSAL_SWEEP_SECONDS ?? 60} seconds`,
    });
    await client.connection.close();
  }
  const worker = await Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue,
    // Each activity holds at most one database connection at a time: never more at once than the pool has.
    maxConcurrentActivityTaskExecutions: config.WORKER_ACTIVITY_SLOTS ?? config.DB_POOL_MAX ?? 20,
    maxConcurrentWorkflowTaskExecutions: config.WORKER_WORKFLOW_SLOTS ?? 40,
    maxCachedWorkflows: config.WORKER_CACHED_WORKFLOWS ?? 250,
    // Our patch of the SDK (patches/README.md): the UI's stack traces only when asked for.
    promiseStackTraces: config.WORKER_STACK_TRACES ?? false,
    // On SIGTERM, activities in flight get this long to finish; then they are cancelled and retried elsewhere.
    shutdownGraceTime: `${config.WORKER_SHUTDOWN_GRACE_SECONDS ?? 30} seconds`,
    activities: createActivities(opts.deps),
    ...(opts.workflowBundlePath
      ? { workflowBundle: { codePath: opts.workflowBundlePath } }
      : { workflowsPath: require.resolve('./workflows') }),
  });
  return { worker, connection };
}

/**
 * GET /healthz: 200 while the worker is running and the database answers, 503 otherwise (with
 * the worker's state); for the orchestrator's health check. Other paths: 404.
 */
export function startHealthEndpoint(port: number, worker: Worker, knex: Knex): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    if (req.url !== '/healthz') {
      res.writeHead(404).end();
      return;
    }
    const state = worker.getState();
    void knex
      .raw('SELECT 1')
      .then(
        () => true,
        () => false,
      )
      .then((database) => {
        const ok = state === 'RUNNING' && database;
        res
          .writeHead(ok ? 200 : 503, { 'content-type': 'application/json' })
          .end(JSON.stringify({ ok, worker: state, database }));
      });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '0.0.0.0', () => resolve(server));
  });
}

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  Runtime.install({
    logger: new DefaultLogger(config.LOG_LEVEL === 'debug' ? 'DEBUG' : 'INFO'),
    // Slots available and used, schedule-to-start latency, activity and workflow failures.
    ...(config.WORKER_METRICS_ADDRESS !== 'off'
      ? {
          telemetryOptions: {
            metrics: {
              prometheus: {
                bindAddress: config.WORKER_METRICS_ADDRESS,
                histogramBucketOverrides: { [PROVIDER_CALL_METRIC]: PROVIDER_CALL_BUCKETS },
              },
            },
          },
        }
      : {}),
  });
  const knex = createKnex({ url: config.DATABASE_URL, poolMax: config.DB_POOL_MAX });
  const phonepe = createPhonePeClient({
    baseUrl: config.PHONEPE_BASE_URL,
    ...(config.PHONEPE_AUTH_BASE_URL ? { authBaseUrl: config.PHONEPE_AUTH_BASE_URL } : {}),
    clientId: config.PHONEPE_CLIENT_ID,
    clientVersion: config.PHONEPE_CLIENT_VERSION,
    clientSecret: config.PHONEPE_CLIENT_SECRET,
    timeoutMs: config.PHONEPE_TIMEOUT_MS,
  });
  const keys = beneficiaryKeysOf(config);
  const clientConnection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const { worker, connection } = await createPaymentsWorker({
    config,
    deps: {
      knex,
      temporal: new Client({ connection: clientConnection, namespace: config.TEMPORAL_NAMESPACE }),
      decisionKey: decisionKeyFrom(config.JWT_SECRET),
      reversalWatchMs: reversalWatchMsOf(config),
      phonepe,
      gateways: createProviderGateways(config),
      payee: (userId, beneficiaryId) => loadBeneficiaryForPayout(knex, keys, userId, beneficiaryId),
    },
    workflowBundlePath: config.WORKFLOW_BUNDLE_PATH,
    schedules: true,
  });
  const health =
    config.WORKER_HEALTH_PORT > 0 ? await startHealthEndpoint(config.WORKER_HEALTH_PORT, worker, knex) : undefined;
  // Worker.run() shuts down gracefully on SIGINT/SIGTERM (Runtime's default shutdown signals):
  // it stops polling, lets activities in flight finish within shutdownGraceTime, then returns.
  await worker.run();
  health?.close();
  await connection.close();
  await clientConnection.close();
  await knex.destroy();
}

if (require.main === module) {
  limitHeapGrowth();
  main().catch((err) => {
    console.error('worker failed:', err);
    process.exit(1);
  });
}
