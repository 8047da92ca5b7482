/**
 * The ledger under contention, against real MariaDB with a real connection pool: row locks,
 * lock ordering, the unique-reference arbiter and the bounded deadlock retry.
 */
import { createLedger, Ledger } from '../../db/ledger';
import { lockConflictRetries } from '../../db/sql';
import { HoldAlreadyResolvedError, InsufficientFundsError } from '../../domain/errors';
import { createTestDatabase, TestDatabase } from '../support/db';
import { createUser, expectLedgerInvariants, rs, walletOf } from '../support/ledger';

let db: TestDatabase;
let ledger: Ledger;

beforeAll(async () => {
  db = await createTestDatabase({ poolMax: 40 });
  ledger = createLedger(db.knex);
});
afterAll(() => db.drop());
let retriesBefore = 0;
beforeEach(() => {
  retriesBefore = lockConflictRetries();
});
afterEach(async () => {
  await expectLedgerInvariants(db.knex);
  // Lock ordering, not the retry loop, is what keeps these from deadlocking.
  expect(lockConflictRetries() - retriesBefore).toBe(0);
});

it('100 parallel ₹10 debits from a ₹500 wallet: exactly 50 succeed, the rest are insufficient_funds', async () => {
  const u = await createUser(db.knex, { balance: '500.00' });
  const results = await Promise.allSettled(
    Array.from({ length: 100 }, (_, i) =>
      ledger.post({
        reference: `debit:${i}`,
        ledgerType: 'Recharge',
        lines: [
          { account: { user: u.id }, debit: rs('10.00') },
          { account: { system: 'RECHARGE_PAYABLE' }, credit: rs('10.00') },
        ],
      }),
    ),
  );
  const ok = results.filter((r) => r.status === 'fulfilled');
  const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  expect(ok).toHaveLength(50);
  expect(refused).toHaveLength(50);
  for (const r of refused) expect(r.reason).toBeInstanceOf(InsufficientFundsError);
  expect(await walletOf(db.knex, u.id)).toEqual({ balance: '0.00', held: '0.00' });
  // Never negative at any point: every entry's running balance stayed at or above zero.
  const [[{ lowest }]] = await db.knex.raw(
    'SELECT MIN(balance_after) AS lowest FROM ledger_entries WHERE user_id = ?',
    [u.id],
  );
  expect(lowest).toBe('0.00');
});

it('200 concurrent transfers A→B and B→A all complete and conserve the total', async () => {
  const a = await createUser(db.knex, { balance: '1000.00' });
  const b = await createUser(db.knex, { balance: '1000.00' });
  const results = await Promise.allSettled(
    Array.from({ length: 200 }, (_, i) => {
      const [from, to] = i % 2 === 0 ? [a.id, b.id] : [b.id, a.id];
      const amount = rs(`${(i % 7) + 1}.00`);
      return ledger.post({
        reference: `xfer:${i}`,
        ledgerType: 'Transfer',
        lines: [
          { account: { user: from }, debit: amount },
          { account: { user: to }, credit: amount },
        ],
      });
    }),
  );
  const failures = results.filter((r) => r.status === 'rejected');
  expect(failures).toEqual([]);
  const [wa, wb] = [await walletOf(db.knex, a.id), await walletOf(db.knex, b.id)];
  expect(rs(wa.balance) + rs(wb.balance)).toBe(rs('2000.00'));
});

it('the same posting reference submitted 20 times concurrently posts once', async () => {
  const a = await createUser(db.knex, { balance: '100.00' });
  const b = await createUser(db.knex);
  const results = await Promise.all(
    Array.from({ length: 20 }, () =>
      ledger.post({
        reference: 'same-ref',
        ledgerType: 'Transfer',
        lines: [
          { account: { user: a.id }, debit: rs('7.00') },
          { account: { user: b.id }, credit: rs('7.00') },
        ],
      }),
    ),
  );
  expect(new Set(results.map((r) => r.journalId)).size).toBe(1);
  expect(results.filter((r) => !r.replayed)).toHaveLength(1);
  expect(await db.knex('ledger_journals').where({ reference: 'same-ref' })).toHaveLength(1);
  expect((await walletOf(db.knex, a.id)).balance).toBe('93.00');
});

it('a capture and a release racing on one hold: exactly one wins, the other gets a clear error', async () => {
  const u = await createUser(db.knex, { balance: '1000.00' });
  for (let round = 0; round < 15; round++) {
    await ledger.reserve({ reference: `race:${round}`, userId: u.id, amount: rs('10.00') });
    const [cap, rel] = await Promise.allSettled([
      ledger.capture({
        holdReference: `race:${round}`,
        reference: `race:${round}:capture`,
        to: { system: 'BBPS_PAYABLE' },
        ledgerType: 'Bill',
      }),
      ledger.release(`race:${round}`, 'provider failed'),
    ]);
    const winners = [cap, rel].filter((r) => r.status === 'fulfilled');
    expect(winners).toHaveLength(1);
    const loser = [cap, rel].find((r): r is PromiseRejectedResult => r.status === 'rejected')!;
    expect(loser.reason).toBeInstanceOf(HoldAlreadyResolvedError);
    expect(loser.reason.message).toMatch(/already (captured|released)/);
  }
  expect((await walletOf(db.knex, u.id)).held).toBe('0.00');
});

it('100 concurrent reserves on one wallet: exactly what fits is held, with no lock conflicts', async () => {
  const u = await createUser(db.knex, { balance: '300.00' });
  const results = await Promise.allSettled(
    Array.from({ length: 100 }, (_, i) =>
      ledger.reserve({ reference: `many-holds:${i}`, userId: u.id, amount: rs('5.00') }),
    ),
  );
  expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(60);
  expect(await walletOf(db.knex, u.id)).toEqual({ balance: '300.00', held: '300.00' });
  await Promise.all(
    Array.from({ length: 100 }, (_, i) => ledger.release(`many-holds:${i}`, 'cleanup').catch(() => undefined)),
  );
  expect((await walletOf(db.knex, u.id)).held).toBe('0.00');
});

it('concurrent partial refunds of one posting never exceed it', async () => {
  const u = await createUser(db.knex, { balance: '100.00' });
  await ledger.post({
    reference: 'refund-race:orig',
    ledgerType: 'Recharge',
    lines: [
      { account: { user: u.id }, debit: rs('50.00') },
      { account: { system: 'RECHARGE_PAYABLE' }, credit: rs('50.00') },
    ],
  });
  const results = await Promise.allSettled(
    Array.from({ length: 20 }, (_, i) =>
      ledger.refund({ reference: `refund-race:${i}`, originalReference: 'refund-race:orig', amount: rs('7.00') }),
    ),
  );
  expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(7); // 7 × ₹7 = ₹49 ≤ ₹50
  expect((await walletOf(db.knex, u.id)).balance).toBe('99.00');
});
