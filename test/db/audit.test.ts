import { auditedChange } from '../../db/audit';
import { createTestDatabase, TestDatabase } from '../support/db';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

describe('a change and its audit row', () => {
  it('are written together', async () => {
    await auditedChange(
      db.knex,
      (trx) => trx('app_locks').insert({ name: 'audited-together' }),
      () => ({ actorUserId: null, action: 'test.together', outcome: 'success' }),
    );
    expect(await db.knex('app_locks').where({ name: 'audited-together' })).toHaveLength(1);
    expect(await db.knex('audit_logs').where({ action: 'test.together' })).toHaveLength(1);
  });

  it('or not at all: a change whose audit row cannot be written is undone', async () => {
    await expect(
      auditedChange(
        db.knex,
        (trx) => trx('app_locks').insert({ name: 'audit-failed' }),
        // Longer than the column: strict mode refuses the row.
        () => ({ actorUserId: null, action: 'x'.repeat(300), outcome: 'success' }),
      ),
    ).rejects.toThrow();
    expect(await db.knex('app_locks').where({ name: 'audit-failed' })).toHaveLength(0);
  });
});
