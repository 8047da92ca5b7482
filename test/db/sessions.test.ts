import {
  liveSession,
  revokeSession,
  rotateRefreshToken,
  sessionTriggersWatch,
  sessionUserReader,
  startSession,
} from '../../db/sessions';
import { createKnex } from '../../db/knex';
import { createUser } from '../support/ledger';
import { createTestDatabase, TestDatabase } from '../support/db';

let db: TestDatabase;
const LIFETIMES = { refreshDays: 7, sessionDays: 30 };
const endSessionNow = (id: string) =>
  db
    .knex('sessions')
    .where({ id })
    .update({ expires_at: new Date(Date.now() - 1000) });

const revoke = (userId: number, sessionId: string) =>
  db.knex.transaction((trx) => revokeSession(trx, userId, sessionId, 'logout'));

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
    const fresh = await startSession(db.knex, { userId: user.id, tokenHash: 'f'.repeat(64), ...LIFETIMES });
    const old = await startSession(db.knex, { userId: user.id, tokenHash: '0'.padStart(64, '0'), ...LIFETIMES });
    // A month of refreshes every 15 minutes would be 2,880; a thousand shows the trend.
    for (let i = 0; i < 1000; i++) {
      const rotated = await rotateRefreshToken(db.knex, {
        oldHash: String(i).padStart(64, '0'),
        newHash: String(i + 1).padStart(64, '0'),
        refreshDays: 7,
      });
      expect(rotated.ok).toBe(true);
    }
    const check = (sessionId: string) => async (k: ReturnType<typeof createKnex>) => {
      expect((await sessionUserReader([])(k, user.id))?.id).toBe(user.id);
      expect(await liveSession(k, user.id, sessionId)).not.toBeNull();
    };
    const freshReads = await rowReads(db.url, check(fresh.sessionId));
    const oldReads = await rowReads(db.url, check(old.sessionId));
    expect(freshReads).toBeLessThanOrEqual(4);
    expect(oldReads).toBe(freshReads);
  });

  it('refuses a revoked or ended session, and another user’s', async () => {
    const user = await createUser(db.knex);
    const other = await createUser(db.knex);
    const s = await startSession(db.knex, { userId: user.id, tokenHash: 'a'.repeat(64), ...LIFETIMES });
    expect(await liveSession(db.knex, other.id, s.sessionId)).toBeNull();
    expect(await revoke(other.id, s.sessionId)).toBe(false);
    expect(await liveSession(db.knex, user.id, s.sessionId)).toEqual({ twoFactorAt: null });
    expect(await revoke(user.id, s.sessionId)).toBe(true);
    expect(await liveSession(db.knex, user.id, s.sessionId)).toBeNull();
    expect(await revoke(user.id, s.sessionId)).toBe(false);
    const e = await startSession(db.knex, { userId: user.id, tokenHash: 'b'.repeat(64), ...LIFETIMES });
    await endSessionNow(e.sessionId);
    expect(await liveSession(db.knex, user.id, e.sessionId)).toBeNull();
  });

  it('reads the check’s columns of the user’s row and those its route asked for, nothing else', async () => {
    const user = await createUser(db.knex);
    const check = ['id', 'is_active', 'role', 'session_version', 'user_code'];
    expect(Object.keys((await sessionUserReader([])(db.knex, user.id))!).sort()).toEqual(check);
    // Duplicates and the check's own columns are read once.
    const row = await sessionUserReader(['wallet_balance', 'role', 'wallet_balance', 'created_at'])(db.knex, user.id);
    expect(Object.keys(row!).sort()).toEqual([...check, 'created_at', 'wallet_balance'].sort());
    expect(row!.wallet_balance).toBe('0.00');
    expect(row!.created_at).toBeInstanceOf(Date);
    expect(await sessionUserReader(['wallet_balance'])(db.knex, user.id + 1_000_000)).toBeNull();
    expect(() => sessionUserReader(['id, password' as 'id'])).toThrow('not a column of users');
  });
});

describe('the user’s session version', () => {
  const versionOf = async (userId: number) =>
    (await db.knex('users').where({ id: userId }).first('session_version')).session_version as number;

  it('is 48 random bits for every user, not a counter a forger could guess', async () => {
    const ids = await Promise.all([1, 2, 3, 4].map(async () => (await createUser(db.knex)).id));
    const versions = await Promise.all(ids.map(versionOf));
    expect(new Set(versions).size).toBe(4);
    for (const v of versions) {
      expect(Number.isSafeInteger(v)).toBe(true);
      expect(v).toBeLessThan(2 ** 48);
    }
    expect(Math.max(...versions)).toBeGreaterThan(2 ** 32);
  });

  it('moves with every change of a session’s state, by a trigger, and not when it is only used', async () => {
    const user = await createUser(db.knex);
    const other = await createUser(db.knex);
    const otherVersion = await versionOf(other.id);
    const s = await startSession(db.knex, { userId: user.id, tokenHash: 'g'.repeat(64), ...LIFETIMES });
    const v0 = await versionOf(user.id);
    expect(s.state).toMatchObject({ version: v0, twoFactor: false });
    const sessions = () => db.knex('sessions').where({ id: s.sessionId });
    // Use is not state: a refresh and "last used" leave the version.
    await sessions().update({ last_used_at: new Date(), last_ip: '10.0.0.9' });
    const rotated = await rotateRefreshToken(db.knex, {
      oldHash: 'g'.repeat(64),
      newHash: 'h'.repeat(64),
      refreshDays: 7,
    });
    expect(rotated).toMatchObject({ ok: true, state: { version: v0, twoFactor: false } });
    expect(await versionOf(user.id)).toBe(v0);
    // State is: two-factor, the end moved, a revocation, the row gone. Each by hand, as an
    // operator might; each a new version, never one seen before.
    const seen = new Set([v0]);
    const changed = async () => {
      const v = await versionOf(user.id);
      expect(seen.has(v)).toBe(false);
      seen.add(v);
    };
    await sessions().update({ two_factor_at: new Date() });
    await changed();
    await sessions().update({ expires_at: new Date(Date.now() + 60_000) });
    await changed();
    await sessions().update({ revoked_at: new Date() });
    await changed();
    await db.knex('refresh_tokens').where({ family_id: s.sessionId }).del();
    await sessions().del();
    await changed();
    expect(await versionOf(other.id)).toBe(otherVersion);
  });

  it('a refresh carries the version, the two-factor state and the end its session has under its lock', async () => {
    const user = await createUser(db.knex);
    const s = await startSession(db.knex, {
      userId: user.id,
      tokenHash: 'i'.repeat(64),
      ...LIFETIMES,
      twoFactor: true,
    });
    expect(s.state.twoFactor).toBe(true);
    await startSession(db.knex, { userId: user.id, tokenHash: 'j'.repeat(64), ...LIFETIMES });
    const [other] = await db.knex('sessions').where({ user_id: user.id }).whereNot({ id: s.sessionId });
    await revoke(user.id, other.id);
    const rotated = await rotateRefreshToken(db.knex, {
      oldHash: 'i'.repeat(64),
      newHash: 'k'.repeat(64),
      refreshDays: 7,
    });
    const [row] = await db.knex('sessions').where({ id: s.sessionId });
    expect(rotated).toEqual({
      ok: true,
      userId: user.id,
      sessionId: s.sessionId,
      state: { version: await versionOf(user.id), twoFactor: true, endsAt: row.expires_at },
    });
    expect(s.state.version).not.toBe(await versionOf(user.id));
  });
});

describe('a session’s lifetime', () => {
  it('refresh tokens never outlive the session, and refreshing stops when it ends', async () => {
    const user = await createUser(db.knex);
    const s = await startSession(db.knex, {
      userId: user.id,
      tokenHash: 'c'.repeat(64),
      refreshDays: 7,
      sessionDays: 1,
    });
    const [session] = await db.knex('sessions').where({ id: s.sessionId });
    const tokenEnds = async (hash: string) =>
      (await db.knex('refresh_tokens').where({ token_hash: hash }).first()).expires_at.getTime();
    expect(await tokenEnds('c'.repeat(64))).toBe(session.expires_at.getTime());
    const rotated = await rotateRefreshToken(db.knex, {
      oldHash: 'c'.repeat(64),
      newHash: 'd'.repeat(64),
      refreshDays: 7,
    });
    expect(rotated).toMatchObject({ ok: true, userId: user.id, sessionId: s.sessionId });
    expect(await tokenEnds('d'.repeat(64))).toBe(session.expires_at.getTime());

    await endSessionNow(s.sessionId);
    const late = await rotateRefreshToken(db.knex, {
      oldHash: 'd'.repeat(64),
      newHash: 'e'.repeat(64),
      refreshDays: 7,
    });
    expect(late).toEqual({ ok: false, reason: 'ended', userId: user.id });
    expect(await db.knex('refresh_tokens').where({ token_hash: 'e'.repeat(64) })).toHaveLength(0);
  });

  it('a refresh records when and from where the session was last used', async () => {
    const user = await createUser(db.knex);
    const s = await startSession(db.knex, { userId: user.id, tokenHash: '1'.repeat(64), ...LIFETIMES, ip: '10.0.0.1' });
    await db
      .knex('sessions')
      .where({ id: s.sessionId })
      .update({ last_used_at: new Date(Date.now() - 3_600_000) });
    await rotateRefreshToken(db.knex, {
      oldHash: '1'.repeat(64),
      newHash: '2'.repeat(64),
      refreshDays: 7,
      ip: '10.0.0.2',
    });
    const row = await db.knex('sessions').where({ id: s.sessionId }).first();
    expect(Date.now() - row.last_used_at.getTime()).toBeLessThan(60_000);
    expect([row.ip_address, row.last_ip]).toEqual(['10.0.0.1', '10.0.0.2']);
  });
});

describe('devices', () => {
  const chrome =
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
  const newerChrome = chrome.replace('Chrome/120.0.0.0', 'Chrome/131.0.0.0');
  const phone =
    'Mozilla/5.0 (Linux; Android 13; SM-A536E) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.6045.163 Mobile Safari/537.36';

  it('names the device without versions, so a browser update is not a new device', async () => {
    const user = await createUser(db.knex);
    const start = (hash: string, userAgent?: string) =>
      startSession(db.knex, { userId: user.id, tokenHash: hash.repeat(64), ...LIFETIMES, userAgent });
    expect(await start('3', chrome)).toMatchObject({ device: 'Chrome on Windows', newDevice: true });
    expect(await start('4', newerChrome)).toMatchObject({ device: 'Chrome on Windows', newDevice: false });
    expect(await start('5', phone)).toMatchObject({ device: 'Chrome on Android (Samsung SM-A536E)', newDevice: true });
    expect(await start('6', 'okhttp/4.12.0')).toMatchObject({ device: 'okhttp', newDevice: true });
    expect(await start('7')).toMatchObject({ device: 'unknown device', newDevice: true });
    expect(await start('8')).toMatchObject({ device: 'unknown device', newDevice: false });
  });
});

it('the check trusts versions only while it has seen the triggers, and stops when one goes', async () => {
  const own = await createTestDatabase(); // a trigger is dropped: not in the suite's database
  try {
    const present = sessionTriggersWatch(own.knex, 0);
    expect(present()).toBe(false); // not seen yet
    await waitUntil(() => present());
    await own.knex.raw('DROP TRIGGER sessions_state_changed');
    await waitUntil(() => !present());
    // Every call asks again (0 ms): let the last question end before its pool does.
    await new Promise((r) => setTimeout(r, 200));
  } finally {
    await own.drop();
  }
});

async function waitUntil(ok: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(ok()).toBe(true);
}
