/**
 * The payment metrics Prometheus scrapes: exact counts read from the rollups (equal to the
 * reports), unchanged by the fold, the open and held money, the last reconciliation, and a scrape
 * that still answers when the database does not.
 */
import { createKnex } from '../../db/knex';
import { createPaymentRecord, recordPaymentStatus } from '../../db/payments';
import { storeReconciliationReport } from '../../db/reconciliation';
import { foldReportDeltas } from '../../db/reports/fold';
import { createLedger } from '../../db/ledger';
import { istDate } from '../../domain/calendar';
import { PaymentKind, PaymentStatus } from '../../domain/payments';
import { createTestApp, promoteToAdmin, registerUser } from '../support/api';
import { createTestDatabase, TestDatabase } from '../support/db';
import { promtool } from '../support/promtool';
import { createUser, expectReportInvariants, rs } from '../support/ledger';

const TOKEN = 'ops-token-for-prometheus-000000000';
let db: TestDatabase;
let t: ReturnType<typeof createTestApp>;

/** `name{labels}` → value, from the text exposition format. */
type Samples = Map<string, number>;
function parseExposition(text: string): Samples {
  const out: Samples = new Map();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not an exposition line: ${line}`);
    out.set(`${m[1]}${m[2] ?? ''}`, Number(m[3]));
  }
  return out;
}
async function scrape(app = t): Promise<Samples> {
  const res = await app.http().get('/metrics').set('Authorization', `Bearer ${TOKEN}`);
  expect(res.status).toBe(200);
  return parseExposition(res.text);
}
const PROVIDER: Record<string, string> = { recharge: 'recharge-aggregator', bill: 'bbps', payout: 'payout-bank' };
const kindLabels = (kind: string) => `kind="${kind}",provider="${PROVIDER[kind] ?? ''}"`;

async function payment(id: string, kind: PaymentKind, userId: number, amount: string, path: PaymentStatus[]) {
  await createPaymentRecord(db.knex, { id, kind, userId, amount: rs(amount), workflowId: `${kind}:${id}` });
  for (const status of path) await recordPaymentStatus(db.knex, { paymentId: id, status });
}

beforeAll(async () => {
  db = await createTestDatabase();
  t = createTestApp(db, { env: { METRICS_TOKEN: TOKEN } });
  const user = await createUser(db.knex, { balance: '1000.00' });
  await payment('pay_PM1', 'recharge', user.id, '199.00', ['PROCESSING', 'COMPLETED']);
  await payment('pay_PM2', 'bill', user.id, '1200.00', ['PROCESSING', 'FAILED']);
  await foldReportDeltas(db.knex);
  // Left in the pending deltas: the metrics read them as the reports do.
  await payment('pay_PM3', 'payout', user.id, '30.00', ['PROCESSING', 'NEEDS_ATTENTION']);
  await payment('pay_PM4', 'recharge', user.id, '10.00', ['PROCESSING', 'COMPLETED', 'REVERSED']);
  await createLedger(db.knex).reserve({ reference: 'payout:pay_PM3:hold', userId: user.id, amount: rs('30.00') });
  await storeReconciliationReport(db.knex, { startedAt: new Date(), finishedAt: new Date(), ok: false, report: {} });
});
afterAll(() => db.drop());
afterEach(() => expectReportInvariants(db.knex));

it('counts payments started, settled, failed and reversed by kind and provider', async () => {
  const m = await scrape();
  expect(m.get('nexaspay_payment_metrics_up')).toBe(1);
  const figures = (kind: string) =>
    ['started', 'settled', 'failed', 'reversed'].map((what) =>
      m.get(`nexaspay_payments_${what}_total{${kindLabels(kind)}}`),
    );
  expect(figures('recharge')).toEqual([2, 2, 0, 1]);
  expect(figures('bill')).toEqual([1, 1, 1, 0]);
  expect(figures('payout')).toEqual([1, 0, 0, 0]);
  expect(m.get('nexaspay_payments_started_total{kind="topup",provider="phonepe"}')).toBe(0);
  expect(m.get(`nexaspay_payments{${kindLabels('payout')},status="NEEDS_ATTENTION"}`)).toBe(1);
  expect(m.get(`nexaspay_payments_amount_paise{${kindLabels('bill')},status="FAILED"}`)).toBe(120_000);
  expect(m.get(`nexaspay_payments_needs_attention{${kindLabels('payout')}}`)).toBe(1);
  expect(m.get(`nexaspay_payments_needs_attention{${kindLabels('bill')}}`)).toBe(0);
  expect(
    m.get(`nexaspay_payments_open_oldest_age_seconds{${kindLabels('payout')},status="NEEDS_ATTENTION"}`),
  ).toBeGreaterThanOrEqual(0);
  expect(m.get('nexaspay_holds_outstanding{kind="payout"}')).toBe(1);
  expect(m.get('nexaspay_holds_outstanding_paise{kind="payout"}')).toBe(3_000);
  expect(m.get('nexaspay_reconciliation_last_ok')).toBe(0);
  expect(m.get('nexaspay_report_deltas_unfolded')).toBeGreaterThan(0);
});

it('exposes time to settle as a cumulative histogram whose count is the settled payments', async () => {
  const m = await scrape();
  const prefix = `nexaspay_payment_settle_seconds_bucket{${kindLabels('recharge')},le="`;
  const buckets = [...m].filter(([k]) => k.startsWith(prefix));
  expect(buckets.length).toBeGreaterThan(10);
  const counts = buckets.map(([, v]) => v);
  expect(counts).toEqual([...counts].sort((a, b) => a - b));
  expect(m.get(`${prefix}+Inf"}`)).toBe(2);
  expect(m.get(`nexaspay_payment_settle_seconds_count{${kindLabels('recharge')}}`)).toBe(2);
  // Settled within the test run, so well inside the last finite bound (3 days).
  expect(counts[counts.length - 2]).toBe(2);
  expect(m.get(`nexaspay_payment_settle_seconds_sum{${kindLabels('recharge')}}`)).toBeGreaterThanOrEqual(0);
});

it('gives the figures the reports give, and the fold changes none of them', async () => {
  const before = await scrape();
  const admin = (await promoteToAdmin(t.http, db.knex, await registerUser(t.http))).accessToken;
  const today = istDate(new Date());
  const report = await t
    .http()
    .get(`/v1/admin/reports/summary?from=${today}&to=${today}`)
    .set('Authorization', `Bearer ${admin}`);
  for (const k of report.body.kinds as Array<{ kind: string; provider: string; total: { payments: number } }>)
    expect([k.kind, before.get(`nexaspay_payments_started_total{kind="${k.kind}",provider="${k.provider}"}`)]).toEqual([
      k.kind,
      k.total.payments,
    ]);

  await foldReportDeltas(db.knex);
  await new Promise((r) => setTimeout(r, 1_100)); // past the shared read's freshness window
  const after = await scrape();
  expect(after.get('nexaspay_report_deltas_unfolded')).toBe(0);
  const exact = (m: Samples) =>
    [...m].filter(([k]) => /^nexaspay_(payments|payment_settle|holds)/.test(k) && !k.includes('age_seconds'));
  expect(exact(after)).toEqual(exact(before));
});

it("passes Prometheus's own lint (promtool check metrics)", async () => {
  const res = await t.http().get('/metrics').set('Authorization', `Bearer ${TOKEN}`);
  expect(res.text).toContain('nexaspay_payment_settle_seconds_bucket');
  // prom-client's own Node.js gauges named *_total are its to rename, not ours.
  const findings = promtool(['check', 'metrics'], res.text).output.split('\n').filter(Boolean);
  expect(findings.filter((l) => !l.startsWith('nodejs_'))).toEqual([]);
});

it('leaves out what has never happened rather than showing 0 (no reconciliation yet)', async () => {
  const fresh = await createTestDatabase();
  try {
    const m = await scrape(createTestApp(fresh, { env: { METRICS_TOKEN: TOKEN } }));
    expect(m.get('nexaspay_payment_metrics_up')).toBe(1);
    expect(m.has('nexaspay_reconciliation_last_ok')).toBe(false);
    expect(m.has('nexaspay_reconciliation_last_finished_timestamp_seconds')).toBe(false);
    expect(m.get('nexaspay_payments_started_total{kind="bill",provider="bbps"}')).toBe(0);
    expect(m.get('nexaspay_report_deltas_unfolded')).toBe(0);
  } finally {
    await fresh.drop();
  }
});

it('still answers a scrape when the database does not, and says so', async () => {
  const broken = createKnex({ url: 'mysql://nobody:wrong@127.0.0.1:1/none', poolMax: 1 });
  try {
    const app = createTestApp({ ...db, knex: broken }, { env: { METRICS_TOKEN: TOKEN } });
    const m = await scrape(app);
    expect(m.get('nexaspay_payment_metrics_up')).toBe(0);
    expect([...m.keys()].some((k) => k.startsWith('nexaspay_payments_started_total'))).toBe(false);
    expect([...m.keys()].some((k) => k.startsWith('process_cpu'))).toBe(true);
  } finally {
    await broken.destroy();
  }
});
