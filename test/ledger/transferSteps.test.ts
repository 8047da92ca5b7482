/**
 * A transfer's one step (`transferWorkflowV2`'s, and `transferWorkflow`'s behind
 * `transfer-in-one-step`: the record inserted COMPLETED with the posting, in one transaction) on
 * real MariaDB, run as a crashed worker would re-run it: completing twice records, posts and
 * records COMPLETED once, even when the first run moved the sender's whole balance; a refused
 * posting leaves the record CREATED (its COMPLETED rolled back) and nothing moved; a re-run that
 * finds the record CREATED completes it; a status the record refuses rolls the posting back, and
 * a re-run that finds the transfer already FAILED is refused with the reason recorded, as is the
 * three-step type's posting step (a reset of its old history). The transfer suite drives the same
 * step end to end through the API, the worker-crash test through a killed worker.
 */
import { lockConflictRetries } from '../../db/sql';
import { paise, Paise } from '../../domain/money';
import { settlementReferenceOf } from '../../domain/references';
import { rowCount } from '../support/db';
import { transferStep, useStepDatabase } from '../support/dbActivities';
import { createUser, walletOf } from '../support/ledger';

const steps = useStepDatabase({ poolMax: 20 });

async function transferOf(senderBalance: string, amount: Paise) {
  const sender = await createUser(steps.knex, { balance: senderBalance });
  const recipient = await createUser(steps.knex);
  const step = transferStep(sender, recipient, amount);
  return { sender, recipient, paymentId: step.paymentId, step };
}

const count = (table: string, where: Record<string, unknown>) => rowCount(steps.knex, table, where);
const journalsOf = (paymentId: string) =>
  count('ledger_journals', { reference: settlementReferenceOf('transfer', paymentId) });
const statusesOf = (paymentId: string) =>
  steps.knex('payment_events').where({ payment_id: paymentId }).orderBy('id').pluck('status');

it('completing twice records the transfer, posts it and records COMPLETED once', async () => {
  const { sender, recipient, paymentId, step } = await transferOf('25.00', paise(2_500));
  await steps.acts.completeTransfer(step);
  // The whole balance moved: a re-run that checked the funds again would be refused.
  await steps.acts.completeTransfer(step);
  expect(await count('payment_records', { id: paymentId })).toBe(1);
  expect(await journalsOf(paymentId)).toBe(1);
  expect(await statusesOf(paymentId)).toEqual(['CREATED', 'COMPLETED']);
  expect(await steps.knex('payment_records').where({ id: paymentId }).first('status')).toEqual({ status: 'COMPLETED' });
  expect(await walletOf(steps.knex, sender.id)).toEqual({ balance: '0.00', held: '0.00' });
  expect(await walletOf(steps.knex, recipient.id)).toEqual({ balance: '25.00', held: '0.00' });
});

it('a transfer is recorded already COMPLETED: its timeline reads CREATED then COMPLETED, the reports count it once', async () => {
  const { sender, paymentId, step } = await transferOf('25.00', paise(2_500));
  await steps.acts.completeTransfer(step);
  expect(await statusesOf(paymentId)).toEqual(['CREATED', 'COMPLETED']);
  const record = await steps.knex('payment_records').where({ id: paymentId }).first('status', 'settled_at');
  expect(record).toMatchObject({ status: 'COMPLETED', settled_at: expect.any(Date) });
  // No CREATED counted and then taken back, as a record moved by an UPDATE leaves.
  const deltas = await steps.knex('report_payment_deltas').where({ user_id: sender.id }).select('status', 'payments');
  expect(deltas).toEqual([{ status: 'COMPLETED', payments: 1 }]);
});

it('a refused posting fails with its rule and leaves the record CREATED, nothing moved', async () => {
  const { sender, recipient, paymentId, step } = await transferOf('10.00', paise(2_500));
  const err = await steps.acts.completeTransfer(step).catch((e: unknown) => e);
  expect(err).toMatchObject({ type: 'insufficient_funds', nonRetryable: true });
  expect(await steps.knex('payment_records').where({ id: paymentId }).first('status')).toEqual({ status: 'CREATED' });
  expect(await statusesOf(paymentId)).toEqual(['CREATED']);
  expect(await walletOf(steps.knex, sender.id)).toEqual({ balance: '10.00', held: '0.00' });
  expect(await walletOf(steps.knex, recipient.id)).toEqual({ balance: '0.00', held: '0.00' });
});

it('a re-run that finds the record CREATED (refused before, FAILED never recorded) completes it once the funds are there', async () => {
  const { sender, recipient, paymentId, step } = await transferOf('10.00', paise(2_500));
  await expect(steps.acts.completeTransfer(step)).rejects.toMatchObject({ type: 'insufficient_funds' });
  const payer = await createUser(steps.knex, { balance: '90.00' });
  await steps.acts.completeTransfer(transferStep(payer, sender, paise(9_000)));
  await steps.acts.completeTransfer(step);
  expect(await journalsOf(paymentId)).toBe(1);
  expect(await statusesOf(paymentId)).toEqual(['CREATED', 'COMPLETED']);
  // The record written alone, then moved: its CREATED counted and taken back.
  const deltas = await steps
    .knex('report_payment_deltas')
    .where({ user_id: sender.id, kind: 'transfer' })
    .orderBy('id')
    .select('status', 'payments');
  expect(deltas.filter((d) => d.status === 'CREATED').map((d) => d.payments)).toEqual([1, -1]);
  expect(await walletOf(steps.knex, sender.id)).toEqual({ balance: '75.00', held: '0.00' });
  expect(await walletOf(steps.knex, recipient.id)).toEqual({ balance: '25.00', held: '0.00' });
});

it('a status the record refuses rolls the posting back with it: nothing moves', async () => {
  const { sender, recipient, paymentId, step } = await transferOf('100.00', paise(2_500));
  await steps.acts.startTransfer(step);
  // A record the status step must refuse to move to COMPLETED (a broken assumption, not a rule).
  await steps.knex('payment_records').where({ id: paymentId }).update({ status: 'REVERSED' });
  const err = await steps.acts.completeTransfer(step).catch((e: unknown) => e);
  expect(err).toMatchObject({ type: 'internal' });
  expect((err as Error).message).toMatch(/cannot go from REVERSED to COMPLETED/);
  expect(await journalsOf(paymentId)).toBe(0);
  expect(await walletOf(steps.knex, sender.id)).toEqual({ balance: '100.00', held: '0.00' });
  expect(await walletOf(steps.knex, recipient.id)).toEqual({ balance: '0.00', held: '0.00' });
});

it('a re-run that finds the transfer already FAILED is refused with the reason recorded, though the funds are there now', async () => {
  const { sender, recipient, paymentId, step } = await transferOf('10.00', paise(2_500));
  // The first run: refused, then FAILED recorded by the workflow, whose worker then died.
  await expect(steps.acts.completeTransfer(step)).rejects.toMatchObject({ type: 'insufficient_funds' });
  await steps.acts.recordPaymentStatus({
    paymentId,
    status: 'FAILED',
    note: 'refused',
    failureReason: 'insufficient available balance',
  });
  // Money arrives before the new worker re-runs the step.
  const payer = await createUser(steps.knex, { balance: '90.00' });
  await steps.acts.completeTransfer(transferStep(payer, sender, paise(9_000)));
  const err = await steps.acts.completeTransfer(step).catch((e: unknown) => e);
  expect(err).toMatchObject({ type: 'transfer_failed', nonRetryable: true, message: 'insufficient available balance' });
  expect(await journalsOf(paymentId)).toBe(0);
  expect(await statusesOf(paymentId)).toEqual(['CREATED', 'FAILED']);
  expect(await walletOf(steps.knex, recipient.id)).toEqual({ balance: '0.00', held: '0.00' });
});

it('the three-step posting never posts a transfer already recorded FAILED (a reset of its old history)', async () => {
  const { sender, recipient, paymentId, step } = await transferOf('10.00', paise(2_500));
  await steps.acts.startTransfer(step);
  await expect(steps.acts.postTransfer(step)).rejects.toMatchObject({ type: 'insufficient_funds' });
  await steps.acts.recordPaymentStatus({ paymentId, status: 'FAILED', note: 'refused', failureReason: 'insufficient' });
  await steps.acts.completeTransfer(
    transferStep(await createUser(steps.knex, { balance: '90.00' }), sender, paise(9_000)),
  );
  await expect(steps.acts.postTransfer(step)).rejects.toMatchObject({
    type: 'transfer_failed',
    message: 'insufficient',
  });
  expect(await journalsOf(paymentId)).toBe(0);
  expect(await walletOf(steps.knex, recipient.id)).toEqual({ balance: '0.00', held: '0.00' });
});

it('a transfer reset from its three-step history, posted but CREATED, is completed by the replay', async () => {
  const { sender, paymentId, step } = await transferOf('100.00', paise(2_500));
  // The three-step path up to its posting: the record, then the posting, COMPLETED never recorded.
  await steps.acts.startTransfer(step);
  await steps.acts.postTransfer(step);
  await steps.acts.completeTransfer(step);
  expect(await journalsOf(paymentId)).toBe(1);
  expect(await statusesOf(paymentId)).toEqual(['CREATED', 'COMPLETED']);
  expect(await walletOf(steps.knex, sender.id)).toEqual({ balance: '75.00', held: '0.00' });
});

it("ten of one sender's transfers at once, and ten between two users both ways: none waits on a deadlock", async () => {
  const sender = await createUser(steps.knex, { balance: '100.00' });
  const others = await Promise.all(Array.from({ length: 10 }, () => createUser(steps.knex, { balance: '10.00' })));
  const before = lockConflictRetries();
  await Promise.all([
    ...others.map((to) => steps.acts.completeTransfer(transferStep(sender, to, paise(500)))),
    ...others.map((from) => steps.acts.completeTransfer(transferStep(from, sender, paise(500)))),
  ]);
  // Lock ordering, not the retry loop, is what keeps these from deadlocking (the record's
  // foreign key to the sender would take its shared lock before the ledger's exclusive one).
  expect(lockConflictRetries() - before).toBe(0);
  expect(await walletOf(steps.knex, sender.id)).toEqual({ balance: '100.00', held: '0.00' });
  for (const o of others) expect(await walletOf(steps.knex, o.id)).toEqual({ balance: '10.00', held: '0.00' });
});
