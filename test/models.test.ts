/** The Objection models map the real schema and their relations load real graphs. */
import { Model } from 'objection';
import { createLedger } from '../db/ledger';
import { LedgerJournal, User } from '../db/models';
import { createTestDatabase, TestDatabase } from './support/db';
import { createUser, expectLedgerInvariants, rs } from './support/ledger';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

it('loads a distributor chain and a journal with its entries and accounts', async () => {
  const top = await createUser(db.knex, { role: 'distributor' });
  const mid = await createUser(db.knex, { role: 'distributor', parentId: top.id });
  const retailer = await createUser(db.knex, { role: 'retailer', parentId: mid.id, balance: '42.00' });
  const bound = { knex: db.knex } as const;
  const r = await User.bindKnex(bound.knex).query().findById(retailer.id).withGraphFetched('parent.parent');
  expect(r?.parent?.id).toBe(mid.id);
  expect(r?.parent?.parent?.id).toBe(top.id);
  const children = await User.bindKnex(db.knex).relatedQuery('children').for(top.id);
  expect(children.map((c) => (c as User).id)).toEqual([mid.id]);

  await createLedger(db.knex).post({
    reference: 'models:test',
    ledgerType: 'Recharge',
    lines: [{ account: { user: retailer.id }, debit: rs('2.00') }, { account: { system: 'RECHARGE_PAYABLE' }, credit: rs('2.00') }],
  });
  const journal = await LedgerJournal.bindKnex(db.knex).query().findOne({ reference: 'models:test' }).withGraphFetched('entries.systemAccount');
  expect(journal?.entries).toHaveLength(2);
  expect(journal?.entries?.find((e) => e.systemAccount)?.systemAccount?.code).toBe('RECHARGE_PAYABLE');
  expect(journal?.entries?.find((e) => e.user_id === retailer.id)?.balance_after).toBe('40.00');
  expect(Model.knex()).toBeUndefined(); // models are bound per use, never to a global connection
  await expectLedgerInvariants(db.knex);
});
