/**
 * Rate limits through the real API on MariaDB, each with small settings of its own. Requests
 * come from supertest's one address; where an IP matters, TRUST_PROXY lets a test be several
 * clients (X-Forwarded-For).
 */
import { createTestApp, registerUser } from '../support/api';
import { createTestDatabase, TestDatabase } from '../support/db';
import { payoutClientFor, startTestSimulators } from '../support/simulators';
import type { RunningSimulators } from '../../simulators/app';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

const appWith = (env: Record<string, string>, extra: Parameters<typeof createTestApp>[1] = {}) =>
  createTestApp(db, { ...extra, env: { TRUST_PROXY: 'true', ...env } });
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

describe('password guessing', () => {
  let t: ReturnType<typeof appWith>;
  beforeAll(() => {
    t = appWith({ LOGIN_FREE_FAILURES: '3', LOGIN_LOCKOUT_FIRST_SECONDS: '60' });
  });
  const login = (u: { login: string }, password: string, ip = '203.0.113.7') =>
    t.http().post('/v1/auth/login').set('X-Forwarded-For', ip).send({ login: u.login, password });

  it('stops a guesser within a handful of tries, even with the right password, and only from that address', async () => {
    const u = await registerUser(t.http);
    for (let i = 0; i < 3; i++) expect((await login(u, `guess-${i}`)).status).toBe(401);
    const locked = await login(u, u.password);
    expect(locked.status).toBe(429);
    expect(locked.body.error.code).toBe('rate_limited');
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(50);
    expect(Number(locked.headers['retry-after'])).toBeLessThanOrEqual(60);

    // The owner, elsewhere, is not locked out.
    expect((await login(u, u.password, '198.51.100.20')).status).toBe(200);
    // The same account named otherwise (email, phone) is the same account.
    const row = await db.knex('users').where({ id: u.user.id }).first();
    expect((await login({ login: row.email }, u.password)).status).toBe(429);
    expect((await login({ login: row.phone }, 'wrong-again')).status).toBe(429);
    const audits = await db.knex('audit_logs').where({ action: 'auth.login', actor_user_id: u.user.id });
    expect(audits.filter((a) => a.details?.reason === 'rate_limited')).toHaveLength(3);
  });

  it('guesses sent all at once are counted before they are checked: no more get through than one by one', async () => {
    const u = await registerUser(t.http);
    const all = await Promise.all(Array.from({ length: 12 }, (_, i) => login(u, `guess-${i}`, '203.0.113.12')));
    const checked = all.filter((r) => r.status === 401).length;
    // Three free, then one try: the other eight were refused unchecked.
    expect(checked).toBeLessThanOrEqual(4);
    expect(all.filter((r) => r.status === 429)).toHaveLength(12 - checked);
  });

  it('counts the address the proxy saw, not one the client wrote into X-Forwarded-For', async () => {
    const u = await registerUser(t.http);
    const forged = (i: number) => `10.9.8.${i}, 203.0.113.11`; // the client's entry, then the proxy's
    for (let i = 0; i < 3; i++) expect((await login(u, `guess-${i}`, forged(i))).status).toBe(401);
    expect((await login(u, u.password, forged(99))).status).toBe(429);
  });

  /** The lock-out, and the one try held as long, run out (instead of the test waiting for them). */
  const passTime = () =>
    db
      .knex('rate_limit_counters')
      .where('key', 'like', 'login-lock:%')
      .orWhere('key', 'like', 'login-try:%')
      .update({ expire: Date.now() - 1 });

  it('doubles the wait with each further failure, and a success clears it', async () => {
    const u = await registerUser(t.http);
    for (let i = 0; i < 3; i++) await login(u, `guess-${i}`, '203.0.113.8');
    const lockKey = await db.knex('rate_limit_counters').where('key', 'like', 'login-lock:%');
    // Let the lock-out pass, then fail once more: the next wait is twice the first.
    await passTime();
    expect((await login(u, 'guess-4', '203.0.113.8')).status).toBe(401);
    const second = await login(u, u.password, '203.0.113.8');
    expect(second.status).toBe(429);
    expect(Number(second.headers['retry-after'])).toBeGreaterThan(110);
    expect(Number(second.headers['retry-after'])).toBeLessThanOrEqual(120);
    expect(lockKey.length).toBeGreaterThan(0);

    await passTime();
    expect((await login(u, u.password, '203.0.113.8')).status).toBe(200);
    // Cleared: three free failures again before the next lock-out.
    for (let i = 0; i < 2; i++) expect((await login(u, `guess-${i}`, '203.0.113.8')).status).toBe(401);
    expect((await login(u, u.password, '203.0.113.8')).status).toBe(200);
  });

  it('refuses an address that fails too often across accounts, for the rest of its day', async () => {
    const t2 = appWith({ LOGIN_FAILURES_PER_IP_PER_DAY: '4', LOGIN_FREE_FAILURES: '10' });
    const users = [await registerUser(t2.http), await registerUser(t2.http)];
    const ip = '203.0.113.9';
    for (let i = 0; i < 4; i++) {
      const r = await t2
        .http()
        .post('/v1/auth/login')
        .set('X-Forwarded-For', ip)
        .send({
          login: users[i % 2]!.login,
          password: 'not it',
        });
      expect(r.status).toBe(401);
    }
    const r = await t2
      .http()
      .post('/v1/auth/login')
      .set('X-Forwarded-For', ip)
      .send({ login: users[0]!.login, password: users[0]!.password });
    expect(r.status).toBe(429);
    expect(Number(r.headers['retry-after'])).toBeGreaterThan(86_000);
  });

  it('keeps its counts in MariaDB, hashed: another API instance sees them', async () => {
    const u = await registerUser(t.http);
    for (let i = 0; i < 3; i++) await login(u, `guess-${i}`, '203.0.113.10');
    const other = appWith({ LOGIN_FREE_FAILURES: '3' });
    const r = await other
      .http()
      .post('/v1/auth/login')
      .set('X-Forwarded-For', '203.0.113.10')
      .send({ login: u.login, password: u.password });
    expect(r.status).toBe(429);
    const keys = (await db.knex('rate_limit_counters').select('key')).map((k) => k.key as string);
    expect(keys.every((k) => /^[a-z-]+:[0-9a-f]{64}$/.test(k))).toBe(true);
  });
});

describe('request budgets', () => {
  const refresh = (t: ReturnType<typeof appWith>, ip: string) =>
    t
      .http()
      .post('/v1/auth/refresh')
      .set('X-Forwarded-For', ip)
      .send({ refreshToken: 'x'.repeat(43) });

  it('per IP on the auth routes: 429 with Retry-After, another address unaffected', async () => {
    const t = appWith({ RATE_LIMIT_AUTH_PER_IP_PER_MINUTE: '3' });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push(await refresh(t, '203.0.113.20'));
    expect(statuses.map((r) => r.status)).toEqual([401, 401, 401, 429]);
    expect(statuses[3]!.body.error.code).toBe('rate_limited');
    expect(Number(statuses[3]!.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(statuses[3]!.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect((await refresh(t, '203.0.113.21')).status).toBe(401);
  });

  it('per IP on every route, before the token is even checked', async () => {
    const t = appWith({ RATE_LIMIT_PER_IP_PER_MINUTE: '3' });
    const me = () => t.http().get('/v1/me').set('X-Forwarded-For', '203.0.113.22').set(bearer('not.a.token'));
    expect([(await me()).status, (await me()).status, (await me()).status, (await me()).status]).toEqual([
      401, 401, 401, 429,
    ]);
    // Probes and provider webhooks are not budgeted: a load balancer must always reach them.
    expect((await t.http().get('/healthz').set('X-Forwarded-For', '203.0.113.22')).status).toBe(200);
  });

  it('per user by class: reads and payment starts have budgets of their own', async () => {
    const t = appWith({ RATE_LIMIT_READS_PER_USER_PER_MINUTE: '3', RATE_LIMIT_PAYMENTS_PER_USER_PER_MINUTE: '1' });
    const u = await registerUser(t.http);
    const other = await registerUser(t.http);
    const read = (token: string) => t.http().get('/v1/wallet').set(bearer(token));
    for (let i = 0; i < 3; i++) expect((await read(u.accessToken)).status).toBe(200);
    expect((await read(u.accessToken)).status).toBe(429);
    expect((await read(other.accessToken)).status).toBe(200);
    // The reads are spent; a payment start is counted apart (this app has no Temporal: 503).
    const start = () =>
      t
        .http()
        .post('/v1/payments/transfers')
        .set(bearer(u.accessToken))
        .set('Idempotency-Key', `k-${Math.random()}`)
        .send({ toUserCode: other.user.userCode, amount: '1.00' });
    expect((await start()).status).not.toBe(429);
    expect((await start()).status).toBe(429);
  });
});

describe('penny-drops', () => {
  let sims: RunningSimulators;
  beforeAll(async () => {
    sims = await startTestSimulators();
  });
  afterAll(() => sims?.close());

  it('a daily budget per user, kept in MariaDB', async () => {
    const env = { RATE_LIMIT_PENNY_DROPS_PER_USER_PER_DAY: '2' };
    const t = appWith(env, { gateways: { payout: payoutClientFor(sims, 2000) } });
    const u = await registerUser(t.http);
    await db.knex('users').where({ id: u.user.id }).update({ kyc_status: 'verified' });
    const verify = async (app: ReturnType<typeof appWith>, i: number) => {
      const b = await app
        .http()
        .post('/v1/beneficiaries')
        .set(bearer(u.accessToken))
        .send({
          beneficiaryName: `Payee ${i}`,
          accountNumber: `1234567890${i}`,
          ifscCode: 'SBIN0001234',
          bankName: 'SBI',
        });
      expect(b.status).toBe(201);
      return app.http().post(`/v1/beneficiaries/${b.body.id}/verify`).set(bearer(u.accessToken)).send();
    };
    expect((await verify(t, 1)).status).toBe(200);
    expect((await verify(t, 2)).status).toBe(200);
    const third = await verify(t, 3);
    expect([third.status, third.body.error.code]).toEqual([429, 'rate_limited']);
    // Another API instance shares the count.
    const t2 = appWith(env, { gateways: { payout: payoutClientFor(sims, 2000) } });
    expect((await verify(t2, 4)).status).toBe(429);
  });
});
