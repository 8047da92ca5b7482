import { claimForApproval, propose, releaseClaim } from '../../db/approvals';
import { createPaymentRecord } from '../../db/payments';
import type { Paise } from '../../domain/money';
import { createTestDatabase, TestDatabase } from '../support/db';
import { createUser } from '../support/ledger';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

async function paymentAndAdmins() {
  const owner = await createUser(db.knex);
  const [a, b] = [await createUser(db.knex, { role: 'admin' }), await createUser(db.knex, { role: 'admin' })];
  const id = `pay_${owner.id}_${Date.now()}`;
  await createPaymentRecord(db.knex, {
    id,
    kind: 'topup',
    userId: owner.id,
    amount: 50_000 as Paise,
    workflowId: `topup:${id}`,
  });
  return { id, a: a.id, b: b.id };
}

describe('four-eyes proposals', () => {
  it('one open proposal per payment and action, even when two admins propose at once', async () => {
    const { id, a, b } = await paymentAndAdmins();
    const request = { outcome: 'succeeded', reason: 'confirmed by phone' };
    const [x, y] = await Promise.all([
      propose(db.knex, { action: 'resolve', paymentId: id, request, proposedBy: a }),
      propose(db.knex, { action: 'resolve', paymentId: id, request, proposedBy: b }),
    ]);
    expect(x.approval.id).toBe(y.approval.id);
    expect([x.created, y.created].sort()).toEqual([false, true]);
  });

  it('is carried out by one approver however many approve at once; a failed attempt can be retried', async () => {
    const { id, a, b } = await paymentAndAdmins();
    const { approval } = await propose(db.knex, {
      action: 'refund',
      paymentId: id,
      request: { amount: 600_000, reason: 'asked', refundId: 'rfd_x' },
      proposedBy: a,
    });
    const claims = await Promise.all(Array.from({ length: 5 }, () => claimForApproval(db.knex, approval.id, b)));
    expect(claims.filter(Boolean)).toHaveLength(1);
    await releaseClaim(db.knex, approval.id);
    expect(await claimForApproval(db.knex, approval.id, b)).toBe(true);
    // A claim left by a process that died is taken again, but only once it is old.
    expect(await claimForApproval(db.knex, approval.id, b, new Date(Date.now() + 60_000))).toBe(false);
    expect(await claimForApproval(db.knex, approval.id, b, new Date(Date.now() + 6 * 60_000))).toBe(true);
  });
});
