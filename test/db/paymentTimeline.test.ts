/**
 * The payment timeline's repeat rules (db/payments.ts recordPaymentStatus): a status change
 * repeated by a retry or a replay adds nothing; an operator's action adds an entry unless the
 * timeline already ends with the same status and note (the same action applied twice).
 */
import {
  getPayment,
  insertPaymentRecord,
  insertPaymentRecordMoved,
  paymentTimeline,
  recordPaymentStatus,
} from '../../db/payments';
import { inSqlTransaction } from '../../db/sql';
import { paise } from '../../domain/money';
import { canTransition, PAYMENT_STATUSES } from '../../domain/payments';
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
async function newPayment(): Promise<string> {
  const id = `pay_TIMELINE${Date.now()}${++n}`;
  const p = { id, kind: 'payout' as const, userId, amount: paise(5_000), workflowId: `payout:${id}` };
  await insertPaymentRecord(db.knex, p);
  // A retry of the step after it succeeded: neither a second record nor a second CREATED.
  await insertPaymentRecord(db.knex, p);
  return id;
}

const statuses = async (id: string) => (await paymentTimeline(db.knex, id)).map((e) => [e.status, e.note ?? null]);

test('a status change repeated by a retry adds no entry', async () => {
  const id = await newPayment();
  await recordPaymentStatus(db.knex, { paymentId: id, status: 'PROCESSING', note: 'sent to the bank' });
  await recordPaymentStatus(db.knex, { paymentId: id, status: 'PROCESSING', note: 'sent to the bank' });
  expect(await statuses(id)).toEqual([
    ['CREATED', null],
    ['PROCESSING', 'sent to the bank'],
  ]);
  expect((await getPayment(db.knex, id)).status).toBe('PROCESSING');
});

test("an operator's action is recorded once per distinct note, even without a status change", async () => {
  const id = await newPayment();
  await recordPaymentStatus(db.knex, { paymentId: id, status: 'PROCESSING' });
  await recordPaymentStatus(db.knex, { paymentId: id, status: 'NEEDS_ATTENTION', note: 'bank unreachable' });
  const recheck = { paymentId: id, status: 'NEEDS_ATTENTION' as const, note: 'recheck: still pending', actor: 'ops1' };
  await recordPaymentStatus(db.knex, recheck);
  await recordPaymentStatus(db.knex, recheck);
  await recordPaymentStatus(db.knex, { ...recheck, note: 'recheck: bank answers again' });
  expect(await statuses(id)).toEqual([
    ['CREATED', null],
    ['PROCESSING', null],
    ['NEEDS_ATTENTION', 'bank unreachable'],
    ['NEEDS_ATTENTION', 'recheck: still pending'],
    ['NEEDS_ATTENTION', 'recheck: bank answers again'],
  ]);
});

test('a change the status machine forbids is refused and leaves the timeline alone', async () => {
  const id = await newPayment();
  await recordPaymentStatus(db.knex, { paymentId: id, status: 'PROCESSING' });
  await recordPaymentStatus(db.knex, { paymentId: id, status: 'FAILED', failureReason: 'refused' });
  await expect(recordPaymentStatus(db.knex, { paymentId: id, status: 'COMPLETED' })).rejects.toThrow(
    /cannot go from FAILED to COMPLETED/,
  );
  expect((await statuses(id)).map(([s]) => s)).toEqual(['CREATED', 'PROCESSING', 'FAILED']);
});

test('every move between two statuses is taken or refused as the status machine says, and recorded once', async () => {
  for (const from of PAYMENT_STATUSES) {
    for (const to of PAYMENT_STATUSES) {
      const id = await newPayment();
      await db.knex('payment_records').where({ id }).update({ status: from });
      const before = await statuses(id);
      const change = {
        paymentId: id,
        status: to,
        note: `${from} → ${to}`,
        failureReason: `why ${to}`,
        providerRef: 'ref-1',
      };
      const moved = await recordPaymentStatus(db.knex, change).then(
        () => true,
        (err: Error) => {
          expect(err.message).toMatch(`cannot go from ${from} to ${to}`);
          return false;
        },
      );
      expect([from, to, moved]).toEqual([from, to, canTransition(from, to)]);
      const record = await getPayment(db.knex, id);
      expect(record.status).toBe(moved ? to : from);
      if (moved) expect([record.failureReason, record.providerRef]).toEqual([`why ${to}`, 'ref-1']);
      expect(await statuses(id)).toEqual(moved && from !== to ? [...before, [to, `${from} → ${to}`]] : before);
    }
  }
});

test('FAILED again keeps the reason first recorded', async () => {
  const id = await newPayment();
  await recordPaymentStatus(db.knex, { paymentId: id, status: 'FAILED', failureReason: 'insufficient funds' });
  await recordPaymentStatus(db.knex, { paymentId: id, status: 'FAILED', failureReason: 'refused: insufficient funds' });
  expect((await getPayment(db.knex, id)).failureReason).toBe('insufficient funds');
  expect((await statuses(id)).map(([s]) => s)).toEqual(['CREATED', 'FAILED']);
});

test('a change to a payment that does not exist is refused', async () => {
  await expect(recordPaymentStatus(db.knex, { paymentId: 'pay_NOSUCH', status: 'COMPLETED' })).rejects.toThrow(
    /payment not found/,
  );
});

test("a record's insert writes the start of its timeline, at the record's creation, whoever inserts it", async () => {
  const id = await newPayment();
  const [created] = await paymentTimeline(db.knex, id);
  expect(created).toEqual({ status: 'CREATED', at: (await getPayment(db.knex, id)).createdAt.toISOString() });
  // An insert by hand (an operator's SQL, a restore script) gets it too: the trigger writes it, not our code.
  const byHand = `pay_BYHAND${Date.now()}`;
  await db.knex('payment_records').insert({
    id: byHand,
    kind: 'payout',
    user_id: userId,
    amount: '10.00',
    workflow_id: `payout:${byHand}`,
  });
  expect(await statuses(byHand)).toEqual([['CREATED', null]]);
});

test('a record created already moved reads CREATED then the change; a second time it writes nothing', async () => {
  const id = `pay_TIMELINE${Date.now()}${++n}`;
  const p = { id, kind: 'transfer' as const, userId, amount: paise(5_000), workflowId: `transfer:${id}` };
  const change = { paymentId: id, status: 'COMPLETED' as const, note: 'transferred' };
  expect(await inSqlTransaction(db.knex, (trx) => insertPaymentRecordMoved(trx, p, change))).toBe(true);
  expect(await inSqlTransaction(db.knex, (trx) => insertPaymentRecordMoved(trx, p, change))).toBe(false);
  expect(await statuses(id)).toEqual([
    ['CREATED', null],
    ['COMPLETED', 'transferred'],
  ]);
  // Only a plain change from CREATED: one that needs the stored record is recorded the usual way.
  for (const [record, refused] of [
    [`${id}x`, { ...change, paymentId: `${id}x`, actor: 'ops1' }],
    [`${id}y`, { ...change, paymentId: `${id}y`, providerRefs: { bank: 'UTR1' } }],
    [`${id}z`, { ...change, paymentId: `${id}z`, status: 'CREATED' as const }],
    [`${id}w`, { ...change, paymentId: `${id}v` }],
  ] as const)
    await expect(
      inSqlTransaction(db.knex, (trx) => insertPaymentRecordMoved(trx, { ...p, id: record }, refused)),
    ).rejects.toThrow(/cannot be created moved/);
});
