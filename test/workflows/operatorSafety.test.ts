/**
 * No operator action can lose money: a Cancel waits for the provider call in flight and asks
 * the provider before giving anything back; an operator's "failed" whose release cannot be done
 * parks the payment instead of ending FAILED with money held; a provider that stays down parks
 * the payment (money held) instead of retrying out of sight; an operator's decision made while
 * a provider call is retrying is answered in seconds.
 */
import { keepHistory, keepOpenHistory } from '../support/histories';
import { control, createReached, HeldKind, payer, prepare } from '../support/heldPayments';
import { expectLedgerInvariants, walletOf } from '../support/ledger';
import { registerUser } from '../support/api';
import {
  adminToken,
  idemKey,
  PaymentsHarness,
  paymentStatus,
  postingsFor,
  startPaymentsHarness,
  waitForStatus,
} from '../support/payments';
import { eventually } from '../support/simulators';

let h: PaymentsHarness;
let admin: string;

beforeAll(async () => {
  // Provider calls give up after 6 s here (180 s by default), and the worker waits up to 10 s
  // for a provider's answer, so a slow create still answers.
  h = await startPaymentsHarness({ providerTimeoutMs: 10_000, env: { PROVIDER_CALL_BUDGET_SECONDS: '6' } });
  admin = await adminToken(h);
});
afterAll(() => h?.close());
afterEach(() => expectLedgerInvariants(h.db.knex));

const asAdmin = (path: string, body?: object) => h.http().post(path).set('Authorization', `Bearer ${admin}`).send(body);
const holdOf = (kind: string, paymentId: string) =>
  h.db
    .knex('holds')
    .where({ reference: `${kind}:${paymentId}:hold` })
    .first();

describe('Cancel gives money back only when the provider did not pay', () => {
  it.each<HeldKind>(['recharge', 'bill', 'payout'])(
    'a %s cancelled while its slow create is in flight ends COMPLETED, captured once',
    async (kind) => {
      const p = await payer(h);
      const r = await prepare(h, kind, p);
      await control(h, kind).scenario({ match: r.match, outcome: 'success' });
      await control(h, kind).fault({ endpoint: kind === 'bill' ? 'pay' : 'create', kind: 'slow', delayMs: 4000 });
      const res = await r.pay('120.00');
      expect(res.status).toBe(202);
      const paymentId = res.body.paymentId as string;
      await createReached(h, kind, paymentId);
      const handle = h.client.workflow.getHandle(`${kind}:${paymentId}`);
      await handle.cancel();

      const done = await waitForStatus(h, p.token, paymentId, 'COMPLETED', 30_000);
      expect(done.timeline.map((t) => t.status)).not.toContain('FAILED');
      expect(await walletOf(h.db.knex, p.id)).toEqual({ balance: '9880.00', held: '0.00' });
      expect((await holdOf(kind, paymentId)).status).toBe('captured');
      expect(await postingsFor(h, `${kind}:${paymentId}:capture`)).toHaveLength(1);
      expect(await control(h, kind).transaction(paymentId)).toMatchObject({ createCount: 1 });
      // Temporal shows the cancel; the payment shows what the provider did.
      await expect(handle.result()).rejects.toThrow();
      expect((await handle.describe()).status.name).toBe('CANCELLED');
      await keepHistory(h.client, `${kind}:${paymentId}`, `${kind}-cancelled-during-send-completed`);
    },
  );

  it('a cancelled recharge the operator still has pending keeps its hold in NEEDS_ATTENTION and settles when the operator answers', async () => {
    const p = await payer(h);
    const r = await prepare(h, 'recharge', p);
    await control(h, 'recharge').scenario({ match: r.match, outcome: 'pending', webhook: 'drop' });
    const paymentId = (await r.pay('80.00')).body.paymentId as string;
    await createReached(h, 'recharge', paymentId);
    await h.client.workflow.getHandle(`recharge:${paymentId}`).cancel();
    const parked = await waitForStatus(h, p.token, paymentId, 'NEEDS_ATTENTION', 20_000);
    expect(parked.timeline.at(-1)!.note).toMatch(
      /cancelled by an operator; the recharge operator still says PENDING, so the amount stays held/,
    );
    expect(await walletOf(h.db.knex, p.id)).toEqual({ balance: '10000.00', held: '80.00' });
    await keepOpenHistory(h.client, `recharge:${paymentId}`, 'recharge-open-cancelled-parked');
    // Nothing more is sent after a cancel; the operator recharges the number in the end.
    await control(h, 'recharge').settle(paymentId, 'success');
    await waitForStatus(h, p.token, paymentId, 'COMPLETED', 20_000);
    expect(await walletOf(h.db.knex, p.id)).toEqual({ balance: '9920.00', held: '0.00' });
    expect(await control(h, 'recharge').transaction(paymentId)).toMatchObject({ createCount: 1 });
  });

  it('a cancel that lands before the provider ever heard of the order releases the hold', async () => {
    const p = await payer(h);
    const r = await prepare(h, 'payout', p);
    await control(h, 'payout').scenario({ match: r.match, outcome: 'success' });
    await control(h, 'payout').fault({ endpoint: 'create', kind: 'error_5xx', count: 100 });
    const paymentId = (await r.pay('60.00')).body.paymentId as string;
    await createReached(h, 'payout', paymentId);
    await h.client.workflow.getHandle(`payout:${paymentId}`).cancel();
    // The creates failed with 5xx, so the order is in doubt: the payment parks rather than guess.
    await waitForStatus(h, p.token, paymentId, 'NEEDS_ATTENTION', 20_000);
    expect(await walletOf(h.db.knex, p.id)).toEqual({ balance: '10000.00', held: '60.00' });
    await control(h, 'payout').clearFaults();
    const resolved = await asAdmin(`/v1/admin/payments/${paymentId}/resolve`, {
      outcome: 'failed',
      reason: 'bank confirms no such payout',
    });
    expect(resolved.body).toMatchObject({ status: 'FAILED' });
    expect(await walletOf(h.db.knex, p.id)).toEqual({ balance: '10000.00', held: '0.00' });
    expect(
      await control(h, 'payout')
        .transaction(paymentId)
        .catch(() => 'none'),
    ).toBe('none');
  });

  it('a refund cancelled during PhonePe’s refund call is captured when PhonePe pays it, never released', async () => {
    const u = await registerUser(h.http);
    const topUp = await h
      .http()
      .post('/v1/payments/topups')
      .set('Authorization', `Bearer ${u.accessToken}`)
      .set('Idempotency-Key', idemKey())
      .send({ amount: '500.00' });
    await h.sims.phonepe.completeOrder(topUp.body.paymentId, 'success');
    await waitForStatus(h, u.accessToken, topUp.body.paymentId, 'COMPLETED');
    const faults = h.sims.phonepe.faults;
    faults.refundMode = 'manual';
    faults.hang = { refund: 1 };
    faults.hangMs = 800; // PhonePe takes the refund, then answers late (within the client's timeout)
    try {
      const refund = await h
        .http()
        .post(`/v1/admin/payments/${topUp.body.paymentId}/refund`)
        .set('Authorization', `Bearer ${admin}`)
        .set('Idempotency-Key', idemKey())
        .send({ amount: '200.00', reason: 'customer asked' });
      const refundId = refund.body.paymentId as string;
      await eventually(
        () => h.sims.phonepe.refunds.has(refundId),
        (has) => has,
        10_000,
      );
      await h.client.workflow.getHandle(`refund:${refundId}`).cancel();
      await waitForStatus(h, admin, refundId, 'NEEDS_ATTENTION', 20_000);
      expect(await walletOf(h.db.knex, u.user.id)).toEqual({ balance: '500.00', held: '200.00' });
      const settled = await fetch(`${h.sims.url}/phonepe/__sim/refunds/${refundId}/complete`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ outcome: 'success' }),
      });
      expect(settled.status).toBe(200);
      await waitForStatus(h, admin, refundId, 'COMPLETED', 20_000);
      expect(await walletOf(h.db.knex, u.user.id)).toEqual({ balance: '300.00', held: '0.00' });
      await keepHistory(h.client, `refund:${refundId}`, 'refund-cancelled-during-request-captured');
      expect(await postingsFor(h, `refund:${refundId}:capture`)).toHaveLength(1);
    } finally {
      faults.refundMode = undefined;
      faults.hang = undefined;
      faults.hangMs = undefined;
    }
  });
});

describe('a payment is never FAILED while it holds money', () => {
  const failReleaseOf = (reference: string) =>
    h.db.knex.raw(
      `CREATE TRIGGER test_refuse_release BEFORE UPDATE ON holds FOR EACH ROW
      BEGIN IF NEW.status = 'released' AND NEW.reference = ? THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'injected fault: release refused'; END IF; END`,
      [reference],
    );

  it('an operator "failed" whose release keeps failing parks in NEEDS_ATTENTION; recheck releases exactly once, then FAILED', async () => {
    const p = await payer(h);
    const r = await prepare(h, 'recharge', p);
    await control(h, 'recharge').scenario({ match: r.match, outcome: 'pending', webhook: 'drop' });
    const paymentId = (await r.pay('99.00')).body.paymentId as string;
    await waitForStatus(h, p.token, paymentId, 'PROCESSING');
    await failReleaseOf(`recharge:${paymentId}:hold`);
    try {
      const resolved = await asAdmin(`/v1/admin/payments/${paymentId}/resolve`, {
        outcome: 'failed',
        reason: 'operator says it never went through',
      });
      expect(resolved.status).toBe(200);
      expect(resolved.body.status).toBe('NEEDS_ATTENTION');
      expect(resolved.body.timeline.at(-1).note).toMatch(/could not release the held amount: .*injected fault/);
      expect((await holdOf('recharge', paymentId)).status).toBe('active');
      expect(await walletOf(h.db.knex, p.id)).toEqual({ balance: '10000.00', held: '99.00' });
      // A second decision is refused while the first is being applied.
      expect(
        (await asAdmin(`/v1/admin/payments/${paymentId}/resolve`, { outcome: 'succeeded', reason: 'changed my mind' }))
          .status,
      ).toBe(409);
    } finally {
      await h.db.knex.raw('DROP TRIGGER IF EXISTS test_refuse_release');
    }
    expect((await paymentStatus(h, p.token, paymentId)).status).toBe('NEEDS_ATTENTION');
    await asAdmin(`/v1/admin/payments/${paymentId}/recheck`);
    const failed = await waitForStatus(h, p.token, paymentId, 'FAILED', 20_000);
    expect(failed.timeline.map((t) => t.status).slice(-2)).toEqual(['NEEDS_ATTENTION', 'FAILED']);
    expect(failed.timeline.at(-1)!.actor).toBeDefined();
    expect((await holdOf('recharge', paymentId)).status).toBe('released');
    expect(await walletOf(h.db.knex, p.id)).toEqual({ balance: '10000.00', held: '0.00' });
    expect(await postingsFor(h, `recharge:${paymentId}:capture`)).toHaveLength(0);
    await keepHistory(h.client, `recharge:${paymentId}`, 'recharge-operator-failed-release-parked');
  });
});

describe('provider outages end in a visible state', () => {
  it('a provider down for the whole call budget parks the payment with the money held; a recheck sends it once it is back', async () => {
    const p = await payer(h);
    const r = await prepare(h, 'recharge', p);
    await control(h, 'recharge').scenario({ match: r.match, outcome: 'success' });
    await control(h, 'recharge').fault({ endpoint: 'create', kind: 'error_5xx', count: 1000 });
    const paymentId = (await r.pay('149.00')).body.paymentId as string;
    const parked = await waitForStatus(h, p.token, paymentId, 'NEEDS_ATTENTION', 30_000);
    expect(parked.timeline.at(-1)!.note).toMatch(
      /could not send the order to the recharge operator: .*the amount stays held/,
    );
    expect(await walletOf(h.db.knex, p.id)).toEqual({ balance: '10000.00', held: '149.00' });
    await keepOpenHistory(h.client, `recharge:${paymentId}`, 'recharge-open-provider-unreachable');
    await control(h, 'recharge').clearFaults();
    await asAdmin(`/v1/admin/payments/${paymentId}/recheck`);
    await waitForStatus(h, p.token, paymentId, 'COMPLETED', 30_000);
    expect(await walletOf(h.db.knex, p.id)).toEqual({ balance: '9851.00', held: '0.00' });
    expect(await control(h, 'recharge').transaction(paymentId)).toMatchObject({ createCount: 1 });
    expect(await postingsFor(h, `recharge:${paymentId}:capture`)).toHaveLength(1);
  });

  it('an operator decision made while the provider call is retrying is answered in seconds', async () => {
    const p = await payer(h);
    const r = await prepare(h, 'payout', p);
    await control(h, 'payout').scenario({ match: r.match, outcome: 'success' });
    await control(h, 'payout').fault({ endpoint: 'create', kind: 'error_5xx', count: 1000 });
    try {
      const paymentId = (await r.pay('75.00')).body.paymentId as string;
      await createReached(h, 'payout', paymentId);
      const asked = Date.now();
      const resolved = await asAdmin(`/v1/admin/payments/${paymentId}/resolve`, {
        outcome: 'failed',
        reason: 'bank is down, customer withdrew',
      });
      // The call budget is 6 s: an answer well before it means the decision cut the retries short.
      expect(Date.now() - asked).toBeLessThan(4_000);
      expect(resolved.body).toMatchObject({ status: 'FAILED', failureReason: 'bank is down, customer withdrew' });
      expect(await walletOf(h.db.knex, p.id)).toEqual({ balance: '10000.00', held: '0.00' });
      expect(
        await control(h, 'payout')
          .transaction(paymentId)
          .catch(() => 'none'),
      ).toBe('none');
    } finally {
      await control(h, 'payout').clearFaults();
    }
  });
});

describe('every operator decision is attributed and audited', () => {
  const decisionAudits = async (paymentId: string) =>
    (await h.db.knex('audit_logs').where({ action: 'payment.operator_decision', target_id: paymentId })).map((r) => ({
      ...r,
      details: typeof r.details === 'string' ? JSON.parse(r.details) : r.details,
    }));

  it('from the admin API: the admin, channel admin-api; from the Temporal UI: temporal-ui, whatever name was typed', async () => {
    const p = await payer(h);
    const viaApi = await prepare(h, 'recharge', p);
    const viaUi = await prepare(h, 'recharge', p);
    const forged = await prepare(h, 'recharge', p);
    for (const r of [viaApi, viaUi, forged])
      await control(h, 'recharge').scenario({ match: r.match, outcome: 'pending', webhook: 'drop' });
    const [a, b, c] = [
      (await viaApi.pay('10.00')).body.paymentId,
      (await viaUi.pay('11.00')).body.paymentId,
      (await forged.pay('12.00')).body.paymentId,
    ] as string[];
    for (const id of [a, b, c]) await waitForStatus(h, p.token, id!, 'PROCESSING');

    const adminUser = await h.db.knex('users').where({ role: 'admin' }).orderBy('id', 'desc').first('id', 'user_code');
    await asAdmin(`/v1/admin/payments/${a}/resolve`, {
      outcome: 'succeeded',
      reason: 'operator confirmed the recharge',
    });
    const ui = (id: string, decision: object) =>
      h.client.workflow.getHandle(`recharge:${id}`).executeUpdate('operatorResolve', { args: [decision] });
    await ui(b!, { outcome: 'failed', reason: 'typed in the UI', operator: adminUser.user_code });
    await ui(c!, {
      outcome: 'failed',
      reason: 'typed in the UI',
      operator: adminUser.user_code,
      proof: 'ab'.repeat(32),
    });

    await keepOpenHistory(h.client, `recharge:${a}`, 'recharge-open-operator-succeeded');
    await keepHistory(h.client, `recharge:${b}`, 'recharge-operator-failed-from-ui');
    const [auditA] = await decisionAudits(a!);
    expect(auditA).toMatchObject({ actor_user_id: adminUser.id, outcome: 'success' });
    expect(auditA.details).toMatchObject({
      channel: 'admin-api',
      operator: adminUser.user_code,
      decision: 'succeeded',
      reason: 'operator confirmed the recharge',
      status: 'COMPLETED',
    });
    expect((await paymentStatus(h, p.token, a!)).timeline.at(-1)!.actor).toBe(adminUser.user_code);
    for (const id of [b!, c!]) {
      const audits = await decisionAudits(id);
      expect(audits).toHaveLength(1);
      expect(audits[0].actor_user_id).toBeNull();
      expect(audits[0].details).toMatchObject({
        channel: 'temporal-ui',
        operator: 'temporal-ui',
        claimedOperator: adminUser.user_code,
        decision: 'failed',
        status: 'FAILED',
      });
      expect((await paymentStatus(h, p.token, id)).timeline.at(-1)!.actor).toBe('temporal-ui');
    }
  });
});
