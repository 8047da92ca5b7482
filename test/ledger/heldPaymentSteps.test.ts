/**
 * The merged steps of a held payment (`held-steps-merged`) on real MariaDB, run as a crashed
 * worker would re-run them: opening twice records and holds once; settling twice captures, pays
 * commissions and records COMPLETED once; a refused hold leaves the record CREATED and nothing
 * held; a re-run that finds the payment already FAILED holds nothing, however the funds stand
 * now. The workflows' own suites drive the same steps end to end.
 */
import { holdReferenceOf } from '../../domain/references';
import { paise } from '../../domain/money';
import { rowCount } from '../support/db';
import { transferStep, useStepDatabase } from '../support/dbActivities';
import { createUser, walletOf } from '../support/ledger';

const steps = useStepDatabase();

let n = 0;
async function retailerUnderDistributor(balance: string) {
  const distributor = await createUser(steps.knex, { role: 'distributor', commissionRate: '0.0100' });
  const retailer = await createUser(steps.knex, { role: 'retailer', balance, parentId: distributor.id });
  return { distributor, retailer, paymentId: `pay_STEPS${Date.now()}${++n}` };
}

const count = (table: string, where: Record<string, unknown>) => rowCount(steps.knex, table, where);

it('opening twice records the payment once and holds its amount once', async () => {
  const { retailer, paymentId } = await retailerUnderDistributor('100.00');
  const open = { kind: 'recharge' as const, paymentId, userId: retailer.id, amount: paise(2_500), details: {} };
  await steps.acts.openHeldPayment(open);
  await steps.acts.openHeldPayment(open);
  expect(await count('payment_records', { id: paymentId })).toBe(1);
  expect(await count('payment_events', { payment_id: paymentId })).toBe(1);
  expect(await count('holds', { reference: holdReferenceOf('recharge', paymentId) })).toBe(1);
  expect(await walletOf(steps.knex, retailer.id)).toEqual({ balance: '100.00', held: '25.00' });
});

it('a retry after a crash between the record and its first timeline entry writes the entry once', async () => {
  const { retailer, paymentId } = await retailerUnderDistributor('100.00');
  const open = { kind: 'recharge' as const, paymentId, userId: retailer.id, amount: paise(2_500), details: {} };
  await steps.acts.openHeldPayment(open);
  // As if the worker died after inserting the record, before its CREATED event.
  await steps.knex('payment_events').where({ payment_id: paymentId }).delete();
  await steps.acts.openHeldPayment(open);
  await steps.acts.openHeldPayment(open);
  expect(await steps.knex('payment_events').where({ payment_id: paymentId }).select('status')).toEqual([
    { status: 'CREATED' },
  ]);
  expect(await count('holds', { reference: holdReferenceOf('recharge', paymentId) })).toBe(1);
});

it('a refused hold fails with its rule and leaves the record CREATED, nothing held', async () => {
  const { retailer, paymentId } = await retailerUnderDistributor('10.00');
  const err = await steps.acts
    .openHeldPayment({ kind: 'recharge', paymentId, userId: retailer.id, amount: paise(2_500), details: {} })
    .catch((e: unknown) => e);
  expect(err).toMatchObject({ type: 'insufficient_funds', nonRetryable: true });
  expect(await steps.knex('payment_records').where({ id: paymentId }).first('status')).toEqual({ status: 'CREATED' });
  expect(await walletOf(steps.knex, retailer.id)).toEqual({ balance: '10.00', held: '0.00' });
});

it('opening with PROCESSING twice records, holds and moves to PROCESSING once', async () => {
  const { retailer, paymentId } = await retailerUnderDistributor('25.00');
  const open = {
    kind: 'recharge' as const,
    paymentId,
    userId: retailer.id,
    amount: paise(2_500),
    details: {},
    processing: { paymentId, status: 'PROCESSING' as const, note: '₹25.00 held; sending to the recharge operator' },
  };
  await steps.acts.openHeldPayment(open);
  // The whole balance is held: a re-run that checked the funds again would be refused.
  await steps.acts.openHeldPayment(open);
  expect(await steps.knex('payment_records').where({ id: paymentId }).first('status')).toEqual({
    status: 'PROCESSING',
  });
  expect(await steps.knex('payment_events').where({ payment_id: paymentId }).orderBy('id').select('status')).toEqual([
    { status: 'CREATED' },
    { status: 'PROCESSING' },
  ]);
  expect(await count('holds', { reference: holdReferenceOf('recharge', paymentId) })).toBe(1);
  expect(await walletOf(steps.knex, retailer.id)).toEqual({ balance: '25.00', held: '25.00' });
});

it('a refused hold records no PROCESSING: the record stays CREATED, nothing held', async () => {
  const { retailer, paymentId } = await retailerUnderDistributor('10.00');
  const err = await steps.acts
    .openHeldPayment({
      kind: 'recharge',
      paymentId,
      userId: retailer.id,
      amount: paise(2_500),
      details: {},
      processing: { paymentId, status: 'PROCESSING', note: 'held' },
    })
    .catch((e: unknown) => e);
  expect(err).toMatchObject({ type: 'insufficient_funds', nonRetryable: true });
  expect(await steps.knex('payment_records').where({ id: paymentId }).first('status')).toEqual({ status: 'CREATED' });
  expect(await steps.knex('payment_events').where({ payment_id: paymentId }).select('status')).toEqual([
    { status: 'CREATED' },
  ]);
  expect(await walletOf(steps.knex, retailer.id)).toEqual({ balance: '10.00', held: '0.00' });
});

/** The first run of a refused payment: the hold refused, then FAILED recorded by the workflow, whose worker then died. */
async function refusedThenFailed(
  retailer: { id: number; userCode: string },
  paymentId: string,
  open: () => Promise<void>,
) {
  await expect(open()).rejects.toMatchObject({ type: 'insufficient_funds' });
  await steps.acts.recordPaymentStatus({
    paymentId,
    status: 'FAILED',
    note: 'refused',
    failureReason: 'insufficient available balance',
  });
  // Money arrives before the new worker re-runs the step.
  await steps.acts.completeTransfer(
    transferStep(await createUser(steps.knex, { balance: '90.00' }), retailer, paise(9_000)),
  );
}

it('a re-run that finds the payment already FAILED holds nothing and is refused with the reason recorded, though the funds are there now', async () => {
  const { retailer, paymentId } = await retailerUnderDistributor('10.00');
  const open = {
    kind: 'recharge' as const,
    paymentId,
    userId: retailer.id,
    amount: paise(2_500),
    details: {},
    processing: { paymentId, status: 'PROCESSING' as const, note: 'held' },
  };
  await refusedThenFailed(retailer, paymentId, () => steps.acts.openHeldPayment(open));
  const err = await steps.acts.openHeldPayment(open).catch((e: unknown) => e);
  expect(err).toMatchObject({ type: 'payment_failed', nonRetryable: true, message: 'insufficient available balance' });
  expect(await count('holds', { reference: holdReferenceOf('recharge', paymentId) })).toBe(0);
  expect(await steps.knex('payment_events').where({ payment_id: paymentId }).orderBy('id').pluck('status')).toEqual([
    'CREATED',
    'FAILED',
  ]);
  expect(await walletOf(steps.knex, retailer.id)).toEqual({ balance: '100.00', held: '0.00' });
});

it('the separate hold step (before held-steps-merged) refuses the same re-run', async () => {
  const { retailer, paymentId } = await retailerUnderDistributor('10.00');
  const hold = { kind: 'payout' as const, paymentId, userId: retailer.id, amount: paise(2_500) };
  await steps.acts.startHeldPayment({ ...hold, details: {} });
  await refusedThenFailed(retailer, paymentId, () => steps.acts.holdPaymentFunds(hold));
  await steps.acts.startHeldPayment({ ...hold, details: {} });
  const err = await steps.acts.holdPaymentFunds(hold).catch((e: unknown) => e);
  expect(err).toMatchObject({ type: 'payment_failed', nonRetryable: true, message: 'insufficient available balance' });
  expect(await count('holds', { reference: holdReferenceOf('payout', paymentId) })).toBe(0);
  expect(await walletOf(steps.knex, retailer.id)).toEqual({ balance: '100.00', held: '0.00' });
});

it("an order is never sent for a payment recorded FAILED (an operator's reset past its opening)", async () => {
  const { retailer, paymentId } = await retailerUnderDistributor('10.00');
  const hold = { kind: 'payout' as const, paymentId, userId: retailer.id, amount: paise(2_500) };
  await refusedThenFailed(retailer, paymentId, () => steps.acts.openHeldPayment({ ...hold, details: {} }));
  // Refused before the provider is asked: these step tests have no provider to reach.
  const err = await steps.acts.sendToProvider({ ...hold, beneficiaryId: 1, mode: 'IMPS' }).catch((e: unknown) => e);
  expect(err).toMatchObject({ type: 'payment_failed', nonRetryable: true, message: 'insufficient available balance' });
});

it('a failure to record PROCESSING after the hold is retryable, never read as a refused hold', async () => {
  const { retailer, paymentId } = await retailerUnderDistributor('100.00');
  const open = { kind: 'recharge' as const, paymentId, userId: retailer.id, amount: paise(2_500), details: {} };
  await steps.acts.openHeldPayment(open);
  // A record the status step must refuse to move to PROCESSING (a broken assumption, not a rule).
  await steps.knex('payment_records').where({ id: paymentId }).update({ status: 'COMPLETED' });
  const err = await steps.acts
    .openHeldPayment({ ...open, processing: { paymentId, status: 'PROCESSING', note: 'held' } })
    .catch((e: unknown) => e);
  expect(err).toMatchObject({ type: 'unavailable', nonRetryable: false });
  expect((err as Error).message).toMatch(/the amount is held, recording PROCESSING failed/);
  expect(await walletOf(steps.knex, retailer.id)).toEqual({ balance: '100.00', held: '25.00' });
  await steps.knex('payment_records').where({ id: paymentId }).update({ status: 'CREATED', settled_at: null });
});

it('opening with PROCESSING commits the hold, the record and PROCESSING in one transaction', async () => {
  const { retailer, paymentId } = await retailerUnderDistributor('100.00');
  const processing = { paymentId, status: 'PROCESSING' as const, note: 'held' };
  const open = { kind: 'recharge' as const, paymentId, userId: retailer.id, amount: paise(2_500), details: {} };
  // A record no opening may move to PROCESSING, and no hold: the status step fails inside the
  // transaction, and the hold placed before it in the same transaction is rolled back.
  await steps.acts.startHeldPayment(open);
  await steps.knex('payment_records').where({ id: paymentId }).update({ status: 'COMPLETED' });
  const err = await steps.acts.openHeldPayment({ ...open, processing }).catch((e: unknown) => e);
  expect(err).toMatchObject({ type: 'unavailable', nonRetryable: false });
  expect((err as Error).message).toMatch(/recording PROCESSING failed/);
  expect(await count('holds', { reference: holdReferenceOf('recharge', paymentId) })).toBe(0);
  expect(await walletOf(steps.knex, retailer.id)).toEqual({ balance: '100.00', held: '0.00' });
  // Retried once the record can move (here, put back): hold and PROCESSING together, the timeline once.
  await steps.knex('payment_records').where({ id: paymentId }).update({ status: 'CREATED', settled_at: null });
  await steps.acts.openHeldPayment({ ...open, processing });
  expect(await steps.knex('payment_records').where({ id: paymentId }).first('status')).toEqual({
    status: 'PROCESSING',
  });
  expect(await steps.knex('payment_events').where({ payment_id: paymentId }).orderBy('id').pluck('status')).toEqual([
    'CREATED',
    'PROCESSING',
  ]);
  expect(await walletOf(steps.knex, retailer.id)).toEqual({ balance: '100.00', held: '25.00' });
});

it('a payment opened by the separate steps (record and hold, no PROCESSING) is finished by a re-run with PROCESSING', async () => {
  const { retailer, paymentId } = await retailerUnderDistributor('100.00');
  const open = { kind: 'bill' as const, paymentId, userId: retailer.id, amount: paise(2_500), details: {} };
  await steps.acts.openHeldPayment(open);
  await steps.acts.openHeldPayment({ ...open, processing: { paymentId, status: 'PROCESSING', note: 'held' } });
  expect(await steps.knex('payment_records').where({ id: paymentId }).first('status')).toEqual({
    status: 'PROCESSING',
  });
  expect(await count('holds', { reference: holdReferenceOf('bill', paymentId) })).toBe(1);
  expect(await walletOf(steps.knex, retailer.id)).toEqual({ balance: '100.00', held: '25.00' });
});

it('settling twice captures, pays the commissions and records COMPLETED once', async () => {
  const { distributor, retailer, paymentId } = await retailerUnderDistributor('100.00');
  await steps.acts.openHeldPayment({
    kind: 'recharge',
    paymentId,
    userId: retailer.id,
    amount: paise(2_500),
    details: {},
  });
  await steps.acts.recordPaymentStatus({ paymentId, status: 'PROCESSING' });
  const settle = {
    kind: 'recharge' as const,
    paymentId,
    outcome: { outcome: 'succeeded' as const, providerState: 'SUCCESS', providerRef: 'OP-1' },
    commissions: { userId: retailer.id, amount: paise(2_500), marginRate: 300 },
    completed: { paymentId, status: 'COMPLETED' as const, note: 'the operator confirmed', reversalWatchMs: 60_000 },
  };
  await steps.acts.settleHeldPayment(settle);
  const once = {
    journals: await count('ledger_journals', {}),
    distributor: await walletOf(steps.knex, distributor.id),
    events: await count('payment_events', { payment_id: paymentId, status: 'COMPLETED' }),
  };
  await steps.acts.settleHeldPayment(settle);
  expect({
    journals: await count('ledger_journals', {}),
    distributor: await walletOf(steps.knex, distributor.id),
    events: await count('payment_events', { payment_id: paymentId, status: 'COMPLETED' }),
  }).toEqual(once);
  expect(once.events).toBe(1);
  expect(once.distributor.balance).toBe('0.25'); // 1% of ₹25
  expect(await walletOf(steps.knex, retailer.id)).toEqual({ balance: '75.00', held: '0.00' });
  const record = await steps.knex('payment_records').where({ id: paymentId }).first();
  expect(record).toMatchObject({ status: 'COMPLETED' });
  expect(record.transaction_id).not.toBeNull();
  expect(record.reversal_check_at).not.toBeNull();
});
