import { activeSessionUser, revokeSession, rotateRefreshToken, startSession } from '../../db/sessions';
import { createKnex } from '../../db/knex';
import { createUser } from '../support/ledger';
import { createTestDatabase, TestDatabase } from '../support/db';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

/** Index and row reads the statements in `f` cost on one connection (a pool of one). */
async function rowReads(url: string, f: (knex: ReturnType<typeof createKnex>) => Promise<void>): Promise<number> {
  const one = createKnex({ url, poolMax: 1 });
  try {
    const reads = async () => {
      const [rows] = (await one.raw(
        "SHOW SESSION STATUS WHERE Variable_name IN ('Handler_read_key', 'Handler_read_next')",
      )) as unknown as [Array<{ Value: string }>];
      return rows.reduce((n, r) => n + Number(r.Value), 0);
    };
    await reads();
    const baseline = (await reads()) - (await reads()); // what SHOW itself costs, negated
    const before = await reads();
    await f(one);
    return (await reads()) - before + baseline;
  } finally {
    await one.destroy();
  }
}

describe('the session check every authenticated request makes', () => {
  it('costs the same for a session refreshed a thousand times as for a new one', async () => {
    const user = await createUser(db.knex);
    const fresh = await startSession(db.knex, { userId: user.id, tokenHash: 'f'.repeat(64), ttlDays: 30 });
    const old = await startSession(db.knex, { userId: user.id, tokenHash: '0'.padStart(64, '0'), ttlDays: 30 });
    // A month of refreshes every 15 minutes would be 2,880; a thousand shows the trend.
    for (let i = 0; i < 1000; i++) {
      const rotated = await rotateRefreshToken(db.knex, {
        oldHash: String(i).padStart(64, '0'),
        newHash: String(i + 1).padStart(64, '0'),
        ttlDays: 30,
      });
      expect(rotated.ok).toBe(true);
    }
    const check = (familyId: string) => async (k: ReturnType<typeof createKnex>) => {
      expect((await activeSessionUser(k, user.id, familyId))?.id).toBe(user.id);
    };
    const freshReads = await rowReads(db.url, check(fresh.familyId));
    const oldReads = await rowReads(db.url, check(old.familyId));
    expect(freshReads).toBeLessThanOrEqual(4);
    expect(oldReads).toBe(freshReads);
  });

  it('refuses a revoked or expired session, and another user’s', async () => {
    const user = await createUser(db.knex);
    const other = await createUser(db.knex);
    const s = await startSession(db.knex, { userId: user.id, tokenHash: 'a'.repeat(64), ttlDays: 30 });
    expect(await activeSessionUser(db.knex, other.id, s.familyId)).toBeNull();
    await revokeSession(db.knex, s.familyId, 'logout');
    expect(await activeSessionUser(db.knex, user.id, s.familyId)).toBeNull();
    const e = await startSession(db.knex, { userId: user.id, tokenHash: 'b'.repeat(64), ttlDays: 30 });
    await db
      .knex('refresh_tokens')
      .where({ family_id: e.familyId })
      .update({ expires_at: new Date(Date.now() - 1000) });
    expect(await activeSessionUser(db.knex, user.id, e.familyId)).toBeNull();
  });
});
