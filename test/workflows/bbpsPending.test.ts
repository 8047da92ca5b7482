/**
 * A BBPS payment left PENDING is never paid twice: not by status checks, not by ops' rechecks,
 * not by a worker restart, not by the client retrying its request. The money stays held until
 * BBPS decides; then it settles once.
 */
import { control, payer, prepare } from '../support/heldPayments';
import { expectLedgerInvariants, walletOf } from '../support/ledger';
import {
  adminToken,
  PaymentsHarness,
  paymentStatus,
  postingsFor,
  startPaymentsHarness,
  waitForStatus,
} from '../support/payments';

let h: PaymentsHarness;
beforeAll(async () => {
  h = await startPaymentsHarness({ reversalWatchSeconds: 1 });
});
afterAll(() => h?.close());
afterEach(() => expectLedgerInvariants(h.db.knex));

it('stays PROCESSING with the amount held across rechecks, a worker restart and a client retry; pays once when BBPS settles', async () => {
  const admin = await adminToken(h);
  const p = await payer(h);
  const bill = await prepare(h, 'bill', p);
  await control(h, 'bill').scenario({ match: bill.match, outcome: 'pending' });
  const key = 'bbps-pending-retry-key';
  const res = await bill.pay('640.00', key);
  expect(res.status).toBe(202);
  const paymentId = res.body.paymentId as string;

  for (let i = 0; i < 3; i++) {
    const r = await h
      .http()
      .post(`/v1/admin/payments/${paymentId}/recheck`)
      .set('Authorization', `Bearer ${admin}`)
      .send();
    expect(r.status).toBeLessThan(300);
    await new Promise((r) => setTimeout(r, 400));
  }
  // The worker goes away and another takes over the task queue.
  await h.restartWorker();
  {
    const again = await bill.pay('640.00', key);
    expect([again.status, again.body.paymentId]).toEqual([202, paymentId]);
    await new Promise((r) => setTimeout(r, 1500));
    const mid = await paymentStatus(h, p.token, paymentId);
    expect(mid.status).toBe('PROCESSING');
    expect(await walletOf(h.db.knex, p.id)).toEqual({ balance: '10000.00', held: '640.00' });

    await control(h, 'bill').settle(paymentId, 'success');
    await waitForStatus(h, p.token, paymentId, 'COMPLETED');
    const txn = (await control(h, 'bill').transaction(paymentId)) as { payCount: number };
    expect(txn.payCount).toBe(1);
    const pays = (await control(h, 'bill').requests()).filter(
      (r) => r.method === 'POST' && r.path.endsWith('/v1/bills/pay') && r.body?.paymentRefId === paymentId,
    );
    expect(pays).toHaveLength(1);
    expect(await postingsFor(h, `bill:${paymentId}:capture`)).toHaveLength(1);
    expect(await walletOf(h.db.knex, p.id)).toEqual({ balance: '9360.00', held: '0.00' });
  }
});
