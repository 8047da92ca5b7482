/** `npm run ledger:check` as a user runs it: a real process against a real database. */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { createTestDatabase, TestDatabase } from '../support/db';
import { createUser, expectLedgerInvariants } from '../support/ledger';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

function runCheck() {
  return spawnSync(process.execPath, ['--import', 'tsx', path.join(__dirname, '../../scripts/ledger-check.ts')], {
    env: { ...process.env, NODE_ENV: 'test', DATABASE_URL: db.url },
    encoding: 'utf8',
  });
}

it('prints every invariant as PASS and exits 0 on a healthy ledger', async () => {
  await createUser(db.knex, { balance: '42.00' });
  const r = runCheck();
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  for (const id of ['conservation', 'cached_balances', 'holds', 'single_resolution', 'immutability', 'payments_settled_once']) {
    expect(r.stdout).toMatch(new RegExp(`^PASS  ${id}:`, 'm'));
  }
});

it('prints FAIL with the offending rows and exits 1 when a balance was tampered with', async () => {
  const u = await createUser(db.knex, { balance: '5.00' });
  await db.knex('users').where({ id: u.id }).update({ wallet_balance: '6.00', held_balance: '0.00' });
  const r = runCheck();
  expect(r.status).toBe(1);
  expect(r.stdout).toMatch(/^FAIL  cached_balances:/m);
  expect(r.stdout).toContain(`"user_code":"${u.userCode}"`);
  await db.knex('users').where({ id: u.id }).update({ wallet_balance: '5.00' });
  await expectLedgerInvariants(db.knex);
});

it('flags a completed top-up that was never credited', async () => {
  const u = await createUser(db.knex);
  await db.knex('payment_records').insert({ id: 'pay_01JNOCREDIT0000000000000000', kind: 'topup', user_id: u.id, amount: '10.00', status: 'COMPLETED', workflow_id: 'topup:pay_01JNOCREDIT0000000000000000' });
  const r = runCheck();
  expect(r.status).toBe(1);
  expect(r.stdout).toMatch(/^FAIL  payments_settled_once:/m);
  expect(r.stdout).toContain('"payment_id":"pay_01JNOCREDIT0000000000000000"');
  await db.knex('payment_records').where({ id: 'pay_01JNOCREDIT0000000000000000' }).update({ status: 'FAILED' });
  await expectLedgerInvariants(db.knex);
});
