import { updateUserByAdmin } from '../../db/userAdmin';
import { createTestDatabase, TestDatabase } from '../support/db';
import { createUser } from '../support/ledger';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

it('two admins re-parenting two distributors under each other at once: one is refused, no loop', async () => {
  for (let round = 0; round < 5; round++) {
    const a = await createUser(db.knex, { role: 'distributor' });
    const b = await createUser(db.knex, { role: 'distributor' });
    const results = await Promise.allSettled([
      updateUserByAdmin(db.knex, a.id, { parentUserCode: b.userCode }),
      updateUserByAdmin(db.knex, b.id, { parentUserCode: a.userCode }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason.code).toBe('hierarchy_cycle');
    const parents = await db.knex('users').whereIn('id', [a.id, b.id]).pluck('parent_distributor_id');
    expect(parents.filter((p) => p !== null)).toHaveLength(1);
  }
});
