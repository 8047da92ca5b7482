/** /console serves the built bundle under the API's CSP, and says how to build it when it is missing. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestApp } from '../support/api';
import { createTestDatabase, TestDatabase } from '../support/db';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase({ migrate: false });
});
afterAll(() => db.drop());

it('serves the page, its script and its stylesheet, with scripts and styles limited to our own', async () => {
  const dir = process.env.CONSOLE_DIR;
  if (!dir) throw new Error('CONSOLE_DIR is not set: run the suite with `npm test`');
  const { http } = createTestApp(db, { consoleDir: dir });
  const page = await http().get('/console');
  expect(page.status).toBe(200);
  expect(page.type).toBe('text/html');
  expect(page.text).toContain('<script defer src="/console/assets/app.js"></script>');
  expect(page.headers['content-security-policy']).toContain("script-src 'self'");
  const script = await http().get('/console/assets/app.js');
  expect([script.status, script.type]).toEqual([200, 'application/javascript']);
  expect(script.text.length).toBeGreaterThan(10_000);
  expect((await http().get('/console/assets/app.css')).status).toBe(200);
  expect((await http().get('/console/assets/secrets.txt')).status).toBe(404);
});

it('answers 503 with the command to run when the console is not built', async () => {
  const empty = mkdtempSync(path.join(os.tmpdir(), 'no-console-'));
  try {
    const res = await createTestApp(db, { consoleDir: empty }).http().get('/console');
    expect(res.status).toBe(503);
    expect(res.text).toContain('npm run console:build');
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});
