/**
 * Commission posting on real MariaDB: the exact shares for a retailer under a three-level chain
 * (rounding down to the paisa, the margin cap, a skipped inactive upline, a fourth level that
 * earns nothing), one balanced posting, one `commissions` row per level, statement lines,
 * idempotency per originating transaction, and claw-back after a reversal.
 */
import { clawBackCommissions, outstandingClawbacks, payCommissions, uplinesOf } from '../../db/commissions';
import { createLedger, Ledger } from '../../db/ledger';
import { parseRate } from '../../domain/commissions';
import { createTestDatabase, TestDatabase } from '../support/db';
import { createUser, expectLedgerInvariants, rs, walletOf } from '../support/ledger';

let db: TestDatabase;
let ledger: Ledger;
beforeAll(async () => {
  db = await createTestDatabase();
  ledger = createLedger(db.knex);
});
afterAll(() => db?.drop());
afterEach(() => expectLedgerInvariants(db.knex));

/** grand (0.0200, level 4) → superDist (0.0050) → area (0.0100) → local (0.0150) → retailer. */
async function chain(opts: { areaActive?: boolean; localKyc?: 'verified' | 'pending' } = {}) {
  const grand = await createUser(db.knex, { role: 'distributor', commissionRate: '0.0200' });
  const superDist = await createUser(db.knex, { role: 'distributor', commissionRate: '0.0050', parentId: grand.id });
  const area = await createUser(db.knex, {
    role: 'distributor',
    commissionRate: '0.0100',
    parentId: superDist.id,
    active: opts.areaActive ?? true,
  });
  const local = await createUser(db.knex, {
    role: 'distributor',
    commissionRate: '0.0150',
    parentId: area.id,
    kyc: opts.localKyc ?? 'verified',
  });
  const retailer = await createUser(db.knex, { role: 'retailer', balance: '1000.00', parentId: local.id });
  return { grand, superDist, area, local, retailer };
}

let n = 0;
/** A settled recharge of `amount` by the retailer: its statement row is the originating transaction. */
async function settledRecharge(userId: number, amount: string) {
  const paymentId = `pay_TEST${++n}`;
  await ledger.reserve({ reference: `recharge:${paymentId}:hold`, userId, amount: rs(amount) });
  const posted = await ledger.capture({
    holdReference: `recharge:${paymentId}:hold`,
    reference: `recharge:${paymentId}:capture`,
    to: { system: 'RECHARGE_PAYABLE' },
    ledgerType: 'Recharge',
    statement: { transactionType: 'recharge', referenceNumber: paymentId },
  });
  const transactionId = posted.lines.find((l) => 'user' in l.account)!.transactionId!;
  await db.knex('payment_records').insert({
    id: paymentId,
    kind: 'recharge',
    user_id: userId,
    amount,
    status: 'COMPLETED',
    workflow_id: `recharge:${paymentId}`,
    transaction_id: transactionId,
  });
  return { paymentId, transactionId, amount: rs(amount) };
}

const pay = (c: Awaited<ReturnType<typeof chain>>, r: Awaited<ReturnType<typeof settledRecharge>>, margin = '0.0300') =>
  payCommissions(db.knex, ledger, {
    paymentId: r.paymentId,
    userId: c.retailer.id,
    transactionId: r.transactionId,
    amount: r.amount,
    marginRate: parseRate(margin),
    description: 'test',
  });

it('pays each of three levels floor(amount × own rate), in one balanced posting with rows and statement lines', async () => {
  const c = await chain();
  const r = await settledRecharge(c.retailer.id, '199.99');
  const shares = await pay(c, r);
  // 19999 paise × 1.5% = 299.985 → 299; × 1% = 199.99 → 199; × 0.5% = 99.995 → 99. Level 4 earns nothing.
  expect(shares.map((s) => [s.level, s.userId, s.amount])).toEqual([
    [1, c.local.id, 299],
    [2, c.area.id, 199],
    [3, c.superDist.id, 99],
  ]);
  const rows = await db.knex('commissions').where({ transaction_id: r.transactionId }).orderBy('level');
  expect(rows.map((x) => [x.level, x.user_id, x.parent_user_id, x.commission_rate, x.commission_amount])).toEqual([
    [1, c.retailer.id, c.local.id, '0.0150', '2.99'],
    [2, c.retailer.id, c.area.id, '0.0100', '1.99'],
    [3, c.retailer.id, c.superDist.id, '0.0050', '0.99'],
  ]);
  expect((await walletOf(db.knex, c.local.id)).balance).toBe('2.99');
  expect((await walletOf(db.knex, c.area.id)).balance).toBe('1.99');
  expect((await walletOf(db.knex, c.superDist.id)).balance).toBe('0.99');
  expect((await walletOf(db.knex, c.grand.id)).balance).toBe('0.00');
  const journal = await db
    .knex('ledger_journals')
    .where({ reference: `commission:${r.paymentId}` })
    .first();
  expect(journal.ledger_type).toBe('Commission');
  const sys = await db.knex('system_accounts').where({ code: 'COMMISSION_EXPENSE' }).first('id');
  const expense = await db.knex('ledger_entries').where({ journal_id: journal.id, system_account_id: sys.id }).first();
  expect([expense.debit, expense.credit]).toEqual(['5.97', '0.00']);
  const lines = await db
    .knex('transactions')
    .where({ transaction_type: 'commission' })
    .whereIn('user_id', [c.local.id, c.area.id, c.superDist.id]);
  expect(lines).toHaveLength(3);
  expect(lines.every((l) => l.ledger_type === 'Commission' && l.from_account_id === c.retailer.id)).toBe(true);
});

it('caps the total at the service margin, paying nearer levels first', async () => {
  const c = await chain();
  const r = await settledRecharge(c.retailer.id, '199.99');
  // Margin 2.5% of 19999 = 499.975 → 499: level 1 takes 299, level 2 199 (498 so far), level 3 only 1.
  const shares = await pay(c, r, '0.0250');
  expect(shares.map((s) => s.amount)).toEqual([299, 199, 1]);
});

it('skips an inactive upline but keeps the levels above it as they are', async () => {
  const c = await chain({ areaActive: false });
  const r = await settledRecharge(c.retailer.id, '500.00');
  const shares = await pay(c, r);
  expect(shares.map((s) => [s.level, s.userId, s.amount])).toEqual([
    [1, c.local.id, 750],
    [3, c.superDist.id, 250],
  ]);
  expect((await walletOf(db.knex, c.area.id)).balance).toBe('0.00');
});

it('skips an upline whose KYC is not verified', async () => {
  const c = await chain({ localKyc: 'pending' });
  const r = await settledRecharge(c.retailer.id, '100.00');
  expect((await pay(c, r)).map((s) => s.level)).toEqual([2, 3]);
});

it('is idempotent per originating transaction, even if an upline changes in between', async () => {
  const c = await chain();
  const r = await settledRecharge(c.retailer.id, '300.00');
  const first = await pay(c, r);
  await db.knex('users').where({ id: c.local.id }).update({ is_active: false, commission_rate: '0.0500' });
  const again = await Promise.all([pay(c, r), pay(c, r)]);
  expect(again[0]).toEqual(first);
  expect(again[1]).toEqual(first);
  expect(await db.knex('commissions').where({ transaction_id: r.transactionId }).count({ n: '*' }).first()).toEqual({
    n: 3,
  });
  expect(
    await db
      .knex('ledger_journals')
      .where({ reference: `commission:${r.paymentId}` })
      .count({ n: '*' })
      .first(),
  ).toEqual({ n: 1 });
  expect((await walletOf(db.knex, c.local.id)).balance).toBe('4.50');
});

it('claws commissions back after a reversal; an earner who spent theirs is reported, never overdrawn', async () => {
  const c = await chain();
  const r = await settledRecharge(c.retailer.id, '1000.00'); // 15.00, 10.00, 5.00
  await pay(c, r);
  // The level 2 earner spends all but ₹4 of the ₹10.
  await ledger.post({
    reference: 'test:spend',
    ledgerType: 'Transfer',
    lines: [
      { account: { user: c.area.id }, debit: rs('6.00') },
      { account: { system: 'PLATFORM_EQUITY' }, credit: rs('6.00') },
    ],
  });
  const result = await clawBackCommissions(db.knex, ledger, r.paymentId);
  expect(result.recovered.map((s) => s.level)).toEqual([1, 3]);
  expect(result.outstanding.map((s) => [s.level, s.userId, s.amount])).toEqual([[2, c.area.id, 1000]]);
  expect((await walletOf(db.knex, c.local.id)).balance).toBe('0.00');
  expect((await walletOf(db.knex, c.superDist.id)).balance).toBe('0.00');
  expect((await walletOf(db.knex, c.area.id)).balance).toBe('4.00');
  // Repeating it recovers nothing twice.
  const again = await clawBackCommissions(db.knex, ledger, r.paymentId);
  expect(again.recovered.map((s) => s.level)).toEqual([1, 3]);
  expect((await walletOf(db.knex, c.local.id)).balance).toBe('0.00');
  expect(
    await db
      .knex('ledger_journals')
      .where('reference', 'like', `commission:${r.paymentId}:clawback:%`)
      .count({ n: '*' })
      .first(),
  ).toEqual({ n: 2 });
});

it('pays nothing to a user without uplines, and posts nothing', async () => {
  const lone = await createUser(db.knex, { balance: '100.00' });
  const r = await settledRecharge(lone.id, '50.00');
  const shares = await payCommissions(db.knex, ledger, {
    paymentId: r.paymentId,
    userId: lone.id,
    transactionId: r.transactionId,
    amount: r.amount,
    marginRate: parseRate('0.03'),
    description: 'x',
  });
  expect(shares).toEqual([]);
  expect(
    await db
      .knex('ledger_journals')
      .where({ reference: `commission:${r.paymentId}` })
      .first(),
  ).toBeUndefined();
});

it('walks the chain up to three levels, each with its level, rate and eligibility', async () => {
  const c = await chain({ areaActive: false });
  expect(await uplinesOf(db.knex, c.retailer.id)).toEqual([
    { userId: c.local.id, level: 1, rate: 150, eligible: true },
    { userId: c.area.id, level: 2, rate: 100, eligible: false },
    { userId: c.superDist.id, level: 3, rate: 50, eligible: true },
  ]);
  expect(await uplinesOf(db.knex, c.area.id)).toEqual([
    { userId: c.superDist.id, level: 1, rate: 50, eligible: true },
    { userId: c.grand.id, level: 2, rate: 200, eligible: true },
  ]);
  expect(await uplinesOf(db.knex, c.grand.id)).toEqual([]);
});

it('ends a chain that loops back at its first repeat (the admin API refuses cycles; bad data never loops)', async () => {
  const a = await createUser(db.knex, { role: 'distributor', commissionRate: '0.0100' });
  const b = await createUser(db.knex, { role: 'distributor', commissionRate: '0.0200', parentId: a.id });
  await db.knex('users').where({ id: a.id }).update({ parent_distributor_id: b.id });
  const retailer = await createUser(db.knex, { role: 'retailer', parentId: b.id });
  expect((await uplinesOf(db.knex, retailer.id)).map((u) => [u.userId, u.level])).toEqual([
    [b.id, 1],
    [a.id, 2],
  ]);
  expect((await uplinesOf(db.knex, a.id)).map((u) => u.userId)).toEqual([b.id]);
});

it('lists a reversed payment whose claw-back fell short, for reconciliation', async () => {
  const c = await chain();
  const r = await settledRecharge(c.retailer.id, '200.00');
  await pay(c, r);
  await ledger.post({
    reference: `test:spend:${r.paymentId}`,
    ledgerType: 'Transfer',
    lines: [
      { account: { user: c.local.id }, debit: rs('3.00') },
      { account: { system: 'PLATFORM_EQUITY' }, credit: rs('3.00') },
    ],
  });
  await db.knex('payment_records').where({ id: r.paymentId }).update({ status: 'REVERSED' });
  await ledger.refund({
    reference: `recharge:${r.paymentId}:reversal`,
    originalReference: `recharge:${r.paymentId}:capture`,
  });
  await clawBackCommissions(db.knex, ledger, r.paymentId);
  const outstanding = (await outstandingClawbacks(db.knex)).filter((o) => o.paymentId === r.paymentId);
  expect(outstanding).toEqual([{ paymentId: r.paymentId, level: 1, earnerId: c.local.id, amount: 300 }]);
});
