/**
 * The whole top-up path in one harness: the real API (listening, so the simulator can call its
 * webhook), the PhonePe simulator, and a real worker with real activities, over a suite's own
 * database and task queue on the shared test Temporal server.
 */
import { AddressInfo } from 'node:net';
import { Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import request from 'supertest';
import pino from 'pino';
import { createApp } from '../../api/app';
import { Config, loadConfig } from '../../config';
import { createLedger } from '../../db/ledger';
import { RunningSimulators } from '../../simulators/app';
import { ONE_ADDRESS_FOR_EVERY_CLIENT, promoteToAdmin, registerUser } from './api';
import { createTestDatabase, TestDatabase } from './db';
import { testEnv } from './env';

import { beneficiaryKeysOf, loadBeneficiaryForPayout } from '../../db/beneficiaries';
import { decisionKeyFrom } from '../../domain/decisionProof';
import type { ReversalSweepResult } from '../../domain/contracts';
import type { ProviderGateways } from '../../providers/contracts';
import {
  bbpsClientFor,
  eventually,
  payoutClientFor,
  PHONEPE_CREDS,
  phonePeClientFor,
  PROVIDER_CREDS,
  rechargeClientFor,
  startTestSimulators,
} from './simulators';
import { installTestRuntime, newTaskQueue, startTestWorker, TestTemporal } from './temporal';

export interface PaymentsHarness {
  db: TestDatabase;
  config: Config;
  sims: RunningSimulators;
  /** Absent when the suite runs its workers as separate processes. */
  readonly worker: TestTemporal;
  /** Stops the in-process worker (waiting for it) and starts another on the same task queue. */
  restartWorker(): Promise<void>;
  taskQueue: string;
  client: Client;
  apiUrl: string;
  http: () => ReturnType<typeof request>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  pollingScale?: string;
  inProcessWorker?: boolean;
  /** How long settled payouts, recharges and bills listen for a reversal (default 4 s). */
  reversalWatchSeconds?: number;
  /** More configuration for the API (e.g. TRANSFER_FEE). */
  env?: Record<string, string>;
  /** The worker's HTTP timeout towards the payout, recharge and BBPS simulators (default 2 s). */
  providerTimeoutMs?: number;
}

export async function startPaymentsHarness(opts: HarnessOptions = {}): Promise<PaymentsHarness> {
  const db = await createTestDatabase();
  const taskQueue = newTaskQueue();
  // The API's own kind of connection (api/temporalLink.ts), on the suite's runtime.
  installTestRuntime();
  const connection = await NativeConnection.connect({ address: testEnv.temporalAddress });
  const client = new Client({ connection, namespace: 'default' });
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: db.url,
    ...ONE_ADDRESS_FOR_EVERY_CLIENT,
    TEMPORAL_ADDRESS: testEnv.temporalAddress,
    TEMPORAL_TASK_QUEUE: taskQueue,
    PHONEPE_WEBHOOK_USERNAME: PHONEPE_CREDS.webhookUsername,
    PHONEPE_WEBHOOK_PASSWORD: PHONEPE_CREDS.webhookPassword,
    POLLING_TIME_SCALE: opts.pollingScale ?? '0.001',
    BBPS_WEBHOOK_SECRET: PROVIDER_CREDS.bbps.webhookSecret,
    RECHARGE_WEBHOOK_SECRET: PROVIDER_CREDS.recharge.webhookSecret,
    PAYOUT_WEBHOOK_SECRET: PROVIDER_CREDS.payout.webhookSecret,
    REVERSAL_WATCH_HOURS: String((opts.reversalWatchSeconds ?? 4) / 3600),
    ...opts.env,
  });
  // The API needs the simulators' address and the simulators need the API's: the gateways are
  // filled in once both listen.
  const gateways: Partial<ProviderGateways> = {};
  const app = createApp({
    config,
    knex: db.knex,
    ledger: createLedger(db.knex),
    logger: pino({ level: 'silent' }),
    temporal: () => client,
    gateways,
    ...(process.env.CONSOLE_DIR ? { consoleDir: process.env.CONSOLE_DIR } : {}),
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((r) => server.once('listening', r));
  const apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const sims = await startTestSimulators(`${apiUrl}/v1/webhooks/phonepe`, apiUrl);
  const timeout = opts.providerTimeoutMs ?? 2000;
  Object.assign(gateways, {
    payout: payoutClientFor(sims, timeout),
    recharge: rechargeClientFor(sims, timeout),
    bbps: bbpsClientFor(sims, timeout),
  });
  const keys = beneficiaryKeysOf(config);
  const workerDeps = {
    phonepe: phonePeClientFor(sims, 1000),
    gateways,
    decisionKey: decisionKeyFrom(config.JWT_SECRET),
    payee: (userId: number, beneficiaryId: number) => loadBeneficiaryForPayout(db.knex, keys, userId, beneficiaryId),
  };
  let worker =
    opts.inProcessWorker === false
      ? (undefined as unknown as TestTemporal)
      : await startTestWorker(db.knex, workerDeps, taskQueue);
  return {
    db,
    config,
    sims,
    get worker() {
      return worker;
    },
    async restartWorker() {
      await worker?.close();
      worker = await startTestWorker(db.knex, workerDeps, taskQueue);
    },
    taskQueue,
    client,
    apiUrl,
    http: () => request(server),
    async close() {
      await worker?.close();
      await sims.close();
      await new Promise<void>((r) => server.close(() => r()));
      await connection.close();
      await db.drop();
    },
  };
}

let keys = 0;
export const idemKey = () => `test-key-${process.pid}-${++keys}-${Date.now()}`;

export async function paymentStatus(h: PaymentsHarness, token: string, paymentId: string) {
  const res = await h.http().get(`/v1/payments/${paymentId}`).set('Authorization', `Bearer ${token}`);
  return res.body as {
    status: string;
    timeline: Array<{ status: string; note?: string; actor?: string }>;
    failureReason?: string;
    amount: string;
  };
}

export function waitForStatus(
  h: PaymentsHarness,
  token: string,
  paymentId: string,
  status: string,
  timeoutMs = 20_000,
) {
  return eventually(
    () => paymentStatus(h, token, paymentId),
    (p) => p.status === status,
    timeoutMs,
  );
}

/** Ledger postings of one kind for a payment (by reference prefix). */
/** Runs the reversal sweep once, now (the schedule is not created in the suites); its id and result. */
export async function runReversalSweep(h: PaymentsHarness): Promise<ReversalSweepResult & { workflowId: string }> {
  const workflowId = `reversal-sweep:test:${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  const result: ReversalSweepResult = await h.client.workflow.execute('reversalSweepWorkflow', {
    taskQueue: h.taskQueue,
    workflowId,
  });
  return { workflowId, ...result };
}

export async function postingsFor(h: PaymentsHarness, reference: string) {
  return h.db.knex('ledger_journals').where('reference', reference);
}

/** A fresh user promoted to admin, for the admin API. */
export async function adminToken(h: PaymentsHarness): Promise<string> {
  const a = await registerUser(h.http);
  return (await promoteToAdmin(h.http, h.db.knex, a)).accessToken;
}
