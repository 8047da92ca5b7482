/** Routing by area (api/http/areas.ts) and CORS, mounted only when origins are allowed. */
import { AreaRouters, areaOf } from '../../api/http/areas';
import { createTestApp } from '../support/api';
import { createTestDatabase, TestDatabase } from '../support/db';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase({ migrate: false });
});
afterAll(() => db.drop());

it("a path's area is its first segment, or its first two under /v1", () => {
  expect(
    [
      '/v1/me',
      '/v1/me/sessions/01J',
      '/v1/me/',
      '/v1/admin/users',
      '/docs',
      '/docs/assets/x.js',
      '/healthz',
      '/v1',
      '/',
    ].map(areaOf),
  ).toEqual(['/v1/me', '/v1/me', '/v1/me', '/v1/admin', '/docs', '/docs', '/healthz', '/v1', '/']);
});

it('a route whose area could not be looked up is refused when it is declared', () => {
  for (const path of ['/v1/:kind/list', '/files{/*rest}', '/*splat', '/Docs'])
    expect(() => new AreaRouters().for(path)).toThrow(/must be literal lower-case/);
  const routers = new AreaRouters();
  routers.for('/v1/me');
  routers.middleware();
  expect(() => routers.for('/v1/late')).toThrow(/after the routes began dispatching/);
});

it('requests reach their routes as with one router: any case, a trailing slash; no area is a 404', async () => {
  const { http } = createTestApp(db);
  for (const path of ['/v1/me', '/V1/ME', '/v1/me/']) {
    const res = await http().get(path);
    expect([path, res.status, res.body.error.code]).toEqual([path, 401, 'unauthenticated']);
  }
  expect((await http().get('/docs/')).type).toBe('text/html');
  expect((await http().get('/HEALTHZ')).body).toEqual({ status: 'ok' });
  for (const path of ['/', '/v1', '/v1/', '/nowhere/at/all']) {
    const res = await http().get(path);
    expect([path, res.status, res.body.error.code]).toEqual([path, 404, 'not_found']);
  }
});

it('without allowed origins no answer carries CORS headers or varies by Origin', async () => {
  const { http } = createTestApp(db);
  const res = await http().get('/healthz').set('Origin', 'https://shop.example');
  expect(res.status).toBe(200);
  expect(res.headers['access-control-allow-origin']).toBeUndefined();
  expect(res.headers.vary).toBeUndefined();
});

it('with allowed origins, an allowed origin gets CORS headers and a preflight; another gets none', async () => {
  const { http } = createTestApp(db, { env: { CORS_ORIGINS: 'https://shop.example' } });
  const allowed = await http().get('/healthz').set('Origin', 'https://shop.example');
  expect(allowed.headers).toMatchObject({
    'access-control-allow-origin': 'https://shop.example',
    'access-control-expose-headers': 'X-Request-Id,Retry-After',
    vary: 'Origin',
  });
  const other = await http().get('/healthz').set('Origin', 'https://elsewhere.example');
  expect(other.headers['access-control-allow-origin']).toBeUndefined();
  expect(other.headers.vary).toBe('Origin');
  const preflight = await http()
    .options('/v1/me')
    .set('Origin', 'https://shop.example')
    .set('Access-Control-Request-Method', 'GET')
    .set('Access-Control-Request-Headers', 'authorization');
  expect(preflight.status).toBe(204);
  expect(preflight.headers).toMatchObject({
    'access-control-allow-origin': 'https://shop.example',
    'access-control-allow-headers': 'authorization',
  });
  expect(preflight.headers['access-control-allow-methods']).toContain('GET');
});
