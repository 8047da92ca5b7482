/**
 * A provider that never answers: after the polling window (48 h, compressed here) the payment
 * parks in NEEDS_ATTENTION with the money still held, and is never sent again; when the provider
 * finally decides, ops' recheck settles it from the provider's answer.
 */
import { keepOpenHistory } from '../support/histories';
import { control, payer, prepare } from '../support/heldPayments';
import { expectLedgerInvariants, walletOf } from '../support/ledger';
import { adminToken, PaymentsHarness, startPaymentsHarness, waitForStatus } from '../support/payments';

let h: PaymentsHarness;
beforeAll(async () => {
  // 48 h × 0.00002 ≈ 3.5 s of polling before the payment asks for an operator.
  h = await startPaymentsHarness({ pollingScale: '0.00002', reversalWatchSeconds: 1 });
});
afterAll(() => h?.close());
afterEach(() => expectLedgerInvariants(h.db.knex));

it('parks in NEEDS_ATTENTION holding the money after the window; a recheck after BBPS settles completes it once', async () => {
  const admin = await adminToken(h);
  const p = await payer(h);
  const bill = await prepare(h, 'bill', p);
  await control(h, 'bill').scenario({ match: bill.match, outcome: 'pending', webhook: 'drop' });
  const paymentId = (await bill.pay('420.00')).body.paymentId as string;
  const parked = await waitForStatus(h, p.token, paymentId, 'NEEDS_ATTENTION', 30_000);
  expect(parked.timeline.at(-1)!.note).toMatch(/still says PENDING after the polling window; the amount stays held/);
  expect(await walletOf(h.db.knex, p.id)).toEqual({ balance: '10000.00', held: '420.00' });
  await keepOpenHistory(h.client, `bill:${paymentId}`, 'bill-open-parked-after-window');

  await control(h, 'bill').settle(paymentId, 'success');
  // The webhook is dropped by the scenario: only ops' recheck brings the news.
  await new Promise((r) => setTimeout(r, 1500));
  expect((await h.http().get(`/v1/payments/${paymentId}`).set('Authorization', `Bearer ${p.token}`)).body.status).toBe(
    'NEEDS_ATTENTION',
  );
  const recheck = await h
    .http()
    .post(`/v1/admin/payments/${paymentId}/recheck`)
    .set('Authorization', `Bearer ${admin}`)
    .send();
  expect(recheck.status).toBeLessThan(300);
  await waitForStatus(h, p.token, paymentId, 'COMPLETED');
  expect(await walletOf(h.db.knex, p.id)).toEqual({ balance: '9580.00', held: '0.00' });
  expect(await control(h, 'bill').transaction(paymentId)).toMatchObject({ payCount: 1, duplicateRequests: 0 });
});
