/**
 * 100 payments of every kind at once from one wallet that can afford only about two thirds of
 * them: the wallet is never overdrawn, every accepted payment settles, every refused one is a
 * 422 insufficient_funds with nothing held, and the books balance.
 */
import { expectLedgerInvariants, walletOf } from '../support/ledger';
import { control, HeldKind, payer, prepare, PreparedPayment } from '../support/heldPayments';
import { idemKey, PaymentsHarness, startPaymentsHarness, waitForStatus } from '../support/payments';
import { registerUser } from '../support/api';

let h: PaymentsHarness;
beforeAll(async () => {
  // One user making 100 payments at once is past its request budgets (test/api/rateLimits.test.ts);
  // here they are lifted, since what is under test is the ledger under that concurrency.
  h = await startPaymentsHarness({
    reversalWatchSeconds: 1,
    env: { RATE_LIMIT_PAYMENTS_PER_USER_PER_MINUTE: '10000', RATE_LIMIT_BILL_FETCHES_PER_USER_PER_MINUTE: '10000' },
  });
});
afterAll(() => h?.close());

it('never overdraws one wallet under 100 concurrent mixed payments', async () => {
  const p = await payer(h, { balance: '1000.00' });
  const recipient = await registerUser(h.http);
  const prepared = new Map<HeldKind, PreparedPayment>();
  for (const kind of ['recharge', 'payout'] as HeldKind[]) {
    const one = await prepare(h, kind, p);
    await control(h, kind).scenario({ match: one.match, outcome: 'success' });
    prepared.set(kind, one);
  }
  // A fetched bill is paid once, so each bill payment fetches its own.
  const bills = await Promise.all(Array.from({ length: 25 }, () => prepare(h, 'bill', p)));
  for (const b of bills) await control(h, 'bill').scenario({ match: b.match, outcome: 'success' });

  const transfer = () =>
    h
      .http()
      .post('/v1/payments/transfers')
      .set('Authorization', `Bearer ${p.token}`)
      .set('Idempotency-Key', idemKey())
      .send({ amount: '15.00', toUserCode: recipient.user.userCode });
  const requests = [
    ...Array.from({ length: 25 }, () => transfer()),
    ...Array.from({ length: 25 }, () => prepared.get('recharge')!.pay('15.00')),
    ...Array.from({ length: 25 }, () => prepared.get('payout')!.pay('15.00')),
    ...bills.map((b) => b.pay('15.00')),
  ];
  const results = await Promise.all(requests);
  const accepted = results.filter((r) => r.status === 201 || r.status === 202);
  const refused = results.filter((r) => r.status === 422);
  expect(accepted.length + refused.length).toBe(100);
  expect(refused.every((r) => r.body.error.code === 'insufficient_funds')).toBe(true);
  // ₹1000 / ₹15 = 66 payments fit; all of them must have been accepted.
  expect(accepted).toHaveLength(66);

  for (const r of accepted) await waitForStatus(h, p.token, r.body.paymentId, 'COMPLETED', 60_000);
  expect(await walletOf(h.db.knex, p.id)).toEqual({ balance: '10.00', held: '0.00' });
  const lowest = await h.db.knex('ledger_entries').where({ user_id: p.id }).min({ m: 'balance_after' }).first();
  expect(Number(lowest!.m)).toBeGreaterThanOrEqual(0);
  await expectLedgerInvariants(h.db.knex);
}, 180_000);
