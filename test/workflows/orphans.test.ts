/**
 * Nothing is left unseen: a payment whose workflow was terminated mid-flight is found by the
 * orphan sweep (a Temporal Schedule) within a minute and settled once by a recovery run; a
 * provider event that reaches a closed workflow and contradicts how its payment ended stays
 * undelivered, listed for finance until an admin settles it.
 */
import { signWebhook } from '../../providers/signedWebhook';
import { keepHistory, keepOpenHistory } from '../support/histories';
import { ensureSchedules, ORPHAN_SWEEP_SCHEDULE_ID, RECONCILIATION_SCHEDULE_ID } from '../../worker';
import { control, payer, prepare } from '../support/heldPayments';
import { expectLedgerInvariants, walletOf } from '../support/ledger';
import { registerUser } from '../support/api';
import {
  adminToken,
  idemKey,
  PaymentsHarness,
  paymentStatus,
  postingsFor,
  runReversalSweep,
  startPaymentsHarness,
  waitForStatus,
} from '../support/payments';
import { eventually, PROVIDER_CREDS } from '../support/simulators';

let h: PaymentsHarness;
let admin: string;

beforeAll(async () => {
  h = await startPaymentsHarness({ reversalWatchSeconds: 2 });
  admin = await adminToken(h);
  // This suite's own sweep, every 5 s, on its own task queue (production: every minute).
  await ensureSchedules(h.client, h.taskQueue, { idSuffix: h.taskQueue, sweepEvery: '5 seconds' });
});
afterAll(async () => {
  for (const id of [ORPHAN_SWEEP_SCHEDULE_ID, RECONCILIATION_SCHEDULE_ID])
    await h?.client.schedule
      .getHandle(`${id}-${h.taskQueue}`)
      .delete()
      .catch(() => undefined);
  await h?.close();
});
afterEach(() => expectLedgerInvariants(h.db.knex));

const asAdmin = (method: 'get' | 'post', path: string, body?: object) =>
  h.http()[method](path).set('Authorization', `Bearer ${admin}`).send(body);
const stuckList = async () =>
  (await asAdmin('get', '/v1/admin/payments')).body.items as Array<{
    paymentId: string;
    status: string;
    attention: string | null;
  }>;

describe('orphaned payments', () => {
  it('a recharge whose workflow was terminated mid-flight is marked NEEDS_ATTENTION within 90 s; recheck settles it once', async () => {
    const p = await payer(h);
    const r = await prepare(h, 'recharge', p);
    await control(h, 'recharge').scenario({ match: r.match, outcome: 'pending', webhook: 'drop' });
    const paymentId = (await r.pay('150.00')).body.paymentId as string;
    await waitForStatus(h, p.token, paymentId, 'PROCESSING');
    await h.client.workflow.getHandle(`recharge:${paymentId}`).terminate('pressed Terminate instead of Cancel');
    const terminatedAt = Date.now();

    const parked = await waitForStatus(h, p.token, paymentId, 'NEEDS_ATTENTION', 90_000);
    expect(Date.now() - terminatedAt).toBeLessThan(90_000);
    expect(parked.timeline.at(-1)).toMatchObject({
      actor: 'orphan-sweeper',
      note: expect.stringMatching(/workflow terminated by .* \(reason: pressed Terminate instead of Cancel\)/),
    });
    expect(await walletOf(h.db.knex, p.id)).toEqual({ balance: '10000.00', held: '150.00' });
    const listed = await stuckList();
    expect(listed[0]).toMatchObject({
      paymentId,
      status: 'NEEDS_ATTENTION',
      attention: expect.stringMatching(/^orphaned: workflow terminated/),
    });

    // The operator recharged the number meanwhile; a recheck starts the recovery run.
    await control(h, 'recharge').settle(paymentId, 'success');
    const recheck = await asAdmin('post', `/v1/admin/payments/${paymentId}/recheck`);
    expect(recheck.body).toMatchObject({ paymentId, recoveryStarted: true });
    const done = await waitForStatus(h, p.token, paymentId, 'COMPLETED', 30_000);
    await keepOpenHistory(h.client, `recharge:${paymentId}`, 'recharge-open-recovery-completed');
    expect(done.timeline.map((t) => t.note ?? '').join('\n')).toMatch(/recovery run started/);
    expect(await walletOf(h.db.knex, p.id)).toEqual({ balance: '9850.00', held: '0.00' });
    expect(await postingsFor(h, `recharge:${paymentId}:capture`)).toHaveLength(1);
    expect(
      await h.db.knex('commissions').where({
        transaction_id: (await h.db.knex('payment_records').where({ id: paymentId }).first()).transaction_id,
      }),
    ).toHaveLength(3);
    expect((await stuckList()).some((x) => x.paymentId === paymentId)).toBe(false);
    // A second recheck starts no third run: the payment is settled.
    expect((await asAdmin('post', `/v1/admin/payments/${paymentId}/recheck`)).body).toMatchObject({
      recoveryStarted: false,
    });
  });

  it('an orphaned payout resolved "failed" is released once by its recovery run', async () => {
    const p = await payer(h);
    const r = await prepare(h, 'payout', p);
    await control(h, 'payout').scenario({ match: r.match, outcome: 'pending', webhook: 'drop' });
    const paymentId = (await r.pay('70.00')).body.paymentId as string;
    await waitForStatus(h, p.token, paymentId, 'PROCESSING');
    await h.client.workflow.getHandle(`payout:${paymentId}`).terminate('test');
    // On demand, without waiting for the schedule; a payment younger than 30 s is not swept yet.
    await eventually(
      async () => (await asAdmin('post', '/v1/admin/reconciliation/run')).body,
      (b) => b.sweep?.orphaned?.some((o: { paymentId: string }) => o.paymentId === paymentId) || false,
      60_000,
    ).catch(async (err) => {
      if ((await paymentStatus(h, p.token, paymentId)).status !== 'NEEDS_ATTENTION') throw err; // the schedule got there first
    });
    const resolved = await asAdmin('post', `/v1/admin/payments/${paymentId}/resolve`, {
      outcome: 'failed',
      reason: 'bank confirms it rejected the payout',
    });
    expect(resolved.status).toBe(200);
    expect(resolved.body).toMatchObject({ status: 'FAILED', failureReason: 'bank confirms it rejected the payout' });
    expect(await walletOf(h.db.knex, p.id)).toEqual({ balance: '10000.00', held: '0.00' });
    expect(
      (
        await h.db
          .knex('holds')
          .where({ reference: `payout:${paymentId}:hold` })
          .first()
      ).status,
    ).toBe('released');
    const audit = await h.db.knex('audit_logs').where({ action: 'admin.payments.resolve', target_id: paymentId });
    expect(audit).toHaveLength(1);
  });
});

describe('orphaned top-ups', () => {
  it('a top-up terminated while the customer was paying is credited once by the recovery run a recheck starts', async () => {
    const u = await registerUser(h.http);
    const res = await h
      .http()
      .post('/v1/payments/topups')
      .set('Authorization', `Bearer ${u.accessToken}`)
      .set('Idempotency-Key', idemKey())
      .send({ amount: '300.00' });
    const paymentId = res.body.paymentId as string;
    await h.client.workflow.getHandle(`topup:${paymentId}`).terminate('test');
    // The customer pays anyway; PhonePe's webhook finds no running workflow.
    await h.sims.phonepe.completeOrder(paymentId, 'success');
    await eventually(
      () => h.db.knex('webhook_events').where({ provider_ref: paymentId }).first(),
      (w) => Boolean(w?.signalled_at),
      10_000,
    );
    expect((await paymentStatus(h, u.accessToken, paymentId)).status).toBe('AWAITING_PAYMENT');

    // Not swept yet: the recheck itself sees the stopped workflow and starts the recovery run.
    expect((await asAdmin('post', `/v1/admin/payments/${paymentId}/recheck`)).body).toMatchObject({
      recoveryStarted: true,
    });
    await waitForStatus(h, u.accessToken, paymentId, 'COMPLETED', 30_000);
    expect(await walletOf(h.db.knex, u.user.id)).toEqual({ balance: '300.00', held: '0.00' });
    expect(await postingsFor(h, `topup:${paymentId}:credit`)).toHaveLength(1);
  });
});

describe('events no workflow can take', () => {
  it('a reversal after the watch window stays undelivered for finance until settled; a late copy that agrees does not', async () => {
    const p = await payer(h);
    const r = await prepare(h, 'recharge', p);
    await control(h, 'recharge').scenario({ match: r.match, outcome: 'success' });
    const paymentId = (await r.pay('199.00')).body.paymentId as string;
    await waitForStatus(h, p.token, paymentId, 'COMPLETED', 20_000);
    // Its reversal watch is over: the reversal sweep made its last check, at the end of the 2 s window.
    await h.client.workflow.getHandle(`recharge:${paymentId}`).result();
    await eventually(
      async () => {
        await runReversalSweep(h);
        return h.db.knex('payment_records').where({ id: paymentId }).first('reversal_check_at');
      },
      (row) => row.reversal_check_at === null,
      20_000,
    );

    const send = (status: string) => {
      const body = JSON.stringify({
        event: 'recharge.status',
        payload: {
          clientRef: paymentId,
          status,
          operatorRef: 'OPR1',
          amount: 199,
          mobile: r.match,
          operator: 'JIO',
          timestamp: new Date().toISOString(),
        },
      });
      return h
        .http()
        .post('/v1/webhooks/recharge')
        .set('content-type', 'application/json')
        .set('X-Signature', signWebhook(body, PROVIDER_CREDS.recharge.webhookSecret))
        .send(body);
    };
    expect((await send('SUCCESS')).status).toBe(200);
    expect((await asAdmin('get', '/v1/admin/webhooks/undelivered')).body.items).toEqual([]);

    expect((await send('REVERSED')).status).toBe(200);
    const undelivered = (await asAdmin('get', '/v1/admin/webhooks/undelivered')).body.items;
    expect(undelivered).toEqual([
      expect.objectContaining({
        paymentId,
        eventType: 'recharge.status',
        reason: expect.stringMatching(/REVERSED: the provider reversed a completed payment/),
      }),
    ]);
    expect((await stuckList()).find((x) => x.paymentId === paymentId)).toMatchObject({
      status: 'COMPLETED',
      attention: expect.stringMatching(/^needs finance \(1 undelivered event\)/),
    });
    const run = await asAdmin('post', '/v1/admin/reconciliation/run');
    expect(run.body.reconciliation.attention.undeliveredWebhooks).toBeGreaterThanOrEqual(1);
    for (const type of ['reconciliationWorkflow', 'orphanSweepWorkflow']) {
      for await (const wf of h.client.workflow.list({
        query: `WorkflowType = '${type}' AND TaskQueue = '${h.taskQueue}' AND ExecutionStatus = 'Completed'`,
      })) {
        await keepHistory(
          h.client,
          wf.workflowId,
          type === 'reconciliationWorkflow' ? 'reconciliation-run' : 'orphan-sweep-run',
        );
        break;
      }
    }

    const settled = await asAdmin('post', `/v1/admin/webhooks/${undelivered[0].id}/settle`, {
      note: 'refunded by adjusting posting ADJ-7',
    });
    expect(settled.body).toMatchObject({ id: undelivered[0].id, settledBy: expect.any(String) });
    expect((await asAdmin('post', `/v1/admin/webhooks/${undelivered[0].id}/settle`, { note: 'again' })).status).toBe(
      404,
    );
    expect((await asAdmin('get', '/v1/admin/webhooks/undelivered')).body.items).toEqual([]);
    expect((await stuckList()).some((x) => x.paymentId === paymentId)).toBe(false);
    expect(await walletOf(h.db.knex, p.id)).toEqual({ balance: '9801.00', held: '0.00' });
  });
});
