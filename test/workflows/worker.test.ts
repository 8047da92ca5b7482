/**
 * Proves the Temporal path end to end: the real worker (as worker.ts builds it) registers the
 * search attributes and runs a real workflow whose activity reads the real database.
 */
import { createTestDatabase, TestDatabase } from '../support/db';
import { createUser, expectLedgerInvariants } from '../support/ledger';
import { startTestWorker, TestTemporal } from '../support/temporal';
import { SEARCH_ATTRIBUTES } from '../../workflows/searchAttributes';
import { latestReconciliationReport } from '../../db/reconciliation';

let db: TestDatabase;
let t: TestTemporal;

beforeAll(async () => {
  db = await createTestDatabase();
  t = await startTestWorker(db.knex);
});
afterAll(async () => {
  await t?.close();
  await db?.drop();
});

it('registers every search attribute', async () => {
  const res = await t.client.connection.operatorService.listSearchAttributes({ namespace: 'default' });
  for (const name of Object.keys(SEARCH_ATTRIBUTES)) expect(Object.keys(res.customAttributes ?? {})).toContain(name);
});

it('runs the reconciliation workflow on the worker and stores its report', async () => {
  await createUser(db.knex, { balance: '250.00' });
  const summary = await t.client.workflow.execute('reconciliationWorkflow', { taskQueue: t.taskQueue, workflowId: `recon-${Date.now()}`, args: [] });
  expect(summary).toMatchObject({ ok: true, failedChecks: [] });
  const stored = await latestReconciliationReport(db.knex);
  expect(stored).toMatchObject({ id: summary.reportId, ok: true });
  await expectLedgerInvariants(db.knex);
});

it('reports a tampered balance as a failed check', async () => {
  const u = await createUser(db.knex, { balance: '10.00' });
  await db.knex('users').where({ id: u.id }).update({ wallet_balance: '11.00' }); // simulated corruption
  const summary = await t.client.workflow.execute('reconciliationWorkflow', { taskQueue: t.taskQueue, workflowId: `recon-bad-${Date.now()}`, args: [] });
  expect(summary.ok).toBe(false);
  expect(summary.failedChecks).toContain('cached_balances');
  await db.knex('users').where({ id: u.id }).update({ wallet_balance: '10.00' });
  await expectLedgerInvariants(db.knex);
});
