/**
 * The reversal watch on the read model (db/reversalWatch.ts): when its checks fall due, how a
 * late sweep and an unanswered provider move them, and what counts as "still watched".
 */
import { createPaymentRecord, getPayment, recordPaymentStatus } from '../../db/payments';
import { reversalRetryMs } from '../../activities/reversals';
import {
  bringReversalCheckForward,
  deferReversalCheck,
  isWatchedForReversal,
  recordReversalCheck,
  reversalChecksDue,
} from '../../db/reversalWatch';
import { paise } from '../../domain/money';
import { createTestDatabase, TestDatabase } from '../support/db';
import { createUser } from '../support/ledger';

let db: TestDatabase;
let userId: number;
beforeAll(async () => {
  db = await createTestDatabase();
  userId = (await createUser(db.knex)).id;
});
afterAll(() => db.drop());

let n = 0;
/** A recharge recorded COMPLETED with a watch of `watchMs` (none when absent, as top-ups and older payments). */
async function completed(watchMs?: number): Promise<string> {
  const id = `pay_WATCH${Date.now()}${++n}`;
  await createPaymentRecord(db.knex, {
    id,
    kind: 'recharge',
    userId,
    amount: paise(1_000),
    workflowId: `recharge:${id}`,
  });
  await recordPaymentStatus(db.knex, { paymentId: id, status: 'PROCESSING' });
  await recordPaymentStatus(db.knex, {
    paymentId: id,
    status: 'COMPLETED',
    ...(watchMs !== undefined ? { reversalWatchMs: watchMs } : {}),
  });
  return id;
}

/** The watch in ms from the database's now: [until, next check] (null when over), and checks left. */
async function watchOf(id: string): Promise<{ untilMs: number; checkMs: number | null; left: number }> {
  const [[row]] = await db.knex.raw(
    `SELECT TIMESTAMPDIFF(MICROSECOND, NOW(3), reversal_watch_until) / 1000 AS untilMs,
            TIMESTAMPDIFF(MICROSECOND, NOW(3), reversal_check_at) / 1000 AS checkMs,
            reversal_checks_left AS \`left\`
       FROM payment_records WHERE id = ?`,
    [id],
  );
  return { untilMs: Number(row.untilMs), checkMs: row.checkMs === null ? null : Number(row.checkMs), left: row.left };
}

/** Moves the watch's times `ms` earlier, as if that much time had passed. */
const age = (id: string, ms: number) =>
  db.knex.raw(
    `UPDATE payment_records
        SET reversal_watch_until = reversal_watch_until - INTERVAL ? MICROSECOND,
            reversal_check_at = reversal_check_at - INTERVAL ? MICROSECOND
      WHERE id = ?`,
    [ms * 1000, ms * 1000, id],
  );

const HOUR = 3_600_000;

it("a settling payment's COMPLETED, in one UPDATE: the refs merged into the stored ones, the statement line linked, the watch started", async () => {
  const id = `pay_WATCH${Date.now()}${++n}`;
  await createPaymentRecord(db.knex, { id, kind: 'payout', userId, amount: paise(1_000), workflowId: `payout:${id}` });
  await db
    .knex('payment_records')
    .where({ id })
    .update({ status: 'PROCESSING', provider_refs: JSON.stringify({ provider: 'PO-1', bank: 'HDFC' }) });
  const [line] = (await db
    .knex('transactions')
    .insert({ user_id: userId, transaction_type: 'withdrawal', amount: '10.00', status: 'completed' })) as [number];
  const settled = { paymentId: id, status: 'COMPLETED' as const, note: 'paid', failureReason: null };
  await recordPaymentStatus(db.knex, {
    ...settled,
    providerRefs: { provider: 'PO-1', utr: 'UTR123' },
    reversalWatchMs: 72 * HOUR,
    transactionId: line,
  });
  const rec = await getPayment(db.knex, id);
  expect([rec.status, rec.providerRefs, rec.transactionId]).toEqual([
    'COMPLETED',
    { provider: 'PO-1', bank: 'HDFC', utr: 'UTR123' },
    line,
  ]);
  const w = await watchOf(id);
  expect(w.left).toBe(6);
  expect(w.untilMs).toBeGreaterThan(72 * HOUR - 60_000);
  expect(w.checkMs).toBeGreaterThan(12 * HOUR - 60_000);
  expect(w.checkMs).toBeLessThanOrEqual(12 * HOUR);
  // A repeat (a re-run of the step) reads the record: nothing moves, the watch is not restarted.
  await age(id, HOUR);
  await recordPaymentStatus(db.knex, { ...settled, providerRefs: { utr: 'UTR123' }, reversalWatchMs: 1_000 });
  expect((await watchOf(id)).untilMs).toBeLessThan(71 * HOUR + 60_000);
  expect((await watchOf(id)).untilMs).toBeGreaterThan(71 * HOUR - 60_000);
  expect(await db.knex('payment_events').where({ payment_id: id }).pluck('status')).toEqual(['CREATED', 'COMPLETED']);
});

it('starts with COMPLETED: six checks, the first a sixth of the window away; repeating the record changes nothing', async () => {
  const id = await completed(72 * HOUR);
  const w = await watchOf(id);
  expect(w.left).toBe(6);
  expect(w.untilMs).toBeGreaterThan(72 * HOUR - 60_000);
  expect(w.checkMs).toBeGreaterThan(12 * HOUR - 60_000);
  expect(w.checkMs).toBeLessThanOrEqual(12 * HOUR);
  await recordPaymentStatus(db.knex, { paymentId: id, status: 'COMPLETED', reversalWatchMs: 1_000 });
  expect((await watchOf(id)).untilMs).toBeGreaterThan(72 * HOUR - 60_000);
  expect(await isWatchedForReversal(db.knex, id)).toBe(true);
});

it('spaces the six checks evenly to the window end, then ends the watch', async () => {
  const id = await completed(72 * HOUR);
  const seen: number[] = [];
  for (let check = 1; check <= 6; check++) {
    const w = await watchOf(id);
    expect(w.checkMs).not.toBeNull();
    await age(id, w.checkMs!); // the check falls due now
    expect((await reversalChecksDue(db.knex, 1000)).map((d) => d.paymentId)).toContain(id);
    seen.push(Math.round((await watchOf(id)).untilMs / HOUR) || 0); // `|| 0`: no -0
    await recordReversalCheck(db.knex, id);
  }
  // Hours left in the window at each check: 60, 48, 36, 24, 12, 0.
  expect(seen).toEqual([60, 48, 36, 24, 12, 0]);
  expect(await watchOf(id)).toMatchObject({ checkMs: null, left: 0 });
  expect(await isWatchedForReversal(db.knex, id)).toBe(false);
  expect((await reversalChecksDue(db.knex, 1000)).map((d) => d.paymentId)).not.toContain(id);
});

it('a check that is not due does not move; a late sweep spreads the rest over what remains', async () => {
  const id = await completed(72 * HOUR);
  await recordReversalCheck(db.knex, id); // not due yet: nothing happens
  expect((await watchOf(id)).left).toBe(6);
  await age(id, 60 * HOUR); // the sweep comes 48 h late: 12 h of the window left, 5 checks to go after this one
  await recordReversalCheck(db.knex, id);
  const w = await watchOf(id);
  expect(w.left).toBe(5);
  expect(w.checkMs! / HOUR).toBeCloseTo(12 / 5, 1);
});

it('past the window, one last check ends the watch', async () => {
  const id = await completed(HOUR);
  await age(id, 2 * HOUR);
  await recordReversalCheck(db.knex, id);
  expect((await watchOf(id)).checkMs).toBeNull();
});

it('an unanswered check is deferred without using one up; a reported reversal brings the next check forward', async () => {
  const id = await completed(72 * HOUR);
  await age(id, 12 * HOUR);
  await deferReversalCheck(db.knex, id, 5 * 60_000);
  let w = await watchOf(id);
  expect(w.left).toBe(6);
  expect(w.checkMs! / 60_000).toBeCloseTo(5, 0);
  await recordReversalCheck(db.knex, id); // not due again yet
  expect((await watchOf(id)).left).toBe(6);

  const later = await completed(72 * HOUR);
  await bringReversalCheckForward(db.knex, later, 5 * 60_000);
  w = await watchOf(later);
  expect(w.checkMs! / 60_000).toBeCloseTo(5, 0);
  await bringReversalCheckForward(db.knex, later, 60 * 60_000); // never pushes a check later
  expect((await watchOf(later)).checkMs! / 60_000).toBeCloseTo(5, 0);
});

it('a failed check waits five minutes, or a sixth of a shorter window (a retry never outwaits the regular check)', async () => {
  expect(reversalRetryMs(72 * HOUR)).toBe(5 * 60_000);
  expect(reversalRetryMs(60_000)).toBe(10_000);
  const id = await completed(60_000);
  await deferReversalCheck(db.knex, id, reversalRetryMs(60_000));
  expect((await watchOf(id)).checkMs! / 1000).toBeCloseTo(10, 0);
});

it('REVERSED ends the watch and settles an event left for finance meanwhile', async () => {
  const id = await completed(72 * HOUR);
  const [eventId] = await db.knex('webhook_events').insert({
    provider: 'recharge',
    event_type: 'recharge.status',
    provider_ref: id,
    dedupe_key: `test:${id}`,
    payload: '{}',
    undelivered_reason: 'REVERSED: the provider reversed a completed payment',
  });
  await recordPaymentStatus(db.knex, { paymentId: id, status: 'REVERSED', failureReason: 'reversed' });
  expect((await watchOf(id)).checkMs).toBeNull();
  expect(await isWatchedForReversal(db.knex, id)).toBe(false);
  const event = await db.knex('webhook_events').where({ id: eventId }).first();
  expect(event).toMatchObject({ settled_by: 'reversal-run' });
  expect(event.settled_at).not.toBeNull();
});

it('a payment completed without a watch (top-ups, transfers, payments before the change) is not watched', async () => {
  const id = await completed();
  expect(await isWatchedForReversal(db.knex, id)).toBe(false);
  expect((await reversalChecksDue(db.knex, 1000)).map((d) => d.paymentId)).not.toContain(id);
});
