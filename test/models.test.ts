/** Objection where it pays off: a user's upline chain and downline load as real graphs. */
import { Model } from 'objection';
import { User } from '../db/models';
import { downlineOf } from '../db/userAdmin';
import { createTestDatabase, TestDatabase } from './support/db';
import { createUser, expectLedgerInvariants } from './support/ledger';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

it('loads a distributor chain up and down', async () => {
  const top = await createUser(db.knex, { role: 'distributor' });
  const mid = await createUser(db.knex, { role: 'distributor', parentId: top.id });
  const retailer = await createUser(db.knex, { role: 'retailer', parentId: mid.id, balance: '42.00' });
  const bound = { knex: db.knex } as const;
  const r = await User.bindKnex(bound.knex).query().findById(retailer.id).withGraphFetched('parent.parent');
  expect(r?.parent?.id).toBe(mid.id);
  expect(r?.parent?.parent?.id).toBe(top.id);
  const children = await User.bindKnex(db.knex).relatedQuery('children').for(top.id);
  expect(children.map((c) => (c as User).id)).toEqual([mid.id]);

  const downline = await downlineOf(db.knex, top.id);
  expect(downline.map((m) => [m.level, m.id, m.parentUserCode])).toEqual([
    [1, mid.id, (await User.bindKnex(db.knex).query().findById(top.id))!.user_code],
    [2, retailer.id, r!.parent!.user_code],
  ]);
  expect(downline[1]!.balance).toBe(4200);
  expect(Model.knex()).toBeUndefined(); // models are bound per use, never to a global connection
  await expectLedgerInvariants(db.knex);
});
