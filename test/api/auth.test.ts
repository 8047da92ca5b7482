import { SignJWT } from 'jose';
import { createTestDatabase, TestDatabase } from '../support/db';
import { createTestApp, promoteToAdmin, registerUser } from '../support/api';

let db: TestDatabase;
let t: ReturnType<typeof createTestApp>;

beforeAll(async () => {
  db = await createTestDatabase();
  t = createTestApp(db);
});
afterAll(() => db.drop());

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

describe('register and login', () => {
  it('registers, gives a user code, and logs in by username, email or phone', async () => {
    const res = await t.http().post('/v1/auth/register').send({
      email: 'Asha@Example.in',
      username: 'asha',
      phone: '9876500001',
      password: 'long enough pass',
      fullName: 'Asha',
    });
    expect(res.status).toBe(201);
    expect(res.body.user).toMatchObject({
      username: 'asha',
      email: 'asha@example.in',
      role: 'customer',
      kycStatus: 'pending',
    });
    expect(res.body.user.userCode).toMatch(/^NP\d{6}$/);
    expect(res.body.user.password).toBeUndefined();
    for (const login of ['asha', 'asha@example.in', '9876500001']) {
      const r = await t.http().post('/v1/auth/login').send({ login, password: 'long enough pass' });
      expect(r.status).toBe(200);
      expect(r.body.accessToken).toBeTruthy();
    }
    const audit = await db
      .knex('audit_logs')
      .where({ action: 'auth.login', outcome: 'success', actor_user_id: res.body.user.id });
    expect(audit).toHaveLength(3);
    expect(audit[0].request_id).toBeTruthy();
  });

  it('refuses duplicates naming the field', async () => {
    await registerUser(t.http, { email: 'dup@example.in', username: 'dup_one', phone: '9876500002' });
    const res = await t
      .http()
      .post('/v1/auth/register')
      .send({ email: 'dup@example.in', username: 'dup_two', phone: '9876500003', password: 'long enough pass' });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: 'duplicate', details: { field: 'email' } });
  });

  it('lets a retailer name an active distributor, and only that', async () => {
    const dist = await registerUser(t.http);
    await db.knex('users').where({ id: dist.user.id }).update({ role: 'distributor' });
    const ok = await t.http().post('/v1/auth/register').send({
      email: 'r1@example.in',
      username: 'retail_1',
      phone: '9876500004',
      password: 'long enough pass',
      role: 'retailer',
      parentUserCode: dist.user.userCode,
    });
    expect(ok.status).toBe(201);
    expect(ok.body.user.parentDistributorId).toBe(dist.user.id);
    const customer = await registerUser(t.http);
    const bad = await t.http().post('/v1/auth/register').send({
      email: 'r2@example.in',
      username: 'retail_2',
      phone: '9876500005',
      password: 'long enough pass',
      role: 'retailer',
      parentUserCode: customer.user.userCode,
    });
    expect(bad.status).toBe(422);
    expect(bad.body.error.code).toBe('invalid_parent');
  });

  it('wrong password and unknown user both get 401 invalid_credentials, and are audited', async () => {
    const u = await registerUser(t.http);
    const wrong = await t.http().post('/v1/auth/login').send({ login: u.login, password: 'not the password' });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('invalid_credentials');
    const unknown = await t.http().post('/v1/auth/login').send({ login: 'nobody_here', password: 'whatever123' });
    expect(unknown.status).toBe(401);
    expect(unknown.body.error).toEqual(wrong.body.error);
    expect(await db.knex('audit_logs').where({ action: 'auth.login', outcome: 'failure' })).toHaveLength(2);
  });

  it('a deactivated user can neither log in nor use an earlier token', async () => {
    const u = await registerUser(t.http);
    await db.knex('users').where({ id: u.user.id }).update({ is_active: false });
    const login = await t.http().post('/v1/auth/login').send({ login: u.login, password: u.password });
    expect(login.status).toBe(401);
    expect(login.body.error.code).toBe('account_inactive');
    const me = await t.http().get('/v1/me').set(bearer(u.accessToken));
    expect(me.status).toBe(401);
  });
});

describe('access tokens', () => {
  it('no token, expired, tampered, alg none and another key are all 401', async () => {
    const u = await registerUser(t.http);
    expect((await t.http().get('/v1/me')).status).toBe(401);
    expect((await t.http().get('/v1/me').set(bearer(u.accessToken))).status).toBe(200);

    const key = new TextEncoder().encode(t.config.JWT_SECRET);
    const sid = JSON.parse(Buffer.from(u.accessToken.split('.')[1]!, 'base64url').toString()).sid;
    const expired = await new SignJWT({ sid, role: 'customer' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(String(u.user.id))
      .setIssuer(t.config.JWT_ISSUER)
      .setAudience('nexaspay-api')
      .setIssuedAt(Math.floor(Date.now() / 1000) - 3600)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(key);
    const r1 = await t.http().get('/v1/me').set(bearer(expired));
    expect(r1.status).toBe(401);
    expect(r1.body.error.code).toBe('token_expired');

    const [h, p, s] = u.accessToken.split('.');
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString());
    const tampered = `${h}.${b64({ ...claims, role: 'admin' })}.${s}`;
    expect((await t.http().get('/v1/me').set(bearer(tampered))).status).toBe(401);

    const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`;
    expect((await t.http().get('/v1/me').set(bearer(none))).status).toBe(401);

    const otherKey = await new SignJWT({ sid, role: 'admin' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(String(u.user.id))
      .setIssuer(t.config.JWT_ISSUER)
      .setAudience('nexaspay-api')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode('another-secret-that-is-long-enough-000'));
    expect((await t.http().get('/v1/me').set(bearer(otherKey))).status).toBe(401);
  });

  it('a customer calling an admin route gets 403; an admin gets the user only after two-factor', async () => {
    const customer = await registerUser(t.http);
    const res = await t.http().get(`/v1/admin/users/${customer.user.id}`).set(bearer(customer.accessToken));
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('forbidden');
    const admin = await registerUser(t.http);
    await db.knex('users').where({ id: admin.user.id }).update({ role: 'admin' });
    const relog = await t.http().post('/v1/auth/login').send({ login: admin.login, password: admin.password });
    const without = await t.http().get(`/v1/admin/users/${customer.user.id}`).set(bearer(relog.body.accessToken));
    expect([without.status, without.body.error.code]).toEqual([403, 'two_factor_required']);
    const { accessToken } = await promoteToAdmin(t.http, db.knex, { ...admin, accessToken: relog.body.accessToken });
    const ok = await t.http().get(`/v1/admin/users/${customer.user.id}`).set(bearer(accessToken));
    expect(ok.status).toBe(200);
    expect(ok.body.userCode).toBe(customer.user.userCode);
    expect(
      await db.knex('audit_logs').where({ action: 'admin.users.read', actor_user_id: admin.user.id }),
    ).toHaveLength(1);
  });
});

describe('refresh tokens and logout', () => {
  it('rotates: the new pair works and the old refresh token is spent', async () => {
    const u = await registerUser(t.http);
    const r1 = await t.http().post('/v1/auth/refresh').send({ refreshToken: u.refreshToken });
    expect(r1.status).toBe(200);
    expect(r1.body.refreshToken).not.toBe(u.refreshToken);
    expect((await t.http().get('/v1/me').set(bearer(r1.body.accessToken))).status).toBe(200);
    const r2 = await t.http().post('/v1/auth/refresh').send({ refreshToken: r1.body.refreshToken });
    expect(r2.status).toBe(200);
  });

  it('reusing a revoked refresh token revokes the whole family', async () => {
    const u = await registerUser(t.http);
    const r1 = await t.http().post('/v1/auth/refresh').send({ refreshToken: u.refreshToken });
    const reuse = await t.http().post('/v1/auth/refresh').send({ refreshToken: u.refreshToken });
    expect(reuse.status).toBe(401);
    expect(reuse.body.error.code).toBe('refresh_token_reused');
    // The legitimate newest token and its access token are dead too.
    expect((await t.http().post('/v1/auth/refresh').send({ refreshToken: r1.body.refreshToken })).status).toBe(401);
    expect((await t.http().get('/v1/me').set(bearer(r1.body.accessToken))).status).toBe(401);
  });

  it('two concurrent refreshes of one token: exactly one succeeds', async () => {
    const u = await registerUser(t.http);
    const [a, b] = await Promise.all([
      t.http().post('/v1/auth/refresh').send({ refreshToken: u.refreshToken }),
      t.http().post('/v1/auth/refresh').send({ refreshToken: u.refreshToken }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 401]);
  });

  it('logout revokes the session', async () => {
    const u = await registerUser(t.http);
    expect((await t.http().post('/v1/auth/logout').set(bearer(u.accessToken)).send({})).status).toBe(204);
    expect((await t.http().get('/v1/me').set(bearer(u.accessToken))).status).toBe(401);
    expect((await t.http().post('/v1/auth/refresh').send({ refreshToken: u.refreshToken })).status).toBe(401);
  });
});
