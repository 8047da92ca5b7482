/** Wallet-to-wallet transfers through the API and the transfer workflow; invariants after each. */
import { createLedger } from '../../db/ledger';
import { registerUser } from '../support/api';
import { keepHistory } from '../support/histories';
import { expectLedgerInvariants, rs, walletOf } from '../support/ledger';
import { idemKey, PaymentsHarness, startPaymentsHarness } from '../support/payments';

let h: PaymentsHarness;
beforeAll(async () => {
  h = await startPaymentsHarness();
});
afterAll(() => h?.close());
afterEach(() => expectLedgerInvariants(h.db.knex));

let n = 0;
async function user(opts: { balance?: string; kyc?: 'verified' | 'pending'; dailyLimit?: string } = {}) {
  const u = await registerUser(h.http);
  await h.db
    .knex('users')
    .where({ id: u.user.id })
    .update({ kyc_status: opts.kyc ?? 'verified', ...(opts.dailyLimit ? { daily_limit: opts.dailyLimit } : {}) });
  if (opts.balance) {
    await createLedger(h.db.knex).post({
      reference: `transfer-test:fund:${++n}`,
      ledgerType: 'TopIn',
      lines: [
        { account: { system: 'PLATFORM_EQUITY' }, debit: rs(opts.balance) },
        { account: { user: u.user.id }, credit: rs(opts.balance) },
      ],
    });
  }
  return u;
}

const send = (token: string, body: Record<string, unknown>, key = idemKey()) =>
  h
    .http()
    .post('/v1/payments/transfers')
    .set('Authorization', `Bearer ${token}`)
    .set('Idempotency-Key', key)
    .send(body);

it('moves money and writes a statement line on each side', async () => {
  const a = await user({ balance: '1000.00' });
  const b = await user({ balance: '10.00' });
  const res = await send(a.accessToken, { amount: '250.50', toUserCode: b.user.userCode, remarks: 'stock payment' });
  expect(res.status).toBe(201);
  expect(res.body.status).toBe('COMPLETED');
  expect(await walletOf(h.db.knex, a.user.id)).toEqual({ balance: '749.50', held: '0.00' });
  expect(await walletOf(h.db.knex, b.user.id)).toEqual({ balance: '260.50', held: '0.00' });
  const out = await h.db
    .knex('transactions')
    .where({ reference_number: `${res.body.paymentId}:out` })
    .first();
  const inn = await h.db
    .knex('transactions')
    .where({ reference_number: `${res.body.paymentId}:in` })
    .first();
  expect(out).toMatchObject({
    user_id: a.user.id,
    transaction_type: 'transfer',
    ledger_type: 'Transfer',
    debit_amount: '250.50',
    opening_balance: '1000.00',
    closing_balance: '749.50',
    recipient_id: b.user.id,
    remarks: 'stock payment',
  });
  expect(inn).toMatchObject({
    user_id: b.user.id,
    credit_amount: '250.50',
    opening_balance: '10.00',
    closing_balance: '260.50',
    from_account_id: a.user.id,
  });
  const wallet = await h.http().get('/v1/wallet').set('Authorization', `Bearer ${a.accessToken}`);
  expect(wallet.body.usedToday).toBe('250.50');
  await keepHistory(h.client, `transfer:${res.body.paymentId}`, 'transfer-completed');
});

it('refuses with the rule that failed, as a 422, and an idempotent replay repeats it', async () => {
  const a = await user({ balance: '100.00' });
  const b = await user();
  const key = idemKey();
  const res = await send(a.accessToken, { amount: '100.01', toUserCode: b.user.userCode }, key);
  expect(res.status).toBe(422);
  expect(res.body.error.code).toBe('insufficient_funds');
  const again = await send(a.accessToken, { amount: '100.01', toUserCode: b.user.userCode }, key);
  expect(again.status).toBe(422);
  expect(again.body).toEqual(res.body);
  const payment = await h
    .http()
    .get(`/v1/payments/${res.body.error.details.paymentId}`)
    .set('Authorization', `Bearer ${a.accessToken}`);
  expect(payment.body).toMatchObject({ kind: 'transfer', status: 'FAILED' });
  expect(await walletOf(h.db.knex, a.user.id)).toEqual({ balance: '100.00', held: '0.00' });
  await keepHistory(h.client, `transfer:${res.body.error.details.paymentId}`, 'transfer-refused');
});

it('KYC, limits, inactive recipients, unknown recipients and self-transfers give their 422s', async () => {
  const pending = await user({ balance: '100.00', kyc: 'pending' });
  const limited = await user({ balance: '1000.00', dailyLimit: '50.00' });
  const b = await user();
  expect((await send(pending.accessToken, { amount: '10.00', toUserCode: b.user.userCode })).body.error.code).toBe(
    'kyc_required',
  );
  expect((await send(limited.accessToken, { amount: '50.01', toUserCode: b.user.userCode })).body.error.code).toBe(
    'limit_exceeded',
  );
  expect((await send(limited.accessToken, { amount: '50.00', toUserCode: b.user.userCode })).status).toBe(201);
  expect((await send(limited.accessToken, { amount: '0.01', toUserCode: b.user.userCode })).status).toBe(400);
  expect((await send(limited.accessToken, { amount: '1.00', toUserCode: 'NP999999' })).body.error.code).toBe(
    'recipient_not_found',
  );
  expect((await send(limited.accessToken, { amount: '1.00', toUserCode: limited.user.userCode })).body.error.code).toBe(
    'self_transfer',
  );
  await h.db.knex('users').where({ id: b.user.id }).update({ is_active: false });
  const sender = await user({ balance: '100.00' });
  const toInactive = await send(sender.accessToken, { amount: '1.00', toUserCode: b.user.userCode });
  expect(toInactive.status).toBe(422);
  expect(toInactive.body.error.code).toBe('account_inactive');
  expect((await walletOf(h.db.knex, limited.user.id)).balance).toBe('950.00');
  expect((await walletOf(h.db.knex, sender.user.id)).balance).toBe('100.00');
});

it('20 concurrent transfers from one wallet never overdraw it', async () => {
  const a = await user({ balance: '100.00' });
  const b = await user();
  const results = await Promise.all(
    Array.from({ length: 20 }, () => send(a.accessToken, { amount: '7.00', toUserCode: b.user.userCode })),
  );
  const ok = results.filter((r) => r.status === 201).length;
  expect(ok).toBe(14); // 14 × ₹7 = ₹98
  expect(results.filter((r) => r.status === 422).every((r) => r.body.error.code === 'insufficient_funds')).toBe(true);
  expect(await walletOf(h.db.knex, a.user.id)).toEqual({ balance: '2.00', held: '0.00' });
  expect((await walletOf(h.db.knex, b.user.id)).balance).toBe('98.00');
});

describe('with a transfer fee configured', () => {
  let hf: PaymentsHarness;
  beforeAll(async () => {
    hf = await startPaymentsHarness({ env: { TRANSFER_FEE: '5.00' } });
  });
  afterAll(() => hf?.close());

  it('charges the sender amount + fee in the same posting, the fee to FEE_INCOME; refuses when only the amount fits', async () => {
    const a = await registerUser(hf.http);
    const b = await registerUser(hf.http);
    await hf.db.knex('users').whereIn('id', [a.user.id, b.user.id]).update({ kyc_status: 'verified' });
    await createLedger(hf.db.knex).post({
      reference: 'fee-test:fund',
      ledgerType: 'TopIn',
      lines: [
        { account: { system: 'PLATFORM_EQUITY' }, debit: rs('105.00') },
        { account: { user: a.user.id }, credit: rs('105.00') },
      ],
    });
    const send = (amount: string) =>
      hf
        .http()
        .post('/v1/payments/transfers')
        .set('Authorization', `Bearer ${a.accessToken}`)
        .set('Idempotency-Key', idemKey())
        .send({ amount, toUserCode: b.user.userCode });
    const ok = await send('60.00');
    expect(ok.status).toBe(201);
    expect(await walletOf(hf.db.knex, a.user.id)).toEqual({ balance: '40.00', held: '0.00' });
    expect((await walletOf(hf.db.knex, b.user.id)).balance).toBe('60.00');
    expect((await hf.db.knex('system_accounts').where({ code: 'FEE_INCOME' }).first()).balance).toBe('5.00');
    const out = await hf.db
      .knex('transactions')
      .where({ reference_number: `${ok.body.paymentId}:out` })
      .first();
    expect([out.debit_amount, out.fee_amount]).toEqual(['65.00', '5.00']);
    const view = await hf
      .http()
      .get(`/v1/payments/${ok.body.paymentId}`)
      .set('Authorization', `Bearer ${a.accessToken}`);
    expect([view.body.amount, view.body.fee]).toEqual(['60.00', '5.00']);
    // ₹40 left: ₹40 + ₹5 fee does not fit.
    const refused = await send('40.00');
    expect([refused.status, refused.body.error.code]).toEqual([422, 'insufficient_funds']);
    await expectLedgerInvariants(hf.db.knex);
  });
});
