/** The HTTP metrics and the request log see a request's final answer, an error's status included. */
import { createTestApp } from '../support/api';
import { createTestDatabase, TestDatabase } from '../support/db';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

it('counts each request under the status it was answered with, errors included', async () => {
  const { http } = createTestApp(db);
  expect((await http().post('/v1/auth/login').send({})).status).toBe(400);
  expect((await http().get('/v1/me')).status).toBe(401);
  expect((await http().get('/healthz')).status).toBe(200);
  const metrics = (await http().get('/metrics')).text;
  const count = (method: string, route: string, status: number) =>
    new RegExp(
      `^http_request_duration_seconds_count\\{method="${method}",route="${route}",status="${status}"\\} 1$`,
      'm',
    );
  expect(metrics).toMatch(count('POST', '/v1/auth/login', 400));
  expect(metrics).toMatch(count('GET', '/v1/me', 401));
  expect(metrics).toMatch(count('GET', '/healthz', 200));
  expect(metrics).not.toMatch(/http_request_duration_seconds_count\{[^}]*status="404"/);
});
