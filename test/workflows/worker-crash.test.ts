/**
 * The worker process (the real worker.ts) is SIGKILLed after PhonePe reported success and while
 * the credit is in flight, then a new worker starts: the payment settles with exactly one credit.
 * The credit is held in flight by a row lock the test takes on the user's wallet.
 */
import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { registerUser } from '../support/api';
import { testEnv } from '../support/env';
import { expectLedgerInvariants, walletOf } from '../support/ledger';
import { idemKey, PaymentsHarness, postingsFor, startPaymentsHarness, waitForStatus } from '../support/payments';
import { eventually, PHONEPE_CREDS } from '../support/simulators';

let h: PaymentsHarness;
const children: ChildProcess[] = [];

beforeAll(async () => {
  h = await startPaymentsHarness({ inProcessWorker: false });
});
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await h?.close();
});

function startWorkerProcess(): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, '../../worker.ts')], {
    env: {
      ...process.env,
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      DATABASE_URL: h.db.url,
      TEMPORAL_ADDRESS: testEnv.temporalAddress,
      TEMPORAL_TASK_QUEUE: h.taskQueue,
      WORKFLOW_BUNDLE_PATH: testEnv.workflowBundlePath,
      PHONEPE_BASE_URL: `${h.sims.url}/phonepe`,
      PHONEPE_CLIENT_ID: PHONEPE_CREDS.clientId,
      PHONEPE_CLIENT_SECRET: PHONEPE_CREDS.clientSecret,
      PHONEPE_TIMEOUT_MS: '2000',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(child);
  return child;
}

async function pendingActivity(workflowId: string, type: string) {
  const desc = await h.client.workflow.getHandle(workflowId).describe();
  return desc.raw.pendingActivities?.find((a) => a.activityType?.name === type);
}

it('a worker killed mid-credit, then restarted: exactly one credit', async () => {
  const first = startWorkerProcess();
  const u = await registerUser(h.http);
  const res = await h.http().post('/v1/payments/topups').set('Authorization', `Bearer ${u.accessToken}`).set('Idempotency-Key', idemKey()).send({ amount: '250.00' });
  expect(res.status).toBe(201);
  const paymentId = res.body.paymentId as string;

  // Pin the credit: its posting must lock this wallet, which the test holds.
  const trx = await h.db.knex.transaction();
  try {
    await trx('users').where({ id: u.user.id }).forUpdate().first();
    await h.sims.phonepe.completeOrder(paymentId, 'success');
    // Started by the first worker, and blocked on our lock.
    await eventually(() => pendingActivity(`topup:${paymentId}`, 'creditTopUp'), (a) => Boolean(a?.lastStartedTime), 30_000);
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
  } finally {
    await trx.rollback();
  }
  expect(await postingsFor(h, `topup:${paymentId}:credit`)).toHaveLength(0);

  startWorkerProcess();
  // The lost attempt is retried once its start-to-close timeout (30 s) expires.
  await waitForStatus(h, u.accessToken, paymentId, 'COMPLETED', 90_000);
  expect(await postingsFor(h, `topup:${paymentId}:credit`)).toHaveLength(1);
  expect(await walletOf(h.db.knex, u.user.id)).toEqual({ balance: '250.00', held: '0.00' });
  await expectLedgerInvariants(h.db.knex);
}, 150_000);
