/**
 * Payouts, recharges and bill payments end to end (API → workflow → simulator → webhook → ledger),
 * the same scenarios for each kind: success, definite failure, pending then success (webhook
 * lost: polling finds it), pending then failure, and success later reversed (refund and
 * commission claw-back). Every test ends on the ledger invariants.
 */
import { keepHistory, keepOpenHistory } from '../support/histories';
import { control, HeldKind, PAYABLE_OF, payer, prepare } from '../support/heldPayments';
import { formatRupees, Paise } from '../../domain/money';
import { expectLedgerInvariants, rs, walletOf } from '../support/ledger';
import {
  adminToken,
  PaymentsHarness,
  paymentStatus,
  postingsFor,
  runReversalSweep,
  startPaymentsHarness,
  waitForStatus,
} from '../support/payments';

let h: PaymentsHarness;
beforeAll(async () => {
  h = await startPaymentsHarness({ reversalWatchSeconds: 3 });
});
afterAll(() => h?.close());
afterEach(() => expectLedgerInvariants(h.db.knex));

const systemBalance = async (code: string) =>
  (await h.db.knex('system_accounts').where({ code }).first('balance')).balance as string;
const commissionsOf = (transactionId: number) =>
  h.db.knex('commissions').where({ transaction_id: transactionId }).orderBy('level');
const earns = (kind: HeldKind) => kind !== 'payout';

describe.each<HeldKind>(['recharge', 'bill', 'payout'])('%s', (kind) => {
  it('succeeds: the hold is captured into the provider account, with a statement line (and commissions)', async () => {
    const p = await payer(h);
    const prepared = await prepare(h, kind, p);
    await control(h, kind).scenario({ match: prepared.match, outcome: 'success' });
    const payableBefore = await systemBalance(PAYABLE_OF[kind]);
    const res = await prepared.pay('300.00');
    expect(res.status).toBe(202);
    expect(res.body.status).toBe('PROCESSING');
    const paymentId = res.body.paymentId as string;
    await waitForStatus(h, p.token, paymentId, 'COMPLETED');
    expect(await walletOf(h.db.knex, p.id)).toEqual({ balance: '9700.00', held: '0.00' });
    expect(rs(await systemBalance(PAYABLE_OF[kind])) - rs(payableBefore)).toBe(30_000);
    expect(await postingsFor(h, `${kind}:${paymentId}:capture`)).toHaveLength(1);
    const record = await h.db.knex('payment_records').where({ id: paymentId }).first();
    const line = await h.db.knex('transactions').where({ id: record.transaction_id }).first();
    expect(line).toMatchObject({
      user_id: p.id,
      debit_amount: '300.00',
      opening_balance: '10000.00',
      closing_balance: '9700.00',
      reference_number: paymentId,
    });
    if (earns(kind)) {
      // 30000 paise × 1.5% / 1% / 0.5% = 450 / 300 / 150. Recharges (margin 3% = 900) pay all
      // three; bills (margin 1% = 300) run out at level 1, which gets the 300 left.
      const expected = kind === 'recharge' ? ['4.50', '3.00', '1.50'] : ['3.00'];
      const rows = await commissionsOf(record.transaction_id);
      expect(rows.map((r) => [r.level, r.parent_user_id, r.commission_amount])).toEqual(
        expected.map((a, i) => [i + 1, p.uplines[i]!.id, a]),
      );
      expect((await walletOf(h.db.knex, p.uplines[0]!.id)).balance).toBe(expected[0]);
    } else {
      expect(await commissionsOf(record.transaction_id)).toHaveLength(0);
      expect(line).toMatchObject({ transaction_type: 'withdrawal', beneficiary_ifsc: 'HDFC0001234' });
      expect(line.beneficiary_account).toMatch(/^X+\d{4}$/);
      expect(line.utr_number).toBeTruthy();
    }
    // Closed at settlement: the read model watches for a reversal instead of the workflow. Its
    // last task can still be completing when the API, reading the status it wrote, says COMPLETED.
    const handle = h.client.workflow.getHandle(`${kind}:${paymentId}`);
    await handle.result();
    await keepHistory(h.client, `${kind}:${paymentId}`, `${kind}-completed`);
    const { status } = await handle.describe();
    expect(status.name).toBe('COMPLETED');
    const watch = await h.db
      .knex('payment_records')
      .where({ id: paymentId })
      .first('reversal_check_at', 'reversal_watch_until', 'reversal_checks_left');
    expect(watch.reversal_checks_left).toBe(6);
    expect(watch.reversal_check_at.getTime()).toBeLessThan(watch.reversal_watch_until.getTime());
  });

  it('fails definitely: the hold is released and the balance is as before', async () => {
    const p = await payer(h);
    const prepared = await prepare(h, kind, p);
    await control(h, kind).scenario({ match: prepared.match, outcome: 'failure', failureReason: 'scripted failure' });
    const res = await prepared.pay('120.00');
    expect(res.status).toBe(202);
    const paymentId = res.body.paymentId as string;
    const final = await waitForStatus(h, p.token, paymentId, 'FAILED');
    expect(final.failureReason).toMatch(/scripted failure/);
    expect(await walletOf(h.db.knex, p.id)).toEqual({ balance: '10000.00', held: '0.00' });
    expect(await postingsFor(h, `${kind}:${paymentId}:capture`)).toHaveLength(0);
    await keepHistory(h.client, `${kind}:${paymentId}`, `${kind}-failed`);
  });

  it('pending, webhook lost, then success: polling finds it; the money stays held meanwhile', async () => {
    const p = await payer(h);
    const prepared = await prepare(h, kind, p);
    await control(h, kind).scenario({
      match: prepared.match,
      outcome: 'pending_then_success',
      pendingMs: 2500,
      webhook: 'drop',
    });
    const res = await prepared.pay('50.00');
    const paymentId = res.body.paymentId as string;
    await new Promise((r) => setTimeout(r, 1000));
    expect((await paymentStatus(h, p.token, paymentId)).status).toBe('PROCESSING');
    expect(await walletOf(h.db.knex, p.id)).toEqual({ balance: '10000.00', held: '50.00' });
    await keepOpenHistory(h.client, `${kind}:${paymentId}`, `${kind}-open-waiting-on-provider`);
    await waitForStatus(h, p.token, paymentId, 'COMPLETED', 30_000);
    expect(await walletOf(h.db.knex, p.id)).toEqual({ balance: '9950.00', held: '0.00' });
  });

  it('pending then failure: released once the provider decides', async () => {
    const p = await payer(h);
    const prepared = await prepare(h, kind, p);
    await control(h, kind).scenario({ match: prepared.match, outcome: 'pending_then_failure', pendingMs: 1500 });
    const res = await prepared.pay('75.00');
    const paymentId = res.body.paymentId as string;
    await waitForStatus(h, p.token, paymentId, 'FAILED', 30_000);
    expect(await walletOf(h.db.knex, p.id)).toEqual({ balance: '10000.00', held: '0.00' });
  });

  it('succeeds, then the provider reverses it: refunded to the wallet, commissions clawed back, REVERSED', async () => {
    const p = await payer(h);
    const prepared = await prepare(h, kind, p);
    await control(h, kind).scenario({ match: prepared.match, outcome: 'success_then_reversed', reverseAfterMs: 800 });
    const res = await prepared.pay('200.00');
    const paymentId = res.body.paymentId as string;
    const final = await waitForStatus(h, p.token, paymentId, 'REVERSED', 30_000);
    expect(final.timeline.map((t) => t.status)).toEqual(['CREATED', 'PROCESSING', 'COMPLETED', 'REVERSED']);
    expect(await walletOf(h.db.knex, p.id)).toEqual({ balance: '10000.00', held: '0.00' });
    expect(await postingsFor(h, `${kind}:${paymentId}:reversal`)).toHaveLength(1);
    for (const u of p.uplines) expect((await walletOf(h.db.knex, u.id)).balance).toBe('0.00');
    if (earns(kind)) {
      const paid = await h.db
        .knex('commissions as c')
        .join('payment_records as r', 'r.transaction_id', 'c.transaction_id')
        .where('r.id', paymentId);
      expect(paid.length).toBeGreaterThan(0);
      expect(
        await h.db.knex('ledger_journals').where('reference', 'like', `commission:${paymentId}:clawback:%`),
      ).toHaveLength(paid.length);
    }
    const refundLine = await h.db
      .knex('transactions')
      .where({ reference_number: `${paymentId}:reversal` })
      .first();
    expect(refundLine).toMatchObject({
      user_id: p.id,
      transaction_type: 'refund',
      ledger_type: 'Refund',
      credit_amount: '200.00',
    });
    await keepHistory(h.client, `${kind}:${paymentId}`, `${kind}-reversed`);
    await keepHistory(h.client, `${kind}:${paymentId}:reversal`, `${kind}-reversal-run-reversed`);
    const watch = await h.db.knex('payment_records').where({ id: paymentId }).first('reversal_check_at');
    expect(watch.reversal_check_at).toBeNull();
  });
});

describe('a reversal whose webhook is lost', () => {
  const sweep = () => runReversalSweep(h);

  it('is found by the reversal sweep at its next due check and booked once', async () => {
    const p = await payer(h);
    const prepared = await prepare(h, 'recharge', p);
    await control(h, 'recharge').scenario({
      match: prepared.match,
      outcome: 'success_then_reversed',
      // After the first status check finds the success (webhooks are dropped), within the 3 s window.
      reverseAfterMs: 1_800,
      webhook: 'drop',
    });
    const paymentId = (await prepared.pay('90.00')).body.paymentId as string;
    await waitForStatus(h, p.token, paymentId, 'COMPLETED', 30_000);
    const deadline = Date.now() + 20_000;
    while ((await paymentStatus(h, p.token, paymentId)).status !== 'REVERSED') {
      if (Date.now() > deadline) throw new Error('the sweep never booked the reversal');
      const { workflowId, reversed } = await sweep();
      if (reversed.some((r) => r.paymentId === paymentId))
        await keepHistory(h.client, workflowId, 'reversal-sweep-run');
      await new Promise((r) => setTimeout(r, 300));
    }
    await sweep(); // a later sweep finds nothing left to check for it
    expect(await postingsFor(h, `recharge:${paymentId}:reversal`)).toHaveLength(1);
    expect(await walletOf(h.db.knex, p.id)).toEqual({ balance: '10000.00', held: '0.00' });
    const record = await h.db.knex('payment_records').where({ id: paymentId }).first('reversal_check_at');
    expect(record.reversal_check_at).toBeNull();
  });

  it("an operator's recheck of a settled payment asks the provider now, through a reversal run", async () => {
    const admin = await adminToken(h); // signed in first: the recheck must fall within the 3 s window
    const p = await payer(h);
    const prepared = await prepare(h, 'payout', p);
    await control(h, 'payout').scenario({ match: prepared.match, outcome: 'success' });
    const paymentId = (await prepared.pay('25.00')).body.paymentId as string;
    await waitForStatus(h, p.token, paymentId, 'COMPLETED', 30_000);
    const recheck = await h
      .http()
      .post(`/v1/admin/payments/${paymentId}/recheck`)
      .set('authorization', `Bearer ${admin}`);
    expect(recheck.body).toEqual({
      paymentId,
      signalled: false,
      recoveryStarted: false,
      reversalRun: `payout:${paymentId}:reversal`,
    });
    const run = await h.client.workflow.getHandle(`payout:${paymentId}:reversal`).result();
    expect(run).toMatchObject({ status: 'COMPLETED', providerChecks: 1 });
    expect((await paymentStatus(h, p.token, paymentId)).status).toBe('COMPLETED');
  });

  it('a settled payment nobody reverses is checked at most six times over its window, once per check, then no more', async () => {
    const p = await payer(h);
    const prepared = await prepare(h, 'bill', p);
    await control(h, 'bill').scenario({ match: prepared.match, outcome: 'success' });
    const paymentId = (await prepared.pay('40.00')).body.paymentId as string;
    await waitForStatus(h, p.token, paymentId, 'COMPLETED', 30_000);
    await h.client.workflow.getHandle(`bill:${paymentId}`).result();
    const statusChecks = async () =>
      (await control(h, 'bill').requests()).filter((r) => r.method === 'GET' && r.path.includes(paymentId)).length;
    const before = await statusChecks();
    const watch = () =>
      h.db.knex('payment_records').where({ id: paymentId }).first('reversal_check_at', 'reversal_checks_left');
    const deadline = Date.now() + 20_000;
    while ((await watch()).reversal_check_at !== null) {
      if (Date.now() > deadline) throw new Error('the watch never ended');
      await sweep();
      await new Promise((r) => setTimeout(r, 200));
    }
    // Six when every sweep comes in time (the spacing itself is tested with a fixed clock in
    // test/db/reversalWatch.test.ts); a sweep late past the window's end makes the last check
    // there and ends the watch with checks unused, as on a busy machine.
    const used = 6 - (await watch()).reversal_checks_left;
    expect(used).toBeGreaterThanOrEqual(1);
    expect((await statusChecks()) - before).toBe(used);
    for (let i = 0; i < 3; i++) await sweep();
    expect((await statusChecks()) - before).toBe(used);
    expect((await paymentStatus(h, p.token, paymentId)).status).toBe('COMPLETED');
  });
});

describe('business rules give their 422 before anything is sent', () => {
  it.each<HeldKind>(['recharge', 'bill', 'payout'])('%s: insufficient funds, KYC and limits', async (kind) => {
    const poor = await payer(h, { balance: '10.00' });
    const r1 = await (await prepare(h, kind, poor)).pay('11.00');
    expect([r1.status, r1.body.error?.code]).toEqual([422, 'insufficient_funds']);
    await keepHistory(h.client, `${kind}:${r1.body.error.details.paymentId}`, `${kind}-hold-refused`);
    const unverified = await payer(h, { kyc: 'pending' });
    const r2 = await (await prepare(h, kind, unverified)).pay('10.00');
    expect([r2.status, r2.body.error?.code]).toEqual([422, 'kyc_required']);
    const limited = await payer(h, { dailyLimit: '100.00' });
    const r3 = await (await prepare(h, kind, limited)).pay('101.00');
    expect([r3.status, r3.body.error?.code]).toEqual([422, 'limit_exceeded']);
    // A retry with the same key repeats the refusal; nothing reached the provider.
    const failed = await h
      .http()
      .get(`/v1/payments/${r1.body.error.details.paymentId}`)
      .set('Authorization', `Bearer ${poor.token}`);
    expect(failed.body.status).toBe('FAILED');
    for (const u of [poor, unverified, limited]) expect((await walletOf(h.db.knex, u.id)).held).toBe('0.00');
    const sent = await control(h, kind).requests();
    const ids = [r1, r2, r3].map((r) => r.body.error.details.paymentId as string);
    expect(
      JSON.stringify(sent).includes(ids[0]!) ||
        JSON.stringify(sent).includes(ids[1]!) ||
        JSON.stringify(sent).includes(ids[2]!),
    ).toBe(false);
  });
});

describe('request checks against the catalogues', () => {
  it('recharge: unknown circle, paise, out-of-range amounts and bad numbers are refused', async () => {
    const p = await payer(h);
    const send = (body: Record<string, unknown>) =>
      h
        .http()
        .post('/v1/payments/recharges')
        .set('Authorization', `Bearer ${p.token}`)
        .set('Idempotency-Key', `rc-${Math.random()}`)
        .send(body);
    const ops = await h.http().get('/v1/recharge/operators').set('Authorization', `Bearer ${p.token}`);
    expect(ops.body.items.map((o: any) => o.code).sort()).toEqual(['AIRTEL', 'BSNL', 'JIO', 'MTNL', 'VI']);
    const jio = ops.body.items.find((o: any) => o.code === 'JIO');
    const ok = { operator: 'JIO', circle: jio.circles[0].code, mobile: '9876543210', amount: '199.00' };
    expect((await send({ ...ok, circle: 'ZZ' })).body.error.code).toBe('circle_not_found');
    expect((await send({ ...ok, amount: '199.50' })).body.error.code).toBe('amount_not_allowed');
    const tooBig = formatRupees((rs(jio.maxAmount) + 100) as Paise);
    expect((await send({ ...ok, amount: tooBig })).body.error.code).toBe('amount_not_allowed');
    const badMobile = await send({ ...ok, mobile: '5876543210' });
    expect(badMobile.status).toBe(400);
    expect(JSON.stringify(badMobile.body.error.details)).toContain('mobile');
    expect((await send({ ...ok, operator: 'NOPE' })).status).toBe(400);
    expect(await walletOf(h.db.knex, p.id)).toEqual({ balance: '10000.00', held: '0.00' });
  });

  it("bill: each exactness rule is enforced against the fetched amount; a bill is paid once; another user's fetch is invisible", async () => {
    const p = await payer(h);
    const billers = (await h.http().get('/v1/bills/billers').set('Authorization', `Bearer ${p.token}`)).body
      .items as any[];
    expect(new Set(billers.map((b) => b.exactness))).toEqual(
      new Set(['EXACT', 'EXACT_AND_ABOVE', 'EXACT_AND_BELOW', 'ANY']),
    );
    expect(new Set(billers.map((b) => b.category)).size).toBeGreaterThanOrEqual(4);
    const exact = billers.find(
      (b) =>
        b.exactness === 'EXACT' &&
        b.fetchType === 'FETCH' &&
        new RegExp(`^(?:${b.customerParams[0].regex})$`).test('1234567890'),
    );
    expect(exact).toBeDefined();
    const fetched = await h
      .http()
      .post('/v1/bills/fetch')
      .set('Authorization', `Bearer ${p.token}`)
      .send({ billerId: exact.billerId, customerParams: { [exact.customerParams[0].name]: '1234567890' } });
    expect(fetched.status).toBe(200);
    expect(fetched.body).toMatchObject({ status: 'SUCCESS', exactness: 'EXACT', billerId: exact.billerId });
    const billAmount = fetched.body.amount as string;
    const pay = (amount: string, key = `bill-${Math.random()}`, token = p.token) =>
      h
        .http()
        .post('/v1/payments/bills')
        .set('Authorization', `Bearer ${token}`)
        .set('Idempotency-Key', key)
        .send({ billerId: exact.billerId, fetchRef: fetched.body.fetchRef, amount });
    const wrong = await pay(formatRupees((rs(billAmount) + 100) as Paise));
    expect([wrong.status, wrong.body.error.code]).toEqual([422, 'amount_not_allowed']);
    const other = await payer(h);
    expect((await pay(billAmount, undefined, other.token)).status).toBe(404);
    expect(
      (await h.http().get(`/v1/bills/fetch/${fetched.body.fetchRef}`).set('Authorization', `Bearer ${other.token}`))
        .status,
    ).toBe(404);
    const first = await pay(billAmount);
    expect(first.status).toBe(202);
    const second = await pay(billAmount);
    expect([second.status, second.body.error.code]).toEqual([409, 'duplicate']);
    await waitForStatus(h, p.token, first.body.paymentId, 'COMPLETED');
    const badParams = await h
      .http()
      .post('/v1/bills/fetch')
      .set('Authorization', `Bearer ${p.token}`)
      .send({ billerId: exact.billerId, customerParams: { nope: 'x' } });
    expect(badParams.status).toBe(400);
  });

  it('payout: an unverified beneficiary is refused; another user cannot pay to mine', async () => {
    const p = await payer(h);
    const created = await h
      .http()
      .post('/v1/beneficiaries')
      .set('Authorization', `Bearer ${p.token}`)
      .send({ beneficiaryName: 'Not Yet', accountNumber: '123456789012', ifscCode: 'SBIN0000001', bankName: 'SBI' });
    expect(created.status).toBe(201);
    const pay = (token: string) =>
      h
        .http()
        .post('/v1/payments/payouts')
        .set('Authorization', `Bearer ${token}`)
        .set('Idempotency-Key', `po-${Math.random()}`)
        .send({ amount: '10.00', beneficiaryId: created.body.id });
    const unverified = await pay(p.token);
    expect([unverified.status, unverified.body.error.code]).toEqual([422, 'beneficiary_unverified']);
    const other = await payer(h);
    expect((await pay(other.token)).status).toBe(404);
    expect(await walletOf(h.db.knex, p.id)).toEqual({ balance: '10000.00', held: '0.00' });
  });
});
