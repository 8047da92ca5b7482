/** Idempotency keys: the claim that fixes a payment id, the stored response, reuse and expiry. */
import { claimIdempotencyKey, storeIdempotentResponse } from '../../db/idempotency';
import { createUser } from '../support/ledger';
import { createTestDatabase, TestDatabase } from '../support/db';

let db: TestDatabase;
let userId: number;

beforeAll(async () => {
  db = await createTestDatabase();
  userId = (await createUser(db.knex)).id;
});
afterAll(() => db.drop());

const claim = (key: string, fingerprint: string, resourceId: string, now?: Date) =>
  claimIdempotencyKey(db.knex, { userId, key, fingerprint, resourceId, ...(now ? { now } : {}) });

it('fixes the payment id at the first claim; a repeat gets it, then the stored response', async () => {
  expect(await claim('k1', 'f1', 'pay_first')).toEqual({ fresh: true, resourceId: 'pay_first' });
  expect(await claim('k1', 'f1', 'pay_second')).toEqual({ fresh: false, resourceId: 'pay_first', response: null });

  await storeIdempotentResponse(db.knex, { userId, key: 'k1', status: 201, body: { paymentId: 'pay_first' } });
  // Stored once: a later store (a twin that finished second) does not overwrite it.
  await storeIdempotentResponse(db.knex, { userId, key: 'k1', status: 500, body: { other: true } });
  expect(await claim('k1', 'f1', 'pay_third')).toEqual({
    fresh: false,
    resourceId: 'pay_first',
    response: { status: 201, body: { paymentId: 'pay_first' } },
  });
});

it('refuses the same key with another request', async () => {
  await claim('k2', 'f1', 'pay_a');
  await expect(claim('k2', 'f2', 'pay_b')).rejects.toMatchObject({ code: 'idempotency_key_reused' });
});

it('lets an expired key start over with a new payment id', async () => {
  const past = new Date(Date.now() - 25 * 3_600_000);
  await claim('k3', 'f1', 'pay_old', past);
  await storeIdempotentResponse(db.knex, { userId, key: 'k3', status: 201, body: { paymentId: 'pay_old' } });
  expect(await claim('k3', 'f2', 'pay_new')).toEqual({ fresh: true, resourceId: 'pay_new' });
  const rows = await db.knex('idempotency_keys').where({ user_id: userId, idempotency_key: 'k3' });
  expect(rows.map((r) => r.resource_id)).toEqual(['pay_new']);
});

it('keeps keys per user: the same key of another user is a claim of its own', async () => {
  const other = (await createUser(db.knex)).id;
  await claim('k4', 'f1', 'pay_mine');
  expect(
    await claimIdempotencyKey(db.knex, { userId: other, key: 'k4', fingerprint: 'f9', resourceId: 'pay_theirs' }),
  ).toEqual({ fresh: true, resourceId: 'pay_theirs' });
});
