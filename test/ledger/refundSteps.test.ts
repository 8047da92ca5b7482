/**
 * The opening steps of a top-up's refund on real MariaDB, run again as a worker that died after
 * its workflow recorded a refusal would run them: the hold step refuses the refund again with
 * the reason recorded, whether the record step ran again before it or not, so the workflow holds
 * nothing and asks nothing of PhonePe. The refund suite (test/workflows/refund-and-ops.test.ts)
 * drives the refund end to end.
 */
import { refundHoldRef } from '../../activities/refund';
import { paise } from '../../domain/money';
import { rowCount } from '../support/db';
import { transferStep, useStepDatabase } from '../support/dbActivities';
import { createUser, walletOf } from '../support/ledger';

const steps = useStepDatabase();

let n = 0;
const idOf = (what: string) => `pay_RFND${what}${Date.now()}${++n}`;
/** A user who topped up ₹50 through PhonePe, then spent ₹40 of it. */
async function toppedUpThenSpent() {
  const user = await createUser(steps.knex);
  const topUpId = idOf('T');
  await steps.acts.startTopUp({ paymentId: topUpId, userId: user.id, amount: paise(5_000) });
  await steps.acts.creditTopUp({ paymentId: topUpId, userId: user.id, amount: paise(5_000) });
  await steps.acts.recordPaymentStatus({ paymentId: topUpId, status: 'COMPLETED', note: 'paid' });
  await steps.acts.completeTransfer(transferStep(user, await createUser(steps.knex), paise(4_000)));
  return { user, topUpId };
}

it('a re-run that finds the refund already FAILED holds nothing and is refused with the reason recorded, though the funds are there now', async () => {
  const { user, topUpId } = await toppedUpThenSpent();
  const refundId = idOf('R');
  const start = { refundId, topUpId, amount: paise(2_500), reason: 'asked back', requestedBy: 'ops' };
  const hold = { refundId, userId: user.id, amount: paise(2_500) };
  // The first run: recorded and allowed, the hold refused, then FAILED recorded by the workflow,
  // whose worker then died before its history kept the hold step.
  expect(await steps.acts.startRefund(start)).toEqual({ userId: user.id });
  await expect(steps.acts.holdRefundAmount(hold)).rejects.toMatchObject({ type: 'insufficient_funds' });
  const reason = 'refund refused: insufficient available balance';
  await steps.acts.recordPaymentStatus({ paymentId: refundId, status: 'FAILED', note: reason, failureReason: reason });
  // Money arrives before the new worker re-runs the steps.
  await steps.acts.completeTransfer(
    transferStep(await createUser(steps.knex, { balance: '90.00' }), user, paise(9_000)),
  );

  // The hold step alone (its record step's result kept by the history), then both.
  const refused = { type: 'refund_failed', nonRetryable: true, message: reason };
  await expect(steps.acts.holdRefundAmount(hold)).rejects.toMatchObject(refused);
  expect(await steps.acts.startRefund(start)).toEqual({ userId: user.id });
  await expect(steps.acts.holdRefundAmount(hold)).rejects.toMatchObject(refused);
  // Nor is PhonePe asked, should a reset go past the opening (refused before PhonePe is called:
  // these step tests have no PhonePe to reach).
  await expect(steps.acts.requestPhonePeRefund({ refundId, topUpId, amount: paise(2_500) })).rejects.toMatchObject(
    refused,
  );
  // The workflow records FAILED again, with the refusal it read: the first reason stays.
  const again = `refund refused: ${reason}`;
  await steps.acts.recordPaymentStatus({ paymentId: refundId, status: 'FAILED', note: again, failureReason: again });

  expect(await rowCount(steps.knex, 'holds', { reference: refundHoldRef(refundId) })).toBe(0);
  expect(await steps.knex('payment_records').where({ id: refundId }).first('status', 'failure_reason')).toEqual({
    status: 'FAILED',
    failure_reason: reason,
  });
  expect(await steps.knex('payment_events').where({ payment_id: refundId }).orderBy('id').pluck('status')).toEqual([
    'CREATED',
    'FAILED',
  ]);
  expect(await walletOf(steps.knex, user.id)).toEqual({ balance: '100.00', held: '0.00' });
});

it('a re-run of a refund still open is allowed again, its hold placed once', async () => {
  const { user, topUpId } = await toppedUpThenSpent();
  const refundId = idOf('R');
  const start = { refundId, topUpId, amount: paise(500), reason: 'asked back', requestedBy: 'ops' };
  const hold = { refundId, userId: user.id, amount: paise(500) };
  expect(await steps.acts.startRefund(start)).toEqual({ userId: user.id });
  await steps.acts.holdRefundAmount(hold);
  expect(await steps.acts.startRefund(start)).toEqual({ userId: user.id });
  await steps.acts.holdRefundAmount(hold);
  expect(await rowCount(steps.knex, 'holds', { reference: refundHoldRef(refundId) })).toBe(1);
  expect(await walletOf(steps.knex, user.id)).toEqual({ balance: '10.00', held: '5.00' });
  await steps.acts.releaseRefundHold({ refundId, reason: 'test over' });
  await steps.acts.recordPaymentStatus({
    paymentId: refundId,
    status: 'FAILED',
    note: 'test over',
    failureReason: 'x',
  });
});
