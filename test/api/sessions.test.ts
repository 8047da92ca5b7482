import { createTestDatabase, TestDatabase } from '../support/db';
import { signAccessToken } from '../../api/auth/tokens';
import { createTestApp, registerUser } from '../support/api';

/** Everything but the clock: requests and the database driver keep their real timers. */
const TIMERS = [
  'hrtime',
  'nextTick',
  'performance',
  'queueMicrotask',
  'requestAnimationFrame',
  'cancelAnimationFrame',
  'requestIdleCallback',
  'cancelIdleCallback',
  'setImmediate',
  'clearImmediate',
  'setInterval',
  'clearInterval',
  'setTimeout',
  'clearTimeout',
] as const;

let db: TestDatabase;
let t: ReturnType<typeof createTestApp>;

beforeAll(async () => {
  db = await createTestDatabase();
  t = createTestApp(db);
});
afterAll(() => db.drop());

const LAPTOP = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';
const PHONE =
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36';

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

async function signIn(u: { login: string; password: string }, userAgent: string) {
  const res = await t
    .http()
    .post('/v1/auth/login')
    .set('User-Agent', userAgent)
    .send({ login: u.login, password: u.password });
  expect(res.status).toBe(200);
  return res.body as { accessToken: string; refreshToken: string };
}

const sessionsOf = async (accessToken: string) => {
  const res = await t.http().get('/v1/me/sessions').set(bearer(accessToken));
  expect(res.status).toBe(200);
  return res.body.items as Array<{ id: string; device: string; current: boolean; lastIp: string | null }>;
};

describe('GET /v1/me/sessions', () => {
  it('lists my live sessions by device, marks the current one, and not another user’s', async () => {
    const u = await registerUser(t.http);
    const laptop = await signIn(u, LAPTOP);
    const phone = await signIn(u, PHONE);
    await registerUser(t.http);
    await t.http().post('/v1/auth/logout').set(bearer(u.accessToken)).send({});

    const fromPhone = await sessionsOf(phone.accessToken);
    expect(fromPhone.map((s) => [s.device, s.current]).sort()).toEqual([
      ['Chrome on Android (Google Pixel 8)', true],
      ['Firefox on Linux', false],
    ]);
    const fromLaptop = await sessionsOf(laptop.accessToken);
    expect(fromLaptop.find((s) => s.current)?.device).toBe('Firefox on Linux');
  });
});

describe('signing sessions out', () => {
  it('DELETE ends one session at once: its access and refresh tokens stop working', async () => {
    const u = await registerUser(t.http);
    const laptop = await signIn(u, LAPTOP);
    const phone = await signIn(u, PHONE);
    const phoneSession = (await sessionsOf(laptop.accessToken)).find((s) => s.device.startsWith('Chrome'))!;

    const del = await t.http().delete(`/v1/me/sessions/${phoneSession.id}`).set(bearer(laptop.accessToken));
    expect(del.status).toBe(204);
    expect((await t.http().get('/v1/me').set(bearer(phone.accessToken))).status).toBe(401);
    const refresh = await t.http().post('/v1/auth/refresh').send({ refreshToken: phone.refreshToken });
    expect(refresh.status).toBe(401);
    expect(refresh.body.error.code).toBe('invalid_refresh_token');
    expect((await t.http().get('/v1/me').set(bearer(laptop.accessToken))).status).toBe(200);
    expect(
      await db.knex('audit_logs').where({ action: 'auth.session_revoked', target_id: phoneSession.id }),
    ).toHaveLength(1);

    // Gone now, so 404; as is a session that is not mine.
    const again = await t.http().delete(`/v1/me/sessions/${phoneSession.id}`).set(bearer(laptop.accessToken));
    expect(again.status).toBe(404);
    const other = await registerUser(t.http);
    const [otherSession] = await sessionsOf(other.accessToken);
    expect((await t.http().delete(`/v1/me/sessions/${otherSession!.id}`).set(bearer(laptop.accessToken))).status).toBe(
      404,
    );
    expect((await t.http().get('/v1/me').set(bearer(other.accessToken))).status).toBe(200);
    expect((await t.http().delete('/v1/me/sessions/not-a-session').set(bearer(laptop.accessToken))).status).toBe(400);
  });

  it('sign out everywhere else keeps only the current session', async () => {
    const u = await registerUser(t.http);
    const laptop = await signIn(u, LAPTOP);
    const phone = await signIn(u, PHONE);
    const res = await t.http().post('/v1/me/sessions/sign-out-others').set(bearer(laptop.accessToken)).send({});
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ signedOut: 2 }); // the registration's session and the phone's
    for (const token of [u.accessToken, phone.accessToken]) {
      expect((await t.http().get('/v1/me').set(bearer(token))).status).toBe(401);
    }
    expect((await sessionsOf(laptop.accessToken)).map((s) => s.current)).toEqual([true]);
  });
});

describe('what a session records', () => {
  it('audits a login from a device the user never signed in from, once', async () => {
    const u = await registerUser(t.http);
    await signIn(u, LAPTOP);
    await signIn(u, LAPTOP.replace('Firefox/133.0', 'Firefox/134.0'));
    await signIn(u, PHONE);
    const rows = await db.knex('audit_logs').where({ action: 'auth.new_device', actor_user_id: u.user.id });
    expect(rows.map((r) => r.details.device).sort()).toEqual([
      'Chrome on Android (Google Pixel 8)',
      'Firefox on Linux',
    ]);
  });

  it('records use at most once a minute, with the address it came from', async () => {
    const u = await registerUser(t.http);
    const { id } = (await sessionsOf(u.accessToken))[0]!;
    const lastUsed = async () => (await db.knex('sessions').where({ id }).first()).last_used_at.getTime();

    const recent = new Date(Date.now() - 30_000);
    await db.knex('sessions').where({ id }).update({ last_used_at: recent, last_ip: null });
    await t.http().get('/v1/me').set(bearer(u.accessToken));
    expect(await lastUsed()).toBe(recent.getTime());

    // A minute after this process last wrote it (only the clock moved: timers run as they do).
    jest.useFakeTimers({ now: Date.now() + 61_000, doNotFake: [...TIMERS] });
    try {
      await t.http().get('/v1/me').set(bearer(u.accessToken));
      expect(Date.now() - (await lastUsed())).toBeLessThan(10_000);
    } finally {
      jest.useRealTimers();
    }
    expect((await sessionsOf(u.accessToken))[0]!.lastIp).toMatch(/127\.0\.0\.1|::1/);
  });

  it('ends at its absolute lifetime: the access token and a refresh are refused after it', async () => {
    const u = await registerUser(t.http);
    const r1 = await t.http().post('/v1/auth/refresh').send({ refreshToken: u.refreshToken });
    expect(r1.status).toBe(200);
    const [session] = await sessionsOf(r1.body.accessToken);
    await db
      .knex('sessions')
      .where({ id: session!.id })
      .update({ expires_at: new Date(Date.now() - 1000) });
    expect((await t.http().get('/v1/me').set(bearer(r1.body.accessToken))).status).toBe(401);
    const r2 = await t.http().post('/v1/auth/refresh').send({ refreshToken: r1.body.refreshToken });
    expect(r2.status).toBe(401);
    expect(r2.body.error.message).toMatch(/session has ended/);
  });
});

describe('the session version every request checks', () => {
  const versionOf = async (userId: number) =>
    (await db.knex('users').where({ id: userId }).first('session_version')).session_version as number;
  const me = (token: string) => t.http().get('/v1/me').set(bearer(token));
  const tokenSettings = () => ({
    secret: t.config.JWT_SECRET,
    issuer: t.config.JWT_ISSUER,
    ttlSeconds: t.config.ACCESS_TOKEN_TTL_SECONDS,
  });

  it('a session revoked by hand in the database is refused at once (a trigger moves the version)', async () => {
    const u = await registerUser(t.http);
    const [session] = await sessionsOf(u.accessToken);
    await db.knex('sessions').where({ id: session!.id }).update({ revoked_at: new Date(), revoked_reason: 'ops' });
    expect((await me(u.accessToken)).status).toBe(401);
  });

  it('trusts the version while it is unchanged (so only the trigger writes it); an older token without it takes the full check', async () => {
    const u = await registerUser(t.http);
    const [session] = await sessionsOf(u.accessToken);
    const userId = (await me(u.accessToken)).body.id as number;
    const claims = { userId, sessionId: session!.id, role: 'customer' as const };
    const older = (await signAccessToken(tokenSettings(), claims, new Date(Date.now() + 3_600_000))).token;
    expect((await me(older)).status).toBe(200);

    const before = await versionOf(userId);
    await db.knex('sessions').where({ id: session!.id }).update({ revoked_at: new Date(), revoked_reason: 'ops' });
    // Put back by hand, the version no longer tells: the token that carries it passes without
    // its session being read. The older token, carrying none, still reads it and is refused.
    await db.knex('users').where({ id: userId }).update({ session_version: before });
    expect((await me(u.accessToken)).status).toBe(200);
    expect((await me(older)).status).toBe(401);
  });

  it('an access token ends no later than its session', async () => {
    const u = await registerUser(t.http);
    const [session] = await sessionsOf(u.accessToken);
    const endsAt = new Date(Date.now() + 30_000);
    await db.knex('sessions').where({ id: session!.id }).update({ expires_at: endsAt });
    const refreshed = await t.http().post('/v1/auth/refresh').send({ refreshToken: u.refreshToken });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.expiresIn).toBeLessThanOrEqual(30);
    const { exp } = JSON.parse(Buffer.from(refreshed.body.accessToken.split('.')[1], 'base64url').toString());
    expect(exp).toBe(Math.floor(endsAt.getTime() / 1000));
    expect((await me(refreshed.body.accessToken)).status).toBe(200);
  });

  it('signing out elsewhere, a logout and a refresh of one user at once: no deadlock, no error', async () => {
    for (let i = 0; i < 15; i++) {
      const u = await registerUser(t.http);
      const laptop = await signIn(u, LAPTOP);
      const phone = await signIn(u, PHONE);
      const answers = await Promise.all([
        t.http().post('/v1/me/sessions/sign-out-others').set(bearer(laptop.accessToken)).send({}),
        t.http().post('/v1/auth/logout').set(bearer(phone.accessToken)).send({}),
        t.http().post('/v1/auth/refresh').send({ refreshToken: u.refreshToken }),
        t.http().post('/v1/auth/refresh').send({ refreshToken: phone.refreshToken }),
      ]);
      // Whichever wins, the others are refused for a reason (401), never a 500.
      for (const a of answers) expect(a.status).toBeLessThan(500);
      expect((await sessionsOf(laptop.accessToken)).map((s) => s.current)).toEqual([true]);
    }
  });

  // Last: it leaves this suite's database without a trigger.
  it('an API over a database without the triggers is not ready', async () => {
    expect((await t.http().get('/readyz')).status).toBe(200);
    await db.knex.raw('DROP TRIGGER sessions_deleted');
    const res = await t.http().get('/readyz');
    expect([res.status, res.body.status]).toEqual([503, 'not_ready']);
  });
});
