/**
 * The worker process (the real worker.ts) is SIGKILLed while a payment's settling posting is in
 * flight, then a new worker starts: each payment settles exactly once. The posting is held in
 * flight by a row lock the test takes on the user's wallet. One test for the top-up; one for a
 * transfer, a recharge, a bill and a payout in flight at the same time when the worker dies.
 * Then a worker killed in a provider's call or PhonePe's, and the production worker's shutdown.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { registerUser } from '../support/api';
import { testEnv } from '../support/env';
import { expectLedgerInvariants, walletOf } from '../support/ledger';
import { idemKey, PaymentsHarness, postingsFor, startPaymentsHarness, waitForStatus } from '../support/payments';
import { eventually, PHONEPE_CREDS, PROVIDER_CREDS } from '../support/simulators';
import { freePort } from '../../scripts/stack/processes';
import { promtool } from '../support/promtool';
import { PROVIDER_CALL_BUCKETS } from '../../activities/providerCall';
import { control, createReached, HeldKind, payer, prepare } from '../support/heldPayments';

let h: PaymentsHarness;
const children: ChildProcess[] = [];

beforeAll(async () => {
  h = await startPaymentsHarness({ inProcessWorker: false });
});
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await h?.close();
});

function startWorkerProcess(extraEnv: Record<string, string> = {}): ChildProcess {
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
      BBPS_BASE_URL: `${h.sims.url}/bbps`,
      BBPS_API_KEY: PROVIDER_CREDS.bbps.apiKey,
      RECHARGE_BASE_URL: `${h.sims.url}/recharge`,
      RECHARGE_API_KEY: PROVIDER_CREDS.recharge.apiKey,
      PAYOUT_BASE_URL: `${h.sims.url}/payout`,
      PAYOUT_API_KEY: PROVIDER_CREDS.payout.apiKey,
      PROVIDER_TIMEOUT_MS: '2000',
      WORKER_METRICS_ADDRESS: 'off',
      WORKER_HEALTH_PORT: '0',
      ...extraEnv,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  // The worker's own log lines join this suite's component log (printed by npm test if it fails).
  const logDir = process.env.TEST_LOG_DIR;
  if (logDir) {
    mkdirSync(logDir, { recursive: true });
    child.stderr!.pipe(createWriteStream(path.join(logDir, 'worker-crash.test.log'), { flags: 'a' }));
  } else child.stderr!.pipe(process.stderr);
  children.push(child);
  return child;
}

/** Earlier tests leave their restarted workers running; some tests need to be the only one. */
async function killAllWorkers(): Promise<void> {
  for (const c of children.splice(0)) {
    if (c.exitCode !== null || c.signalCode !== null) continue;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await exited;
  }
}

/**
 * Postings blocked on a wallet row the test holds locked: the ledger locks its accounts
 * (`SELECT … FROM users WHERE id IN (…) ORDER BY id FOR UPDATE`, db/ledger/accounts.ts) before it writes, so
 * each is a step (local or regular activity) started inside its transaction, which the kill
 * then cuts off before it commits. Read with SHOW PROCESSLIST: information_schema.PROCESSLIST
 * builds an on-disk temporary table per read (db/triggers.ts says why that is worth avoiding).
 */
async function postingsWaitingOnWallets(): Promise<string[]> {
  const [rows] = (await h.db.knex.raw('SHOW FULL PROCESSLIST')) as [
    Array<{ db: string | null; Command: string; Info: string | null }>,
  ];
  return (
    rows
      // 'Execute': the ledger's statements run prepared (db/sql.ts).
      .filter((r) => r.db === h.db.name && (r.Command === 'Execute' || r.Command === 'Query') && r.Info)
      .map((r) => r.Info!)
      .filter((q) => q.includes('FROM users WHERE id IN (') && q.includes('FOR UPDATE'))
  );
}

it('a worker killed mid-credit, then restarted: exactly one credit', async () => {
  const first = startWorkerProcess();
  const u = await registerUser(h.http);
  const res = await h
    .http()
    .post('/v1/payments/topups')
    .set('Authorization', `Bearer ${u.accessToken}`)
    .set('Idempotency-Key', idemKey())
    .send({ amount: '250.00' });
  expect(res.status).toBe(201);
  const paymentId = res.body.paymentId as string;

  // Pin the credit: its posting must lock this wallet, which the test holds.
  const trx = await h.db.knex.transaction();
  try {
    await trx('users').where({ id: u.user.id }).forUpdate().first();
    await h.sims.phonepe.completeOrder(paymentId, 'success');
    // Started by the first worker, and blocked on our lock.
    await eventually(postingsWaitingOnWallets, (q) => q.length >= 1, 60_000);
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

it('a worker killed while a transfer, a recharge, a bill and a payout are settling: each settles exactly once', async () => {
  const first = startWorkerProcess();
  const kinds: HeldKind[] = ['recharge', 'bill', 'payout'];
  const started: Array<{ kind: HeldKind; paymentId: string; payerId: number; token: string }> = [];
  // Everyone is set up before the first payment starts, so the wallets are pinned right after
  // the last one: on a loaded machine, setting up payers took longer than a provider's pending.
  const sender = await payer(h);
  const recipient = await payer(h, { balance: '0.00' });
  const prepared = [];
  for (const kind of kinds) {
    const p = await payer(h);
    prepared.push({ kind, p, order: await prepare(h, kind, p) });
  }
  for (const { kind, p, order } of prepared) {
    // Pending long enough for the test to pin the wallet before the provider says SUCCESS.
    await control(h, kind).scenario({ match: order.match, outcome: 'pending_then_success', pendingMs: 8000 });
    const res = await order.pay('100.00');
    expect(res.status).toBe(202);
    started.push({ kind, paymentId: res.body.paymentId, payerId: p.id, token: p.token });
  }

  const trx = await h.db.knex.transaction();
  let transfer: Promise<import('supertest').Response> | undefined;
  try {
    // The transfer is pinned on its recipient: the sender's row is also referenced (FK) by the
    // payment's record, which must be written before the posting is reached.
    for (const s of [...started.map((x) => x.payerId), recipient.id])
      await trx('users').where({ id: s }).forUpdate().first();
    transfer = h
      .http()
      .post('/v1/payments/transfers')
      .set('Authorization', `Bearer ${sender.token}`)
      .set('Idempotency-Key', idemKey())
      .send({ amount: '100.00', toUserCode: recipient.userCode })
      .then((r) => r);
    // Every capture and the transfer's posting started, each blocked inside its transaction.
    await eventually(postingsWaitingOnWallets, (q) => q.length >= started.length + 1, 60_000);
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
  } finally {
    await trx.rollback();
  }
  for (const s of started) expect(await postingsFor(h, `${s.kind}:${s.paymentId}:capture`)).toHaveLength(0);

  startWorkerProcess();
  for (const s of started) {
    await waitForStatus(h, s.token, s.paymentId, 'COMPLETED', 90_000);
    expect(await postingsFor(h, `${s.kind}:${s.paymentId}:capture`)).toHaveLength(1);
    expect(await walletOf(h.db.knex, s.payerId)).toEqual({ balance: '9900.00', held: '0.00' });
  }
  const t = await transfer!;
  expect([t.status, t.body.status]).toEqual([201, 'COMPLETED']);
  expect(await postingsFor(h, `transfer:${t.body.paymentId}:post`)).toHaveLength(1);
  expect(await walletOf(h.db.knex, sender.id)).toEqual({ balance: '9900.00', held: '0.00' });
  expect((await walletOf(h.db.knex, recipient.id)).balance).toBe('100.00');
  // Commissions were paid once per recharge and bill, however often the capture was attempted.
  for (const s of started.filter((x) => x.kind !== 'payout')) {
    expect(await postingsFor(h, `commission:${s.paymentId}`)).toHaveLength(1);
  }
  await expectLedgerInvariants(h.db.knex);
}, 240_000);

it('a worker killed between PhonePe creating the order and our answer: the client still gets a working page', async () => {
  // Only the worker this test kills may take the order's first attempt.
  await killAllWorkers();
  const first = startWorkerProcess();
  const u = await registerUser(h.http);
  // PhonePe creates the order at once but answers 1.5 s later: the worker dies in between.
  h.sims.phonepe.faults.hang = { pay: 1 };
  h.sims.phonepe.faults.hangMs = 1500;
  const key = idemKey();
  const ordersBefore = h.sims.phonepe.orders.size;
  const request = h
    .http()
    .post('/v1/payments/topups')
    .set('Authorization', `Bearer ${u.accessToken}`)
    .set('Idempotency-Key', key)
    .send({ amount: '120.00' })
    .then((r) => r);
  await eventually(
    () => h.sims.phonepe.orders.size,
    (n) => n === ordersBefore + 1,
    30_000,
  );
  first.kill('SIGKILL');
  await new Promise((r) => first.once('exit', r));
  startWorkerProcess();

  const res = await request;
  expect(res.status).toBe(201);
  const paymentId = res.body.paymentId as string;
  expect(h.sims.phonepe.orders.has(`${paymentId}-2`)).toBe(true);
  const page = await fetch(res.body.redirectUrl);
  expect(await page.text()).toContain('₹120.00');
  // A retry of the same key answers the same working page.
  const retry = await h
    .http()
    .post('/v1/payments/topups')
    .set('Authorization', `Bearer ${u.accessToken}`)
    .set('Idempotency-Key', key)
    .send({ amount: '120.00' });
  expect(retry.body).toEqual(res.body);
  await h.sims.phonepe.completeOrder(`${paymentId}-2`, 'success');
  await waitForStatus(h, u.accessToken, paymentId, 'COMPLETED', 30_000);
  expect(await walletOf(h.db.knex, u.user.id)).toEqual({ balance: '120.00', held: '0.00' });
  await expectLedgerInvariants(h.db.knex);
}, 120_000);

it('a worker killed while a provider call is in flight: the call is tried again within its heartbeat timeout, and the order is sent once', async () => {
  // Only the worker this test kills may take the send's first attempt.
  await killAllWorkers();
  const first = startWorkerProcess();
  const p = await payer(h);
  const order = await prepare(h, 'recharge', p);
  await control(h, 'recharge').scenario({ match: order.match, outcome: 'success' });
  // The operator creates the order and answers 1.5 s after it arrives: the worker dies as it
  // arrives, inside the call's first second, before the call has heartbeated at all.
  await control(h, 'recharge').fault({ endpoint: 'create', kind: 'slow', delayMs: 1500, count: 1 });
  const res = await order.pay('70.00');
  expect(res.status).toBe(202);
  const paymentId = res.body.paymentId as string;
  await createReached(h, 'recharge', paymentId);
  first.kill('SIGKILL');
  const killedAt = Date.now();
  await new Promise((r) => first.once('exit', r));
  startWorkerProcess();

  await waitForStatus(h, p.token, paymentId, 'COMPLETED', 40_000);
  // The heartbeat timeout (5 s) runs from the attempt's start until its first heartbeat: the
  // server gives up on the dead worker then, not at the start-to-close timeout (45 s).
  expect(Date.now() - killedAt).toBeLessThan(30_000);
  // The retry asked first, found the order the dead worker's call had created, and sent nothing.
  expect(await control(h, 'recharge').transaction(paymentId)).toMatchObject({ createCount: 1 });
  expect(await postingsFor(h, `recharge:${paymentId}:capture`)).toHaveLength(1);
  expect(await walletOf(h.db.knex, p.id)).toEqual({ balance: '9930.00', held: '0.00' });
  await expectLedgerInvariants(h.db.knex);
}, 120_000);

it('a production-shaped worker: health endpoint, runtime metrics with its slot limit, graceful SIGTERM that lets the call in flight finish', async () => {
  await killAllWorkers();
  const [healthPort, metricsPort] = [await freePort(), await freePort()];
  const worker = startWorkerProcess({
    DB_POOL_MAX: '10',
    WORKER_ACTIVITY_SLOTS: '7',
    WORKER_HEALTH_PORT: String(healthPort),
    WORKER_METRICS_ADDRESS: `127.0.0.1:${metricsPort}`,
    WORKER_SHUTDOWN_GRACE_SECONDS: '20',
  });
  const health = await eventually(
    () =>
      fetch(`http://127.0.0.1:${healthPort}/healthz`).then(
        async (r) => ({ status: r.status, body: await r.json() }),
        () => undefined,
      ),
    (r) => r?.status === 200,
    60_000,
  );
  expect(health!.body).toEqual({ ok: true, worker: 'RUNNING', database: true });
  const metrics = await eventually(
    () =>
      fetch(`http://127.0.0.1:${metricsPort}/metrics`).then(
        (r) => r.text(),
        () => '',
      ),
    (t) => /temporal_worker_task_slots_available\{[^}]*worker_type="ActivityWorker"[^}]*\} 7\b/.test(t),
    30_000,
  );
  expect(metrics).toMatch(/temporal_worker_task_slots_available/);

  // A recharge sent to its provider shows in the provider-call histogram, under the exact names the
  // alert rules and the dashboard query (no prefix added by the SDK's exporter), and lints clean.
  const p = await payer(h);
  const sentFirst = await prepare(h, 'recharge', p);
  await control(h, 'recharge').scenario({ match: sentFirst.match, outcome: 'success' });
  await waitForStatus(h, p.token, (await sentFirst.pay('50.00')).body.paymentId as string, 'COMPLETED', 30_000);
  const sentOnce =
    /^nexaspay_provider_call_seconds_count\{(?=[^}]*provider="recharge-aggregator")(?=[^}]*operation="send")(?=[^}]*outcome="ok")[^}]*\} 1$/m;
  const calls = await eventually(
    () => fetch(`http://127.0.0.1:${metricsPort}/metrics`).then((x) => x.text()),
    (t) => sentOnce.test(t),
    10_000,
  );
  expect(calls).toMatch(sentOnce);
  const ours = calls
    .split('\n')
    .filter((l) => l.includes('nexaspay_'))
    .join('\n');
  // The buckets are ours (the SDK's defaults are for milliseconds).
  const bounds = [
    ...ours.matchAll(/^nexaspay_provider_call_seconds_bucket\{[^}]*operation="send"[^}]*le="([^"]+)"\}/gm),
  ];
  expect(bounds.map((m) => m[1])).toEqual([...PROVIDER_CALL_BUCKETS.map(String), '+Inf']);
  // Prometheus's lint finds only what the SDK adds to every activity's metrics: camelCase tags
  // (activityType, taskQueue) that are not ours to rename.
  const lint = promtool(['check', 'metrics'], `${ours}\n`).output.split('\n').filter(Boolean);
  expect(lint.filter((l) => !l.endsWith("label names should be written in 'snake_case' not 'camelCase'"))).toEqual([]);

  // SIGTERM while a slow recharge create is in flight: the worker stops polling, lets it finish, exits 0.
  const r = await prepare(h, 'recharge', p);
  await control(h, 'recharge').scenario({ match: r.match, outcome: 'success' });
  await control(h, 'recharge').fault({ endpoint: 'create', kind: 'slow', delayMs: 1500 });
  const paymentId = (await r.pay('50.00')).body.paymentId as string;
  await eventually(
    () => control(h, 'recharge').requests(),
    (reqs) => reqs.some((x) => x.method === 'POST' && x.body?.clientRef === paymentId),
    20_000,
  );
  const exited = new Promise<number | null>((resolve) => worker.once('exit', (code) => resolve(code)));
  worker.kill('SIGTERM');
  expect(await exited).toBe(0);
  expect(await control(h, 'recharge').transaction(paymentId)).toMatchObject({ createCount: 1 });
  const creates = (await control(h, 'recharge').requests()).filter(
    (x) => x.method === 'POST' && x.body?.clientRef === paymentId,
  );
  expect(creates).toHaveLength(1);
  startWorkerProcess();
  await waitForStatus(h, p.token, paymentId, 'COMPLETED', 30_000);
  expect(await walletOf(h.db.knex, p.id)).toEqual({ balance: '9900.00', held: '0.00' });
  await expectLedgerInvariants(h.db.knex);
}, 150_000);
