/**
 * Proves the Temporal path end to end: the real worker (as worker.ts builds it) registers the
 * search attributes and runs a real workflow whose activity reads the real database.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { createTestDatabase, TestDatabase } from '../support/db';
import { createUser, expectLedgerInvariants } from '../support/ledger';
import { startTestWorker, TestTemporal } from '../support/temporal';
import { SEARCH_ATTRIBUTES } from '../../workflows/searchAttributes';
import { latestReconciliationReport } from '../../db/reconciliation';

const IndexedValueType = temporal.api.enums.v1.IndexedValueType;

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

// The dev server reads search attributes' definitions through its caches
// (scripts/stack/temporalServer.ts): one added while it runs, as the worker does for a kept
// database that lacks a newer one, must become usable within seconds (the namespace cache's
// refresh, 2 s by default), not be refused until a restart.
it('accepts a search attribute added while the server runs within seconds', async () => {
  const name = `NexasPayLate${Date.now().toString(36)}`;
  await t.client.connection.operatorService.addSearchAttributes({
    namespace: 'default',
    searchAttributes: { [name]: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD },
  });
  const added = Date.now();
  const start = async () => {
    const handle = await t.client.workflow.start('noSuchWorkflow', {
      taskQueue: `late-attribute-${name}`,
      workflowId: `late-attribute-${name}`,
      typedSearchAttributes: [{ key: defineSearchAttributeKey(name, SearchAttributeType.KEYWORD), value: 'x' }],
    });
    await handle.terminate('only the start was under test');
  };
  for (;;) {
    try {
      await start();
      break;
    } catch (err) {
      // Refused as not (yet) defined; anything else is a real failure.
      const cause = String((err as Error & { cause?: unknown }).cause);
      if (!/no mapping defined for search attribute/.test(cause) || Date.now() - added > 20_000) throw err;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  expect(Date.now() - added).toBeLessThan(15_000);
}, 30_000);

it('runs the reconciliation workflow on the worker and stores its report', async () => {
  await createUser(db.knex, { balance: '250.00' });
  const summary = await t.client.workflow.execute('reconciliationWorkflow', {
    taskQueue: t.taskQueue,
    workflowId: `recon-${Date.now()}`,
    args: [],
  });
  // A webhook stored two hours ago and never delivered, and an expired idempotency key.
  await db.knex('webhook_events').insert({
    provider: 'phonepe',
    dedupe_key: 'x'.repeat(64),
    event_type: 'checkout.order.completed',
    provider_ref: 'pay_unknown',
    payload: '{}',
    received_at: new Date(Date.now() - 2 * 3_600_000),
  });
  const u = await createUser(db.knex);
  await db.knex('idempotency_keys').insert({
    user_id: u.id,
    idempotency_key: 'old',
    request_fingerprint: 'f'.repeat(64),
    resource_id: 'pay_x',
    expires_at: new Date(Date.now() - 1000),
  });
  expect(summary).toMatchObject({
    ok: true,
    failedChecks: [],
    attention: { undeliveredWebhooks: 0, stalePayments: 0 },
  });
  const stored = await latestReconciliationReport(db.knex);
  expect(stored).toMatchObject({ id: summary.reportId, ok: true });
  const second = await t.client.workflow.execute('reconciliationWorkflow', {
    taskQueue: t.taskQueue,
    workflowId: `recon-2-${Date.now()}`,
    args: [],
  });
  expect(second.attention).toEqual({ undeliveredWebhooks: 1, stalePayments: 0, outstandingClawbacks: 0 });
  const report = (await latestReconciliationReport(db.knex))!.report as {
    undeliveredWebhooks: Array<{ providerRef: string }>;
    systemAccounts: Array<{ code: string; balance: string }>;
    purgedIdempotencyKeys: number;
  };
  expect(report.undeliveredWebhooks.map((w) => w.providerRef)).toEqual(['pay_unknown']);
  expect(report.systemAccounts.find((a) => a.code === 'PLATFORM_EQUITY')!.balance).toBe('-250.00');
  expect(report.purgedIdempotencyKeys).toBe(1);
  await expectLedgerInvariants(db.knex);
});

it('reports a tampered balance as a failed check', async () => {
  const u = await createUser(db.knex, { balance: '10.00' });
  await db.knex('users').where({ id: u.id }).update({ wallet_balance: '11.00' }); // simulated corruption
  const summary = await t.client.workflow.execute('reconciliationWorkflow', {
    taskQueue: t.taskQueue,
    workflowId: `recon-bad-${Date.now()}`,
    args: [],
  });
  expect(summary.ok).toBe(false);
  expect(summary.failedChecks).toContain('cached_balances');
  await db.knex('users').where({ id: u.id }).update({ wallet_balance: '10.00' });
  await expectLedgerInvariants(db.knex);
});
