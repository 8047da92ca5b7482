/**
 * The whole top-up path in one harness: the real API (listening, so the simulator can call its
 * webhook), the PhonePe simulator, and a real worker with real activities, over a suite's own
 * database and task queue on the shared test Temporal server.
 */
import { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import request from 'supertest';
import pino from 'pino';
import { createApp } from '../../api/app';
import { loadConfig } from '../../config';
import { createLedger } from '../../db/ledger';
import { RunningSimulators } from '../../providers/simulatorApp';
import { createTestDatabase, TestDatabase } from './db';
import { testEnv } from './env';
import { eventually, PHONEPE_CREDS, phonePeClientFor, startTestSimulators } from './simulators';
import { newTaskQueue, startTestWorker, TestTemporal } from './temporal';

export interface PaymentsHarness {
  db: TestDatabase;
  sims: RunningSimulators;
  /** Absent when the suite runs its workers as separate processes. */
  worker: TestTemporal;
  taskQueue: string;
  client: Client;
  apiUrl: string;
  http: () => ReturnType<typeof request>;
  close(): Promise<void>;
}

export async function startPaymentsHarness(opts: { pollingScale?: string; inProcessWorker?: boolean } = {}): Promise<PaymentsHarness> {
  const db = await createTestDatabase();
  const taskQueue = newTaskQueue();
  const connection = await Connection.connect({ address: testEnv.temporalAddress });
  const client = new Client({ connection, namespace: 'default' });
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: db.url,
    TEMPORAL_ADDRESS: testEnv.temporalAddress,
    TEMPORAL_TASK_QUEUE: taskQueue,
    PHONEPE_WEBHOOK_USERNAME: PHONEPE_CREDS.webhookUsername,
    PHONEPE_WEBHOOK_PASSWORD: PHONEPE_CREDS.webhookPassword,
    POLLING_TIME_SCALE: opts.pollingScale ?? '0.001',
  });
  const app = createApp({ config, knex: db.knex, ledger: createLedger(db.knex), logger: pino({ level: 'silent' }), temporal: client });
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((r) => server.once('listening', r));
  const apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const sims = await startTestSimulators(`${apiUrl}/v1/webhooks/phonepe`);
  const worker = opts.inProcessWorker === false ? (undefined as unknown as TestTemporal) : await startTestWorker(db.knex, { phonepe: phonePeClientFor(sims, 1000) }, taskQueue);
  return {
    db,
    sims,
    worker,
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
  return res.body as { status: string; timeline: Array<{ status: string; note?: string; actor?: string }>; failureReason?: string; amount: string };
}

export function waitForStatus(h: PaymentsHarness, token: string, paymentId: string, status: string, timeoutMs = 20_000) {
  return eventually(() => paymentStatus(h, token, paymentId), (p) => p.status === status, timeoutMs);
}

/** Ledger postings of one kind for a payment (by reference prefix). */
export async function postingsFor(h: PaymentsHarness, reference: string) {
  return h.db.knex('ledger_journals').where('reference', reference);
}
