/** What the API keeps to itself: metrics and readiness details behind the ops token, upstream text in 5xx. */
import { createTestApp, registerUser } from '../support/api';
import { createTestDatabase, TestDatabase } from '../support/db';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

const TOKEN = 'ops-token-for-prometheus-000000000';

it('with METRICS_TOKEN set, /metrics and the readiness details need it', async () => {
  const t = createTestApp(db, { env: { METRICS_TOKEN: TOKEN } });
  const anonymous = await t.http().get('/metrics');
  expect([anonymous.status, anonymous.body.error.code]).toEqual([401, 'unauthenticated']);
  expect((await t.http().get('/metrics').set('Authorization', 'Bearer not-the-token')).status).toBe(401);
  const scraped = await t.http().get('/metrics').set('Authorization', `Bearer ${TOKEN}`);
  expect(scraped.status).toBe(200);
  expect(scraped.text).toContain('http_request_duration_seconds');

  expect((await t.http().get('/readyz')).body).toEqual({ status: 'ready' });
  expect((await t.http().get('/readyz').set('Authorization', `Bearer ${TOKEN}`)).body).toEqual({
    status: 'ready',
    checks: { mysql: 'ok', session_triggers: 'ok' },
  });
});

it('a 5xx names its code and the request id, never the upstream’s words', async () => {
  // No Temporal client in this app: starting a payment is a 503 whose cause stays in the log.
  const t = createTestApp(db);
  const u = await registerUser(t.http);
  const payee = await registerUser(t.http);
  const res = await t
    .http()
    .post('/v1/payments/transfers')
    .set('Authorization', `Bearer ${u.accessToken}`)
    .set('Idempotency-Key', 'k-5xx')
    .set('X-Request-Id', 'req-5xx-test')
    .send({ toUserCode: payee.user.userCode, amount: '1.00' });
  expect(res.status).toBe(503);
  expect(res.body).toEqual({
    error: {
      code: expect.any(String),
      message:
        'a service this request needs is unavailable; try again shortly; quote request id req-5xx-test to support',
    },
  });
});

it('a method a path does not have is 405 with Allow; a path written out as a route is that route', async () => {
  const t = createTestApp(db);
  const trace = await t.http().trace('/v1/me');
  expect([trace.status, trace.headers.allow, trace.body.error?.code]).toEqual([
    405,
    'GET, HEAD, OPTIONS',
    'method_not_allowed',
  ]);
  // Not a lookup of payment "transfers" through GET /v1/payments/:id.
  const get = await t.http().get('/v1/payments/transfers');
  expect([get.status, get.headers.allow]).toEqual([405, 'POST, OPTIONS']);
  const options = await t.http().options('/v1/me/sessions/01JEXAMPLE0000000000000000');
  expect([options.status, options.headers.allow]).toEqual([204, 'DELETE, OPTIONS']);
  expect((await t.http().put('/v1/payments/pay_01JEXAMPLE0000000000000000')).status).toBe(405);
  expect((await t.http().get('/v1/no-such-route')).status).toBe(404);
});
