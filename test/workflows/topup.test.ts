/**
 * Top-up end to end: the API, a real Temporal server and worker, real MariaDB and the PhonePe
 * simulator. Polling runs at 1/1000 of PhonePe's schedule. Every test ends on the invariants.
 */
import { promoteToAdmin, registerUser } from '../support/api';
import { expectLedgerInvariants, walletOf } from '../support/ledger';
import {
  adminToken,
  idemKey,
  PaymentsHarness,
  paymentStatus,
  postingsFor,
  startPaymentsHarness,
  waitForStatus,
} from '../support/payments';
import { eventually, PHONEPE_CREDS } from '../support/simulators';
import { expectedAuthorization } from '../../providers/phonepe/webhook';
import { keepHistory } from '../support/histories';
import { randomUUID } from 'node:crypto';
import { temporal } from '@temporalio/proto';

let h: PaymentsHarness;
beforeAll(async () => {
  // PhonePe's longest page lifetime: at 1/1000 a top-up waits 3.6 s for its payment, not 0.9 s,
  // so five orders opened one after another on a loaded machine are all still open for the sixth.
  h = await startPaymentsHarness({ env: { TOPUP_EXPIRE_AFTER_SECONDS: '3600' } });
});
afterAll(() => h?.close());
beforeEach(() => h.sims.phonepe.reset());
afterEach(() => expectLedgerInvariants(h.db.knex));

async function customer() {
  return registerUser(h.http);
}

async function topUp(token: string, amount: string | number = '500.00', key = idemKey()) {
  const res = await h
    .http()
    .post('/v1/payments/topups')
    .set('Authorization', `Bearer ${token}`)
    .set('Idempotency-Key', key)
    .send({ amount });
  return { res, key, paymentId: res.body.paymentId as string };
}

const credits = (paymentId: string) => postingsFor(h, `topup:${paymentId}:credit`);
const hookAuth = expectedAuthorization(PHONEPE_CREDS.webhookUsername, PHONEPE_CREDS.webhookPassword);

describe('top-up', () => {
  it('happy path: checkout page, webhook, one credit with opening and closing balances, search attributes', async () => {
    const u = await customer();
    const { res, paymentId } = await topUp(u.accessToken, '500.00');
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      status: 'AWAITING_PAYMENT',
      redirectUrl: expect.stringContaining('/phonepe/checkout/'),
    });
    expect(new Date(res.body.expiresAt).getTime()).toBeGreaterThan(Date.now());
    const page = await fetch(res.body.redirectUrl);
    expect(await page.text()).toContain('₹500.00');
    const orderId = res.body.redirectUrl.split('/').pop();
    const paid = await fetch(`${h.sims.url}/phonepe/checkout/${orderId}/pay`, { method: 'POST', redirect: 'manual' });
    expect(paid.status).toBe(303);
    expect(paid.headers.get('location')).toMatch(new RegExp(`/v1/payments/${paymentId}/return$`));
    const done = await waitForStatus(h, u.accessToken, paymentId, 'COMPLETED');
    expect(done.timeline.map((t) => t.status)).toEqual(['CREATED', 'AWAITING_PAYMENT', 'COMPLETED']);
    expect(await walletOf(h.db.knex, u.user.id)).toEqual({ balance: '500.00', held: '0.00' });
    expect(await credits(paymentId)).toHaveLength(1);
    const stmt = await h.db.knex('transactions').where({ reference_number: paymentId }).first();
    expect(stmt).toMatchObject({
      status: 'completed',
      transaction_type: 'deposit',
      ledger_type: 'TopIn',
      opening_balance: '0.00',
      closing_balance: '500.00',
      credit_amount: '500.00',
      payment_method: 'phonepe',
    });
    const gateway = await h.db.knex('payments').where({ phonepe_merchant_transaction_id: paymentId }).first();
    expect(gateway).toMatchObject({ status: 'success', payment_method: 'upi' });
    expect(gateway.phonepe_transaction_id).toMatch(/^T/);
    // The workflow's search-attribute upsert reaches the server when its task completes, after
    // the local activity in that task wrote the status the API reads: on a busy machine the API
    // can answer COMPLETED a moment before Temporal shows it.
    const attributes = await eventually(
      async () =>
        (await h.client.workflow.getHandle(`topup:${paymentId}`).describe()).typedSearchAttributes
          .getAll()
          .map((p) => [p.key.name, p.value]),
      (all) => all.some(([k, v]) => k === 'PaymentStatus' && v === 'COMPLETED'),
      10_000,
    );
    expect(attributes).toEqual(
      expect.arrayContaining([
        ['PaymentKind', 'topup'],
        ['PaymentStatus', 'COMPLETED'],
        ['UserCode', u.user.userCode],
        ['AmountPaise', 50000],
        ['ProviderRef', paymentId],
      ]),
    );
    const wallet = await h.http().get('/v1/wallet').set('Authorization', `Bearer ${u.accessToken}`);
    expect(wallet.body.balance).toBe('500.00');
    await keepHistory(h.client, `topup:${paymentId}`, 'topup-completed');
  });

  it('payment failed: FAILED, nothing posted, statement row failed', async () => {
    const u = await customer();
    const { paymentId } = await topUp(u.accessToken);
    await h.sims.phonepe.completeOrder(paymentId, 'failure');
    const p = await waitForStatus(h, u.accessToken, paymentId, 'FAILED');
    expect(p.failureReason).toMatch(/failed/);
    expect(await credits(paymentId)).toHaveLength(0);
    expect((await h.db.knex('transactions').where({ reference_number: paymentId }).first()).status).toBe('failed');
    expect((await walletOf(h.db.knex, u.user.id)).balance).toBe('0.00');
    await keepHistory(h.client, `topup:${paymentId}`, 'topup-failed');
  });

  it('webhook dropped: the polling schedule finds the payment and credits it', async () => {
    const u = await customer();
    h.sims.phonepe.faults.dropWebhooks = true;
    const { paymentId } = await topUp(u.accessToken, '120.00');
    await h.sims.phonepe.completeOrder(paymentId, 'success');
    await waitForStatus(h, u.accessToken, paymentId, 'COMPLETED');
    expect(h.sims.phonepe.webhooksSent).toHaveLength(0);
    expect(await credits(paymentId)).toHaveLength(1);
    expect((await walletOf(h.db.knex, u.user.id)).balance).toBe('120.00');
  });

  it('the same webhook delivered 5 times: stored once, credited once', async () => {
    const u = await customer();
    h.sims.phonepe.faults.webhookDuplicates = 4;
    const { paymentId } = await topUp(u.accessToken, '75.50');
    await h.sims.phonepe.completeOrder(paymentId, 'success');
    await waitForStatus(h, u.accessToken, paymentId, 'COMPLETED');
    await eventually(
      () => h.sims.phonepe.webhooksSent.filter((w) => w.merchantOrderId === paymentId),
      (w) => w.length === 5,
    );
    expect(await h.db.knex('webhook_events').where({ provider_ref: paymentId })).toHaveLength(1);
    expect(await credits(paymentId)).toHaveLength(1);
    expect((await walletOf(h.db.knex, u.user.id)).balance).toBe('75.50');
  });

  it('a forged webhook is 401 and changes nothing', async () => {
    const u = await customer();
    const { paymentId } = await topUp(u.accessToken);
    const forged = await h
      .http()
      .post('/v1/webhooks/phonepe')
      .set('Authorization', 'f'.repeat(64))
      .send({
        event: 'checkout.order.completed',
        payload: { merchantOrderId: paymentId, state: 'COMPLETED', amount: 50000 },
      });
    expect(forged.status).toBe(401);
    const missing = await h
      .http()
      .post('/v1/webhooks/phonepe')
      .send({ event: 'checkout.order.completed', payload: { merchantOrderId: paymentId, state: 'COMPLETED' } });
    expect(missing.status).toBe(401);
    expect(await h.db.knex('webhook_events').where({ provider_ref: paymentId })).toHaveLength(0);
    // Still waiting on PhonePe (at test speed it may already be past its deadline): not settled, not credited.
    expect(['AWAITING_PAYMENT', 'PROCESSING']).toContain((await paymentStatus(h, u.accessToken, paymentId)).status);
    expect(await credits(paymentId)).toHaveLength(0);
    await h.sims.phonepe.completeOrder(paymentId, 'failure'); // let it finish
    await waitForStatus(h, u.accessToken, paymentId, 'FAILED');
  });

  it('a webhook for an order not known yet is 404 (PhonePe retries) and kept; malformed is 400', async () => {
    const body = {
      event: 'checkout.order.completed',
      payload: { merchantOrderId: 'pay_01JUNKNOWN00000000000000000', state: 'COMPLETED', amount: 100 },
    };
    const res = await h.http().post('/v1/webhooks/phonepe').set('Authorization', hookAuth).send(body);
    expect(res.status).toBe(404);
    expect(await h.db.knex('webhook_events').where({ provider_ref: body.payload.merchantOrderId })).toHaveLength(1);
    const again = await h.http().post('/v1/webhooks/phonepe').set('Authorization', hookAuth).send(body);
    expect(again.status).toBe(404);
    expect(await h.db.knex('webhook_events').where({ provider_ref: body.payload.merchantOrderId })).toHaveLength(1);
    const bad = await h
      .http()
      .post('/v1/webhooks/phonepe')
      .set('Authorization', hookAuth)
      .send({ event: 'nonsense', payload: {} });
    expect(bad.status).toBe(400);
  });

  it('"failed" arriving after "completed" changes nothing', async () => {
    const u = await customer();
    h.sims.phonepe.faults.outOfOrderWebhooks = true;
    const { paymentId } = await topUp(u.accessToken, '40.00');
    await h.sims.phonepe.completeOrder(paymentId, 'success');
    await waitForStatus(h, u.accessToken, paymentId, 'COMPLETED');
    await eventually(
      () => h.sims.phonepe.webhooksSent.filter((w) => w.event === 'checkout.order.failed'),
      (w) => w.length >= 1 && w.every((x) => x.status === 200),
    );
    expect((await paymentStatus(h, u.accessToken, paymentId)).status).toBe('COMPLETED');
    expect(await credits(paymentId)).toHaveLength(1);
    expect((await walletOf(h.db.knex, u.user.id)).balance).toBe('40.00');
  });

  it('amount mismatch: not credited, NEEDS_ATTENTION; an operator then credits what PhonePe confirmed', async () => {
    const u = await customer();
    const admin = await registerUser(h.http);
    const { accessToken: adminToken } = await promoteToAdmin(h.http, h.db.knex, admin);
    const { paymentId } = await topUp(u.accessToken, '500.00');
    await h.sims.phonepe.completeOrder(paymentId, 'success', 45_000);
    const p = await waitForStatus(h, u.accessToken, paymentId, 'NEEDS_ATTENTION');
    expect(p.timeline.at(-1)!.note).toMatch(/450\.00.*500\.00/);
    expect(await credits(paymentId)).toHaveLength(0);
    const stuck = await h.http().get('/v1/admin/payments').set('Authorization', `Bearer ${adminToken}`);
    expect(stuck.body.items[0]).toMatchObject({
      paymentId,
      status: 'NEEDS_ATTENTION',
      lastNote: p.timeline.at(-1)!.note,
    });
    // Crediting money PhonePe never confirmed takes two admins: one proposes…
    const proposed = await h
      .http()
      .post(`/v1/admin/payments/${paymentId}/resolve`)
      .set('Authorization', `Bearer ${adminToken}`)
      .send({ outcome: 'succeeded', reason: 'customer paid ₹450, confirmed with PhonePe' });
    expect([proposed.status, proposed.body.status, proposed.body.action]).toEqual([202, 'pending', 'resolve']);
    expect((await walletOf(h.db.knex, u.user.id)).balance).toBe('0.00');
    const approve = (token: string) =>
      h
        .http()
        .post(`/v1/admin/approvals/${proposed.body.approvalId}/approve`)
        .set('Authorization', `Bearer ${token}`)
        .send({});
    // …not the same one…
    const self = await approve(adminToken);
    expect([self.status, self.body.error.code]).toEqual([403, 'four_eyes_required']);
    // …a second approves, and that carries it out.
    const second = await registerUser(h.http);
    const { accessToken: secondToken } = await promoteToAdmin(h.http, h.db.knex, second);
    const approved = await approve(secondToken);
    expect([approved.status, approved.body.status]).toEqual([200, 'approved']);
    const done = await waitForStatus(h, u.accessToken, paymentId, 'COMPLETED');
    expect(done.timeline.at(-1)).toMatchObject({ status: 'COMPLETED', actor: second.user.userCode });
    expect(done.timeline.at(-1)!.note).toMatch(
      new RegExp(`proposed by ${admin.user.userCode}, approved by ${second.user.userCode}`),
    );
    expect((await walletOf(h.db.knex, u.user.id)).balance).toBe('450.00');
    expect((await approve(secondToken)).status).toBe(409);
    const audits = await h.db
      .knex('audit_logs')
      .whereIn('action', ['admin.approvals.propose', 'admin.approvals.approve'])
      .where('outcome', 'success')
      .orderBy('id');
    expect(
      audits
        .filter((a) => a.target_id === paymentId || a.target_id === proposed.body.approvalId)
        .map((a) => [a.action, a.actor_user_id]),
    ).toEqual([
      ['admin.approvals.propose', admin.user.id],
      ['admin.approvals.approve', second.user.id],
    ]);
    await keepHistory(h.client, `topup:${paymentId}`, 'topup-amount-mismatch-operator');
  });

  it('PENDING past the deadline becomes PROCESSING; a late success is still credited, once', async () => {
    const u = await customer();
    const { paymentId } = await topUp(u.accessToken, '60.00');
    const p = await waitForStatus(h, u.accessToken, paymentId, 'PROCESSING');
    expect(p.timeline.at(-1)!.note).toMatch(/past the payment deadline/);
    h.sims.phonepe.faults.dropWebhooks = true;
    await h.sims.phonepe.completeOrder(paymentId, 'success');
    await waitForStatus(h, u.accessToken, paymentId, 'COMPLETED');
    expect(await credits(paymentId)).toHaveLength(1);
    expect((await walletOf(h.db.knex, u.user.id)).balance).toBe('60.00');
    await keepHistory(h.client, `topup:${paymentId}`, 'topup-late-success');
  });

  it('another user reading the payment gets 404, like a payment that does not exist', async () => {
    const u = await customer();
    const other = await customer();
    const { paymentId } = await topUp(u.accessToken);
    const theirs = await h.http().get(`/v1/payments/${paymentId}`).set('Authorization', `Bearer ${other.accessToken}`);
    const none = await h
      .http()
      .get('/v1/payments/pay_01JZZZZZZZZZZZZZZZZZZZZZZZ')
      .set('Authorization', `Bearer ${other.accessToken}`);
    expect(theirs.status).toBe(404);
    expect(none.status).toBe(404);
    expect(theirs.body.error.code).toBe(none.body.error.code);
    expect((await h.http().get('/v1/payments').set('Authorization', `Bearer ${other.accessToken}`)).body.items).toEqual(
      [],
    );
    await h.sims.phonepe.completeOrder(paymentId, 'failure');
    await waitForStatus(h, u.accessToken, paymentId, 'FAILED');
  });
});

describe('idempotency', () => {
  it('same key and body: same response; different body: 409; 10 concurrent: one payment', async () => {
    const u = await customer();
    const first = await topUp(u.accessToken, '300.00');
    const replay = await topUp(u.accessToken, 300, first.key); // same amount, other spelling
    expect(replay.res.status).toBe(first.res.status);
    expect(replay.res.body).toEqual(first.res.body);
    const changed = await topUp(u.accessToken, '301.00', first.key);
    expect(changed.res.status).toBe(409);
    expect(changed.res.body.error.code).toBe('idempotency_key_reused');
    const missing = await h
      .http()
      .post('/v1/payments/topups')
      .set('Authorization', `Bearer ${u.accessToken}`)
      .send({ amount: '10.00' });
    expect(missing.status).toBe(400);

    const key = idemKey();
    const all = await Promise.all(Array.from({ length: 10 }, () => topUp(u.accessToken, '55.00', key)));
    expect(new Set(all.map((a) => a.res.status))).toEqual(new Set([201]));
    expect(new Set(all.map((a) => a.paymentId)).size).toBe(1);
    expect(new Set(all.map((a) => a.res.body.redirectUrl)).size).toBe(1);
    expect(await h.db.knex('payment_records').where({ user_id: u.user.id })).toHaveLength(2);
    expect(h.sims.phonepe.orders.size).toBe(2);
    for (const id of [first.paymentId, all[0]!.paymentId]) {
      await h.sims.phonepe.completeOrder(id, 'success');
      await waitForStatus(h, u.accessToken, id, 'COMPLETED');
    }
    expect((await walletOf(h.db.knex, u.user.id)).balance).toBe('355.00');
  });

  it('rejects amounts below ₹1 or above ₹1,00,000, and fractions of a paisa', async () => {
    const u = await customer();
    for (const amount of ['0.99', '100000.01', '10.001', -5, 'abc']) {
      const { res } = await topUp(u.accessToken, amount);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
    }
  });
});

describe('open orders', () => {
  it('a user may have five top-ups waiting on PhonePe at once; a replay still answers; a settled one frees a place', async () => {
    const u = await customer();
    const open = [];
    for (let i = 0; i < 5; i++) {
      const t = await topUp(u.accessToken, '10.00');
      expect(t.res.status).toBe(201);
      open.push(t);
    }
    const sixth = await topUp(u.accessToken, '10.00');
    expect([sixth.res.status, sixth.res.body.error.code]).toEqual([422, 'too_many_open_topups']);
    expect(sixth.res.body.error.details).toEqual({ open: 5, max: 5 });
    // A retry of an order already open is its replay, not a sixth order.
    const replay = await topUp(u.accessToken, '10.00', open[0]!.key);
    expect([replay.res.status, replay.res.body]).toEqual([201, open[0]!.res.body]);
    // Another user is not affected.
    expect((await topUp((await customer()).accessToken, '10.00')).res.status).toBe(201);

    await h.sims.phonepe.completeOrder(open[0]!.paymentId, 'failure');
    await waitForStatus(h, u.accessToken, open[0]!.paymentId, 'FAILED');
    // The refused request's key is free to try again now.
    const retried = await topUp(u.accessToken, '10.00', sixth.key);
    expect(retried.res.status).toBe(201);
    for (const t of [...open.slice(1), retried]) {
      await h.sims.phonepe.completeOrder(t.paymentId, 'failure');
      await waitForStatus(h, u.accessToken, t.paymentId, 'FAILED');
    }
  });
});

describe('a workflow reset', () => {
  it('to before the order step, after the customer paid: settled from the paid order, credited once, no second order', async () => {
    const u = await customer();
    const { res, paymentId } = await topUp(u.accessToken, '300.00');
    const orderId = res.body.redirectUrl.split('/').pop();
    await fetch(`${h.sims.url}/phonepe/checkout/${orderId}/pay`, { method: 'POST', redirect: 'manual' });
    await waitForStatus(h, u.accessToken, paymentId, 'COMPLETED');

    // Ops reset the workflow to its first task (Temporal UI, or `temporal workflow reset`): the
    // new run records the payment and runs the order step again, and finds the order paid.
    const workflowId = `topup:${paymentId}`;
    const first = h.client.workflow.getHandle(workflowId);
    const { runId } = await first.describe();
    const firstTask = (await first.fetchHistory()).events!.find(
      (e) => e.eventType === temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
    )!;
    const reset = await h.client.workflowService.resetWorkflowExecution({
      namespace: 'default',
      workflowExecution: { workflowId, runId },
      reason: 'test: reset to the first task',
      workflowTaskFinishEventId: firstTask.eventId,
      requestId: randomUUID(),
    });
    const again = await h.client.workflow.getHandle(workflowId, reset.runId!).result();
    expect(again).toMatchObject({ status: 'COMPLETED', timeline: [{ status: 'COMPLETED' }] });
    expect(h.sims.phonepe.orders.has(`${paymentId}-2`)).toBe(false);
    expect(await walletOf(h.db.knex, u.user.id)).toEqual({ balance: '300.00', held: '0.00' });
    expect(await credits(paymentId)).toHaveLength(1);
    const read = await paymentStatus(h, u.accessToken, paymentId);
    expect(read.timeline.map((t) => t.status)).toEqual(['CREATED', 'AWAITING_PAYMENT', 'COMPLETED']);
    await keepHistory(h.client, workflowId, 'topup-reset-found-paid');
  });
});

describe('a lost payment page', () => {
  it('PhonePe took the order but its answer never reached us: a second order gives the client a working page, credited once', async () => {
    const u = await customer();
    // PhonePe creates the order, then answers after the client gave up (outcome unknown).
    h.sims.phonepe.faults.hang = { pay: 1 };
    h.sims.phonepe.faults.hangMs = 2500;
    const { res, key, paymentId } = await topUp(u.accessToken, '400.00');
    expect(res.status).toBe(201);
    expect(h.sims.phonepe.orders.has(paymentId)).toBe(true);
    const second = `${paymentId}-2`;
    expect(h.sims.phonepe.orders.has(second)).toBe(true);
    expect(res.body.redirectUrl).toContain('/phonepe/checkout/');
    expect((await topUp(u.accessToken, '400.00', key)).res.body).toEqual(res.body);

    await h.sims.phonepe.completeOrder(second, 'success');
    const done = await waitForStatus(h, u.accessToken, paymentId, 'COMPLETED');
    expect(done.timeline[1]).toMatchObject({
      status: 'AWAITING_PAYMENT',
      note: expect.stringMatching(/page of the first was lost/),
    });
    expect(await walletOf(h.db.knex, u.user.id)).toEqual({ balance: '400.00', held: '0.00' });
    expect(await credits(paymentId)).toHaveLength(1);
    expect(h.sims.phonepe.orders.get(paymentId)!.state).toBe('PENDING');
    await keepHistory(h.client, `topup:${paymentId}`, 'topup-lost-page-second-order-completed');

    // A refund goes to the order that was paid.
    const admin = await adminToken(h);
    const refund = await h
      .http()
      .post(`/v1/admin/payments/${paymentId}/refund`)
      .set('Authorization', `Bearer ${admin}`)
      .set('Idempotency-Key', idemKey())
      .send({ amount: '100.00', reason: 'partial refund' });
    await waitForStatus(h, admin, refund.body.paymentId, 'COMPLETED');
    expect(h.sims.phonepe.refunds.get(refund.body.paymentId)!.originalMerchantOrderId).toBe(second);
  });

  it('when every page is lost the client is told to start a new top-up (409), on every retry', async () => {
    const u = await customer();
    h.sims.phonepe.faults.hang = { pay: 3 };
    h.sims.phonepe.faults.hangMs = 2500;
    const { res, key } = await topUp(u.accessToken, '90.00');
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({
      code: 'topup_page_lost',
      message: expect.stringMatching(/start a new top-up/),
    });
    const again = await topUp(u.accessToken, '90.00', key);
    expect([again.res.status, again.res.body.error.code]).toEqual([409, 'topup_page_lost']);
  });
});
