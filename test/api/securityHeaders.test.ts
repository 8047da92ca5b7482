/** The headers every response carries: the API's set on JSON, the page set on HTML, caching as the route says. */
import { createTestApp } from '../support/api';
import { createTestDatabase, TestDatabase } from '../support/db';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase({ migrate: false });
});
afterAll(() => db.drop());

const API_CSP = "default-src 'none'; frame-ancestors 'none'";

it('JSON answers, errors included, may load nothing, be framed nowhere, or be stored', async () => {
  const { http } = createTestApp(db);
  // A browser's reload sends Cache-Control: max-age=0; it must not become the answer's.
  for (const res of [
    await http().get('/healthz').set('Cache-Control', 'max-age=0'),
    await http().get('/v1/no-such-route'),
    await http().get('/v1/me'),
  ]) {
    expect(res.type).toBe('application/json');
    expect(res.headers).toMatchObject({
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'content-security-policy': API_CSP,
      'cache-control': 'no-store',
    });
    expect(res.headers['referrer-policy']).toBeUndefined();
    expect(res.headers['strict-transport-security']).toBeUndefined();
  }
});

it('pages get the page policy; a route that sets its own caching keeps it', async () => {
  const { http } = createTestApp(db);
  const page = await http().get('/docs');
  expect(page.type).toBe('text/html');
  expect(page.headers).toMatchObject({
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'content-security-policy':
      "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'",
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cache-control': 'no-store',
  });
  const asset = await http().get('/docs/assets/swagger-ui-bundle.js');
  expect(asset.headers).toMatchObject({
    'cache-control': 'public, max-age=86400',
    'content-security-policy': API_CSP,
  });
});

it('HSTS only over TLS, here as a trusted proxy reports it', async () => {
  const { http } = createTestApp(db, { env: { TRUST_PROXY: 'true' } });
  expect((await http().get('/healthz').set('X-Forwarded-Proto', 'https')).headers['strict-transport-security']).toBe(
    'max-age=31536000; includeSubDomains',
  );
  expect((await http().get('/healthz')).headers['strict-transport-security']).toBeUndefined();
});
