/**
 * A top-up's credit step on real MariaDB: run twice it credits once, and it never credits a
 * top-up recorded FAILED, as a workflow reset by an operator would run it after PhonePe reported
 * the order paid late (that payment is finance's to settle). The top-up suite
 * (test/workflows/topup.test.ts) drives top-ups end to end.
 */
import { paise } from '../../domain/money';
import { rowCount } from '../support/db';
import { useStepDatabase } from '../support/dbActivities';
import { createUser, walletOf } from '../support/ledger';

const steps = useStepDatabase();

let n = 0;
async function topUp() {
  const user = await createUser(steps.knex);
  const paymentId = `pay_TOPUP${Date.now()}${++n}`;
  await steps.acts.startTopUp({ paymentId, userId: user.id, amount: paise(5_000) });
  return { user, paymentId, credit: { paymentId, userId: user.id, amount: paise(5_000) } };
}
const credits = (paymentId: string) =>
  rowCount(steps.knex, 'ledger_journals', { reference: `topup:${paymentId}:credit` });

it('crediting again, before or after COMPLETED, credits the wallet once', async () => {
  const { user, paymentId, credit } = await topUp();
  const first = await steps.acts.creditTopUp(credit);
  expect(await steps.acts.creditTopUp(credit)).toEqual(first);
  await steps.acts.recordPaymentStatus({ paymentId, status: 'COMPLETED', note: 'paid' });
  // A re-run after COMPLETED replays the posting: the FAILED check does not stand in its way.
  expect(await steps.acts.creditTopUp(credit)).toEqual(first);
  expect(await credits(paymentId)).toBe(1);
  expect(await walletOf(steps.knex, user.id)).toEqual({ balance: '50.00', held: '0.00' });
});

it('a top-up recorded FAILED is never credited (a reset that finds its order paid late)', async () => {
  const { user, paymentId, credit } = await topUp();
  await steps.acts.failTopUp({ paymentId, reason: 'the order expired unpaid' });
  await steps.acts.recordPaymentStatus({
    paymentId,
    status: 'FAILED',
    note: 'expired',
    failureReason: 'the order expired unpaid',
  });
  const err = await steps.acts.creditTopUp(credit).catch((e: unknown) => e);
  expect(err).toMatchObject({ type: 'topup_failed', nonRetryable: true });
  expect((err as Error).message).toMatch(/recorded FAILED \(the order expired unpaid\)/);
  expect(await credits(paymentId)).toBe(0);
  expect(await walletOf(steps.knex, user.id)).toEqual({ balance: '0.00', held: '0.00' });
});

it('attempts of the first step racing past the existence check all succeed, with one set of rows', async () => {
  const user = await createUser(steps.knex);
  const paymentId = `pay_TOPUPRACE${Date.now()}`;
  const start = { paymentId, userId: user.id, amount: paise(5_000) };
  // Started together, each reads "no record" before any commits. The statement line's unique
  // reference keeps the rows single; the losers must not fail (a retry the ops see as an error).
  await Promise.all([1, 2, 3, 4].map(() => steps.acts.startTopUp(start)));
  expect(await rowCount(steps.knex, 'payment_records', { id: paymentId })).toBe(1);
  expect(await rowCount(steps.knex, 'transactions', { reference_number: paymentId })).toBe(1);
  expect(await rowCount(steps.knex, 'payments', { phonepe_merchant_transaction_id: paymentId })).toBe(1);
  const [record] = await steps.knex('payment_records').where({ id: paymentId }).select('transaction_id');
  const [line] = await steps.knex('transactions').where({ reference_number: paymentId }).select('id');
  expect(record.transaction_id).toBe(line.id);
});
