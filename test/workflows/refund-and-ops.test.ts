/**
 * Refunds of top-ups, and what ops can do to a payment: resolve (accepted only where it makes
 * sense), the late window handing over to an operator, cancellation from the UI.
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ulid } from 'ulid';
import { paise } from '../../domain/money';
import { operatorResolveUpdate, PaymentView } from '../../workflows/messages';
import { promoteToAdmin, registerUser } from '../support/api';
import { keepHistory } from '../support/histories';
import { expectLedgerInvariants, walletOf } from '../support/ledger';
import {
  idemKey,
  PaymentsHarness,
  paymentStatus,
  postingsFor,
  startPaymentsHarness,
  waitForStatus,
} from '../support/payments';
import { eventually } from '../support/simulators';

let h: PaymentsHarness;
let admin: { token: string; userCode: string };

beforeAll(async () => {
  h = await startPaymentsHarness();
  const a = await registerUser(h.http);
  admin = {
    token: (await promoteToAdmin(h.http, h.db.knex, a)).accessToken,
    userCode: a.user.userCode,
  };
});
afterAll(() => h?.close());
beforeEach(() => h.sims.phonepe.reset());
afterEach(() => expectLedgerInvariants(h.db.knex));

const asAdmin = (req: ReturnType<PaymentsHarness['http']>['post'] extends (...a: any[]) => infer R ? R : never) =>
  req.set('Authorization', `Bearer ${admin.token}`);

async function completedTopUp(amount: string) {
  const u = await registerUser(h.http);
  const res = await h
    .http()
    .post('/v1/payments/topups')
    .set('Authorization', `Bearer ${u.accessToken}`)
    .set('Idempotency-Key', idemKey())
    .send({ amount });
  await h.sims.phonepe.completeOrder(res.body.paymentId, 'success');
  await waitForStatus(h, u.accessToken, res.body.paymentId, 'COMPLETED');
  return { u, paymentId: res.body.paymentId as string };
}

function refund(topUpId: string, amount: string, key = idemKey()) {
  return asAdmin(h.http().post(`/v1/admin/payments/${topUpId}/refund`))
    .set('Idempotency-Key', key)
    .send({ amount, reason: 'customer asked for it back' });
}

describe('refund of a top-up', () => {
  it('completed: hold, PhonePe refund, capture wallet → PHONEPE_CLEARING; replayed key starts no second refund', async () => {
    const { u, paymentId } = await completedTopUp('500.00');
    const key = idemKey();
    const res = await refund(paymentId, '200.00', key);
    expect(res.status).toBe(202);
    const refundId = res.body.paymentId;
    expect((await refund(paymentId, '200.00', key)).body.paymentId).toBe(refundId);
    const done = await waitForStatus(h, admin.token, refundId, 'COMPLETED');
    expect(done.timeline.map((t) => t.status)).toEqual(['CREATED', 'PROCESSING', 'COMPLETED']);
    expect(await walletOf(h.db.knex, u.user.id)).toEqual({ balance: '300.00', held: '0.00' });
    expect(await postingsFor(h, `refund:${refundId}:capture`)).toHaveLength(1);
    expect(h.sims.phonepe.refunds.size).toBe(1);
    const gw = await h.db.knex('payments').where({ phonepe_merchant_transaction_id: paymentId }).first();
    expect(gw.refund_amount).toBe('200.00');
    const stmt = await h.db.knex('transactions').where({ reference_number: refundId }).first();
    expect(stmt).toMatchObject({
      transaction_type: 'refund',
      ledger_type: 'Refund',
      debit_amount: '200.00',
      opening_balance: '500.00',
      closing_balance: '300.00',
    });
    await keepHistory(h.client, `refund:${refundId}`, 'refund-completed');
  });

  it('above FOUR_EYES_REFUND_ABOVE a second admin approves before anything moves; a rejected one never moves', async () => {
    const { u, paymentId } = await completedTopUp('9000.00');
    const first = await refund(paymentId, '6000.00');
    expect([first.status, first.body.status, first.body.request]).toEqual([
      202,
      'pending',
      { amount: '6000.00', reason: 'customer asked for it back', refundId: expect.stringMatching(/^rfd_/) },
    ]);
    const decide = (verb: 'approve' | 'reject', token: string, approvalId: string, note?: string) =>
      h
        .http()
        .post(`/v1/admin/approvals/${approvalId}/${verb}`)
        .set('Authorization', `Bearer ${token}`)
        .send(note ? { note } : {});
    const other = await registerUser(h.http);
    const { accessToken: otherAdmin } = await promoteToAdmin(h.http, h.db.knex, other);
    // The proposer withdraws it; it cannot be approved after that.
    const rejected = await decide('reject', admin.token, first.body.approvalId, 'wrong amount, asking again');
    expect(rejected.body.status).toBe('rejected');
    expect((await decide('approve', otherAdmin, first.body.approvalId)).status).toBe(409);
    expect(h.sims.phonepe.refunds.size).toBe(0);
    expect(await walletOf(h.db.knex, u.user.id)).toEqual({ balance: '9000.00', held: '0.00' });

    const key = idemKey();
    const second = await refund(paymentId, '5500.00', key);
    expect(second.status).toBe(202);
    // The same request retried is the same proposal.
    expect((await refund(paymentId, '5500.00', key)).body.approvalId).toBe(second.body.approvalId);
    const pending = await h
      .http()
      .get('/v1/admin/approvals?status=pending')
      .set('Authorization', `Bearer ${otherAdmin}`);
    expect(pending.body.items.map((a: { approvalId: string }) => a.approvalId)).toContain(second.body.approvalId);
    // Split into refunds under the threshold, each is proposed too once the top-up's refunds add up past it.
    const small = await refund(paymentId, '100.00');
    expect([small.status, small.body.status]).toEqual([202, 'CREATED']);
    await waitForStatus(h, admin.token, small.body.paymentId, 'COMPLETED');
    const approved = await decide('approve', otherAdmin, second.body.approvalId);
    expect(approved.body).toMatchObject({ status: 'approved', decidedBy: other.user.id });
    const refundId = second.body.request.refundId;
    expect(approved.body.result).toEqual({ refundId });
    await waitForStatus(h, admin.token, refundId, 'COMPLETED');
    expect(await walletOf(h.db.knex, u.user.id)).toEqual({ balance: '3400.00', held: '0.00' });
    expect(h.sims.phonepe.refunds.size).toBe(2);
    // ₹5,600 refunded: even ₹1 more now needs a second admin.
    const more = await refund(paymentId, '1.00');
    expect([more.status, more.body.status, more.body.action]).toEqual([202, 'pending', 'refund']);
  });

  it('failed at PhonePe: the hold is released and the balance is unchanged', async () => {
    const { u, paymentId } = await completedTopUp('100.00');
    h.sims.phonepe.faults.refundMode = 'auto-failure';
    const refundId = (await refund(paymentId, '100.00')).body.paymentId;
    const p = await waitForStatus(h, admin.token, refundId, 'FAILED');
    expect(p.failureReason).toMatch(/PhonePe reported the refund failed/);
    expect(await walletOf(h.db.knex, u.user.id)).toEqual({ balance: '100.00', held: '0.00' });
    expect(
      (
        await h.db
          .knex('holds')
          .where({ reference: `refund:${refundId}:hold` })
          .first()
      ).status,
    ).toBe('released');
    await keepHistory(h.client, `refund:${refundId}`, 'refund-failed');
  });

  it('refused without moving money when it exceeds the top-up or the available balance', async () => {
    const { u, paymentId } = await completedTopUp('50.00');
    const tooMuch = (await refund(paymentId, '50.01')).body.paymentId;
    expect((await waitForStatus(h, admin.token, tooMuch, 'FAILED')).failureReason).toMatch(/exceed/);
    await h.db.knex.transaction(async () => undefined);
    const spent = await h.db.knex('users').where({ id: u.user.id }).first('wallet_balance');
    expect(spent.wallet_balance).toBe('50.00');
    expect(h.sims.phonepe.refunds.size).toBe(0);
  });
});

describe('operator resolve', () => {
  it('is refused while the customer is still within the payment window, accepted once PROCESSING', async () => {
    const u = await registerUser(h.http);
    const paymentId = `pay_${ulid()}`;
    // Started directly with PhonePe's real schedule: a 15-minute window that is far from over.
    const handle = await h.client.workflow.start('topUpWorkflow', {
      workflowId: `topup:${paymentId}`,
      taskQueue: h.worker.taskQueue,
      args: [
        {
          paymentId,
          userId: u.user.id,
          userCode: u.user.userCode,
          amount: paise(1000),
          redirectUrl: 'https://example.in/back',
          expireAfterSeconds: 900,
          polling: (await import('../../domain/polling')).PHONEPE_POLLING,
        },
      ],
    });
    await eventually(
      () => paymentStatus(h, admin.token, paymentId),
      (p) => p.status === 'AWAITING_PAYMENT',
    );
    const early = await asAdmin(h.http().post(`/v1/admin/payments/${paymentId}/resolve`)).send({
      outcome: 'failed',
      reason: 'customer gave up',
    });
    expect(early.status).toBe(409);
    expect(early.body.error).toMatchObject({
      code: 'invalid_state',
      message: expect.stringMatching(/before its deadline/),
    });
    const bad = await handle
      .executeUpdate(operatorResolveUpdate, { args: [{ outcome: 'maybe' as 'failed', reason: 'x' }] })
      .catch((e) => e);
    expect(bad).toBeInstanceOf(WorkflowUpdateFailedError);
    await handle.cancel();
    await eventually(
      () => paymentStatus(h, admin.token, paymentId),
      (p) => p.status === 'FAILED',
    );
    expect((await paymentStatus(h, admin.token, paymentId)).failureReason).toMatch(/cancelled/);

    const late = await h
      .http()
      .post('/v1/payments/topups')
      .set('Authorization', `Bearer ${u.accessToken}`)
      .set('Idempotency-Key', idemKey())
      .send({ amount: '20.00' });
    await waitForStatus(h, u.accessToken, late.body.paymentId, 'PROCESSING');
    const ok = await asAdmin(h.http().post(`/v1/admin/payments/${late.body.paymentId}/resolve`)).send({
      outcome: 'failed',
      reason: 'PhonePe support says never paid',
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ status: 'FAILED', failureReason: 'operator: PhonePe support says never paid' });
    const again = await asAdmin(h.http().post(`/v1/admin/payments/${late.body.paymentId}/resolve`)).send({
      outcome: 'succeeded',
      reason: 'changed my mind',
    });
    expect(again.status).toBe(409);
    expect((await walletOf(h.db.knex, u.user.id)).balance).toBe('0.00');
    await keepHistory(h.client, `topup:${late.body.paymentId}`, 'topup-operator-failed');
  });

  it('customers cannot use admin payment routes', async () => {
    const u = await registerUser(h.http);
    const res = await h.http().post('/v1/admin/payments/pay_x/recheck').set('Authorization', `Bearer ${u.accessToken}`);
    expect(res.status).toBe(403);
  });

  it('past the late window the payment waits for an operator; recheck asks PhonePe again', async () => {
    const u = await registerUser(h.http);
    const paymentId = `pay_${ulid()}`;
    // The dev server fires timers with about one second of granularity: size the windows in seconds.
    const polling = {
      firstCheckMs: 10,
      phases: [],
      steadyEveryMs: 500,
      graceMs: 0,
      lateEveryMs: 1000,
      lateWindowMs: 4000,
    };
    const handle = await h.client.workflow.start('topUpWorkflow', {
      workflowId: `topup:${paymentId}`,
      taskQueue: h.worker.taskQueue,
      args: [
        {
          paymentId,
          userId: u.user.id,
          userCode: u.user.userCode,
          amount: paise(2500),
          redirectUrl: 'https://example.in/back',
          expireAfterSeconds: 300,
          polling,
          awaitingWindowMs: 1000,
        },
      ],
    });
    const p = await eventually(
      () => paymentStatus(h, admin.token, paymentId),
      (x) => x.status === 'NEEDS_ATTENTION',
      20_000,
    );
    expect(p.timeline.map((t) => t.status)).toEqual(['CREATED', 'AWAITING_PAYMENT', 'PROCESSING', 'NEEDS_ATTENTION']);
    const view = (await handle.query('status')) as PaymentView;
    expect(view).toMatchObject({
      status: 'NEEDS_ATTENTION',
      lastProviderState: 'PENDING',
      step: expect.stringMatching(/operator/),
    });
    expect(view.providerChecks).toBeGreaterThanOrEqual(3);
    // PhonePe finally says paid: a recheck settles it without an operator decision.
    h.sims.phonepe.faults.dropWebhooks = true;
    await h.sims.phonepe.completeOrder(paymentId, 'success');
    const recheck = await asAdmin(h.http().post(`/v1/admin/payments/${paymentId}/recheck`)).send({});
    expect(recheck.status).toBe(202);
    await eventually(
      () => paymentStatus(h, admin.token, paymentId),
      (x) => x.status === 'COMPLETED',
    );
    expect((await walletOf(h.db.knex, u.user.id)).balance).toBe('25.00');
    await handle.result();
    await keepHistory(h.client, `topup:${paymentId}`, 'topup-late-window-recheck');
  });
});
