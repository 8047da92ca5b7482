/** Every malformed body is a 400 validation_failed naming the field; transport errors have the same shape. */
import { createTestDatabase, TestDatabase } from '../support/db';
import { createTestApp, promoteToAdmin, registerUser } from '../support/api';

let db: TestDatabase;
let t: ReturnType<typeof createTestApp>;
let token: string;

beforeAll(async () => {
  db = await createTestDatabase();
  t = createTestApp(db);
  token = (await registerUser(t.http)).accessToken;
});
afterAll(() => db.drop());

const good = { email: 'v@example.in', username: 'valid_user', phone: '9876501234', password: 'long enough pass' };

const CASES: Array<[string, string, Record<string, unknown>, string]> = [
  ['register', '/v1/auth/register', { ...good, email: 'not-an-email' }, 'email'],
  ['register', '/v1/auth/register', { ...good, email: undefined }, 'email'],
  ['register', '/v1/auth/register', { ...good, username: 'x' }, 'username'],
  // A username that reads as a phone number could squat that phone's login.
  ['register', '/v1/auth/register', { ...good, username: '9876543210' }, 'username'],
  ['register', '/v1/auth/register', { ...good, phone: '12345' }, 'phone'],
  ['register', '/v1/auth/register', { ...good, password: 'short' }, 'password'],
  ['register', '/v1/auth/register', { ...good, password: 12345678901 }, 'password'],
  ['register', '/v1/auth/register', { ...good, role: 'admin' }, 'role'],
  ['register', '/v1/auth/register', { ...good, fullName: '' }, 'fullName'],
  ['register', '/v1/auth/register', { ...good, isAdmin: true }, 'isAdmin'],
  ['login', '/v1/auth/login', { password: 'x' }, 'login'],
  ['login', '/v1/auth/login', { login: 'someone' }, 'password'],
  ['login', '/v1/auth/login', { login: 42, password: 'x' }, 'login'],
  ['refresh', '/v1/auth/refresh', {}, 'refreshToken'],
  ['refresh', '/v1/auth/refresh', { refreshToken: 'short' }, 'refreshToken'],
  ['logout', '/v1/auth/logout', { refreshToken: 7 }, 'refreshToken'],
];

it.each(CASES)('%s %s with %j names %s', async (_name, path, body, field) => {
  const req = t.http().post(path).send(body);
  if (path.endsWith('logout')) req.set('Authorization', `Bearer ${token}`);
  const res = await req;
  expect(res.status).toBe(400);
  expect(res.body.error.code).toBe('validation_failed');
  const named = (res.body.error.details as Array<{ path: string; message: string }>)
    .map((d) => `${d.path} ${d.message}`)
    .join(' | ');
  expect(named).toContain(field);
});

it('bad query parameters on the statement are 400 naming the parameter', async () => {
  for (const [q, field] of [
    ['limit=0', 'limit'],
    ['limit=101', 'limit'],
    ['type=bogus', 'type'],
    ['from=yesterday', 'from'],
    ['cursor=%%%', 'cursor'],
  ] as const) {
    const res = await t.http().get(`/v1/wallet/ledger?${q}`).set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.error.details)).toContain(field);
  }
});

it('malformed JSON is 400, a wrong content type 415, an oversized body 413, all in the error shape', async () => {
  const bad = await t.http().post('/v1/auth/login').set('Content-Type', 'application/json').send('{"login": ');
  expect(bad.status).toBe(400);
  expect(bad.body.error.code).toBe('malformed_json');
  const form = await t.http().post('/v1/auth/login').type('form').send('login=a&password=b');
  expect(form.status).toBe(415);
  expect(form.body.error.code).toBe('unsupported_media_type');
  const huge = await t
    .http()
    .post('/v1/auth/login')
    .send({ login: 'x'.repeat(120_000), password: 'y' });
  expect(huge.status).toBe(413);
  expect(huge.body.error.code).toBe('payload_too_large');
});

it('unknown routes are 404 in the error shape, and every response carries X-Request-Id', async () => {
  const res = await t.http().get('/v1/nope');
  expect(res.status).toBe(404);
  expect(res.body.error.code).toBe('not_found');
  expect(res.headers['x-request-id']).toMatch(/.{8,}/);
  const kept = await t.http().get('/healthz').set('X-Request-Id', 'client-supplied-id-123');
  expect(kept.headers['x-request-id']).toBe('client-supplied-id-123');
});

it('/openapi.json documents every route; /docs serves the UI with its assets', async () => {
  const spec = (await t.http().get('/openapi.json')).body;
  const ops = Object.entries(spec.paths as Record<string, Record<string, unknown>>).flatMap(([p, m]) =>
    Object.keys(m).map((k) => `${k.toUpperCase()} ${p}`),
  );
  for (const op of [
    'POST /v1/auth/register',
    'POST /v1/auth/login',
    'POST /v1/auth/refresh',
    'POST /v1/auth/logout',
    'GET /v1/me',
    'GET /v1/wallet',
    'GET /v1/wallet/ledger',
    'GET /v1/admin/users/{id}',
    'GET /healthz',
    'GET /readyz',
  ]) {
    expect(ops).toContain(op);
  }
  expect(
    spec.paths['/v1/auth/register'].post.requestBody.content['application/json'].schema.properties.password.minLength,
  ).toBe(10);
  const docs = await t.http().get('/docs');
  expect(docs.status).toBe(200);
  expect(docs.text).toContain('/docs/assets/swagger-ui-bundle.js');
  expect((await t.http().get('/docs/assets/swagger-ui-bundle.js')).status).toBe(200);
  expect((await t.http().get('/readyz')).body).toMatchObject({ status: 'ready', checks: { mysql: 'ok' } });
  expect((await t.http().get('/metrics')).text).toContain('http_request_duration_seconds');
});

it('admins run the invariant checker and read the latest reconciliation over HTTP; customers cannot', async () => {
  const u = await registerUser(t.http);
  expect(
    (await t.http().get('/v1/admin/ledger/invariants').set('Authorization', `Bearer ${u.accessToken}`)).status,
  ).toBe(403);
  const { accessToken: adminToken } = await promoteToAdmin(t.http, db.knex, u);
  const res = await t.http().get('/v1/admin/ledger/invariants').set('Authorization', `Bearer ${adminToken}`);
  expect(res.status).toBe(200);
  expect(res.body.ok).toBe(true);
  expect(res.body.checks.map((c: { id: string }) => c.id)).toEqual([
    'conservation',
    'cached_balances',
    'holds',
    'limit_counters',
    'single_resolution',
    'immutability',
    'statement_links',
    'payments_settled_once',
    'settled_payments_hold_nothing',
    'payment_timelines',
    'commissions_match_rows',
    'report_payments',
    'report_users',
    'report_user_weeks',
    'report_settlements',
    'report_commissions',
    'report_commission_levels',
    'report_triggers',
    'report_settled_at',
  ]);
  expect(
    (await t.http().get('/v1/admin/reconciliation/latest').set('Authorization', `Bearer ${adminToken}`)).status,
  ).toBe(404);
});
