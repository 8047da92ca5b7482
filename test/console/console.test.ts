/**
 * The operations console in a real browser (Chromium driven by playwright-core) against the
 * whole engine: an admin signs in with two-factor, reads the dashboard (its figures equal the
 * reports API's), rechecks stuck recharges in bulk until they complete, reads a payment's page,
 * proposes crediting a top-up (which waits for a second admin), approves a KYC and pages through
 * the users. Screenshots are kept in .data/test-artifacts/ as the run's artefacts.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Browser, chromium, Page, Response } from 'playwright-core';
import { currentTotp } from '../../api/auth/secondFactor';
import { control, payer, prepare } from '../support/heldPayments';
import { promoteToAdmin, registerUser } from '../support/api';
import { createUser, expectLedgerInvariants, walletOf } from '../support/ledger';
import { PaymentsHarness, startPaymentsHarness, waitForStatus } from '../support/payments';

const ARTIFACTS = process.env.TEST_ARTIFACT_DIR ?? path.join(__dirname, '..', '..', '.data', 'test-artifacts');

let h: PaymentsHarness;
let browser: Browser;
let page: Page;
let admin: { login: string; password: string; secret: string; accessToken: string };
const pageErrors: string[] = [];

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  // Real polling intervals: only the operator's recheck makes the stuck recharge ask its provider soon.
  h = await startPaymentsHarness({ pollingScale: '1' });
  const u = await registerUser(h.http);
  const promoted = await promoteToAdmin(h.http, h.db.knex, u);
  await h.db.knex('users').where({ id: u.user.id }).update({ full_name: 'Asha Ops' });
  admin = { login: u.login, password: u.password, secret: promoted.secret, accessToken: promoted.accessToken };
  const executablePath = process.env.CHROMIUM_BIN;
  if (!executablePath) throw new Error('CHROMIUM_BIN is not set: run the suite with `npm test`');
  browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => {
    // The 401 is the wrong authenticator code the sign-in test sends on purpose.
    if (m.type() === 'error' && !m.text().includes('status of 401')) pageErrors.push(m.text());
  });
});
afterAll(async () => {
  await browser?.close();
  await h?.close();
});
afterEach(() => expectLedgerInvariants(h.db.knex));

const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `console-${name}.png`), fullPage: true });
const adminGet = (p: string) => h.http().get(p).set('Authorization', `Bearer ${admin.accessToken}`);

let stuckId: string;
let secondStuckId: string;
let retailerId: number;

it('signs an admin in with password and authenticator code', async () => {
  // Two recharges the provider has taken and not finished, its webhooks lost: stuck in PROCESSING
  // until the test settles them at the provider. ('success' would be seen by the workflow's own
  // status poll a few seconds later, and the stuck list would sometimes be empty.)
  const p = await payer(h);
  retailerId = p.id;
  const stuck = async (amount: string) => {
    const r = await prepare(h, 'recharge', p);
    await control(h, 'recharge').scenario({ match: r.match, outcome: 'pending', webhook: 'drop' });
    const id = (await r.pay(amount)).body.paymentId as string;
    await waitForStatus(h, p.token, id, 'PROCESSING', 30_000);
    return id;
  };
  stuckId = await stuck('99.00');
  secondStuckId = await stuck('49.00');

  await page.goto(`${h.apiUrl}/console`);
  await page.getByLabel('Email, username or phone').fill(admin.login);
  await page.getByLabel('Password').fill(admin.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  // A wrong code is refused with a message, then the right one is taken.
  await page.getByLabel('Code from your authenticator app').fill('000000');
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.getByRole('alert').waitFor();
  await page
    .getByRole('button', { name: 'Sign in' })
    .or(page.getByRole('button', { name: 'Verify' }))
    .waitFor();
  if (await page.getByRole('button', { name: 'Sign in' }).isVisible()) {
    await page.getByLabel('Email, username or phone').fill(admin.login);
    await page.getByLabel('Password').fill(admin.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }
  // The code of the next 30 s step: the one enrolment used cannot be replayed.
  await page.getByLabel('Code from your authenticator app').fill(currentTotp(admin.secret, Date.now() + 30_000));
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  expect(await page.getByRole('navigation', { name: 'Console' }).innerText()).toContain('Stuck payments');
});

it('shows a dashboard whose figures are the reports API figures', async () => {
  await page.getByRole('table', { name: 'Payments by kind' }).waitFor();
  const summary = (await adminGet('/v1/admin/reports/summary')).body as {
    kinds: Array<{ kind: string; total: { payments: number; amount: string } }>;
  };
  const withPayments = summary.kinds.filter((k) => k.total.payments > 0);
  expect(withPayments.map((k) => k.kind)).toContain('recharge');
  for (const k of withPayments) {
    const row = page.locator(`tr[data-kind="${k.kind}"]`);
    expect(await row.locator('[data-figure="payments"]').innerText()).toBe(String(k.total.payments));
    // ₹ with Indian grouping, the same paise as the API's rupee string.
    const shown = await row.locator('[data-figure="amount"]').innerText();
    expect(shown.replace(/[₹,]/g, '')).toBe(k.total.amount);
  }
  expect(await page.locator('tr[data-kind]').count()).toBe(summary.kinds.length);
  expect(await page.getByRole('figure').count()).toBe(2);
  await shot('dashboard');
});

it('rechecks stuck payments in bulk after a provider outage, and they complete', async () => {
  await page.getByRole('link', { name: 'Stuck payments' }).click();
  await page.getByLabel('Status').selectOption('PROCESSING');
  await page.getByRole('button', { name: 'Show' }).click();
  const row = page.locator(`tr[data-payment="${stuckId}"]`);
  await row.waitFor();
  expect(await row.innerText()).toContain('₹99.00');
  await shot('stuck');
  // The provider has recharged both mobiles, but told nobody.
  await control(h, 'recharge').settle(stuckId, 'success');
  await control(h, 'recharge').settle(secondStuckId, 'success');
  await page.getByRole('button', { name: 'Select all of recharge-aggregator' }).click();
  await page.getByRole('button', { name: 'Recheck selected (2)' }).click();
  const outcome = page.getByRole('status').filter({ hasText: 'Recheck asked for' });
  await outcome.waitFor();
  // Both workflows were asked (not a recovery run, not "nothing to ask").
  expect(await outcome.innerText()).toBe('Recheck asked for 2 of 2 payments. 2 — the payment asks its provider now');
  for (const id of [stuckId, secondStuckId]) {
    const audit = await h.db.knex('audit_logs').where({ action: 'admin.payments.recheck', target_id: id });
    expect(audit).toHaveLength(1);
    await waitForStatus(h, admin.accessToken, id, 'COMPLETED', 30_000);
  }
  expect(await walletOf(h.db.knex, retailerId)).toEqual({ balance: '9852.00', held: '0.00' });
});

it("shows the payment's timeline, ledger lines and Temporal link", async () => {
  await page.goto(`${h.apiUrl}/console#/payments/${stuckId}`);
  await page.getByRole('heading', { name: `Payment ${stuckId}` }).waitFor();
  await page.getByText('COMPLETED', { exact: true }).first().waitFor();
  await page.getByRole('table', { name: `Journal recharge:${stuckId}:capture` }).waitFor();
  const temporal = page.getByRole('link', { name: `recharge:${stuckId}` });
  expect(await temporal.getAttribute('href')).toBe(
    `http://localhost:8233/namespaces/default/workflows/${encodeURIComponent(`recharge:${stuckId}`)}`,
  );
  await shot('payment');
});

it('proposes crediting an unconfirmed top-up for a second admin, and says so rather than "resolved"', async () => {
  // PhonePe confirmed ₹450 of a ₹500 top-up: not credited, NEEDS_ATTENTION.
  const customer = await registerUser(h.http);
  const started = await h
    .http()
    .post('/v1/payments/topups')
    .set('Authorization', `Bearer ${customer.accessToken}`)
    .set('Idempotency-Key', `console-topup-${customer.user.id}`)
    .send({ amount: '500.00' });
  const paymentId = started.body.paymentId as string;
  await h.sims.phonepe.completeOrder(paymentId, 'success', 45_000);
  await waitForStatus(h, customer.accessToken, paymentId, 'NEEDS_ATTENTION');

  await page.getByRole('link', { name: 'Stuck payments' }).click();
  await page.getByLabel('Status').selectOption('NEEDS_ATTENTION');
  await page.getByRole('button', { name: 'Show' }).click();
  const row = page.locator(`tr[data-payment="${paymentId}"]`);
  // Why it is stuck, from its timeline: what PhonePe confirmed against what was asked.
  expect(await row.innerText()).toMatch(/450\.00.*500\.00/);
  await row.getByRole('button', { name: 'Resolve…' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('It succeeded: capture the money').check();
  await dialog.getByLabel('Reason (kept in the audit log)').fill('customer paid ₹450, confirmed with PhonePe');
  await dialog.getByRole('button', { name: 'Resolve' }).click();
  const said = page.getByRole('status').filter({ hasText: paymentId });
  await said.waitFor();
  await shot('resolve-proposed');
  const approval = await h.db.knex('operator_approvals').where({ payment_id: paymentId }).first();
  expect(await said.innerText()).toBe(
    `${paymentId}: proposed (approval ${approval.id}); nothing happens until a second admin approves it.`,
  );
  expect(approval.status).toBe('pending');
  // Nothing moved: the payment still waits, and the customer has not been credited.
  expect((await h.db.knex('payment_records').where({ id: paymentId }).first('status')).status).toBe('NEEDS_ATTENTION');
  expect(await walletOf(h.db.knex, customer.user.id)).toEqual({ balance: '0.00', held: '0.00' });
});

it('approves a KYC from the queue', async () => {
  const applicant = await registerUser(h.http);
  await h.db.knex('users').where({ id: applicant.user.id }).update({ full_name: 'Ravi Kirana' });
  expect((await h.db.knex('users').where({ id: applicant.user.id }).first('kyc_status')).kyc_status).toBe('pending');
  await page.getByRole('link', { name: 'KYC queue' }).click();
  const row = page.locator(`tr[data-user="${applicant.user.userCode}"]`);
  await row.waitFor();
  await shot('kyc');
  await row.getByRole('button', { name: 'Approve' }).click();
  await page
    .getByRole('status')
    .filter({ hasText: `KYC of ${applicant.user.userCode} approved` })
    .waitFor();
  expect((await h.db.knex('users').where({ id: applicant.user.id }).first('kyc_status')).kyc_status).toBe('verified');
  await row.waitFor({ state: 'detached' }); // the queue is read again without them
});

it('pages through the users, newest first, and back', async () => {
  const made: string[] = [];
  for (let i = 0; i < 55; i++) made.push((await createUser(h.db.knex)).userCode);
  const [oldest, newest] = [made[0]!, made[made.length - 1]!];
  await page.getByRole('link', { name: 'Users', exact: true }).click();
  const users = page.getByRole('table', { name: 'Users' });
  await users.locator(`tr[data-user="${newest}"]`).waitFor();
  expect(await users.locator('tbody tr').count()).toBe(50);
  expect(await users.locator(`tr[data-user="${oldest}"]`).count()).toBe(0);
  await page.getByRole('button', { name: 'Older' }).click();
  await users.locator(`tr[data-user="${oldest}"]`).waitFor();
  expect(await users.locator(`tr[data-user="${newest}"]`).count()).toBe(0);
  await page.getByRole('button', { name: 'Newer' }).click();
  await users.locator(`tr[data-user="${newest}"]`).waitFor();
  expect(await page.getByRole('button', { name: 'Newer' }).count()).toBe(0);
});

it('refreshes an expired token once for the calls that meet it together, and stays signed in', async () => {
  // The dashboard reads several reports at once; with a token the server refuses, each gets a
  // 401. A refresh token is single-use and a second use ends the session, so they must share one.
  await page.getByRole('link', { name: 'Dashboard' }).click();
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  // (A string: this file is compiled without the DOM's types.)
  await page.evaluate(`(() => {
    const key = 'nexaspay.console.session';
    const s = JSON.parse(sessionStorage.getItem(key));
    sessionStorage.setItem(key, JSON.stringify({ ...s, accessToken: s.accessToken + 'x' }));
  })()`);
  const refreshes: string[] = [];
  const refused: string[] = [];
  const seen = (r: Response) => {
    if (r.url().endsWith('/v1/auth/refresh')) refreshes.push(String(r.status()));
    else if (r.status() === 401) refused.push(r.url());
  };
  page.on('response', seen);
  await page.reload();
  await page.locator('tr[data-kind]').first().waitFor();
  await page.getByRole('link', { name: 'Stuck payments' }).click();
  await page.getByRole('heading', { name: 'Stuck payments' }).waitFor();
  await page.getByRole('table').or(page.getByText('No payment matches.')).first().waitFor();
  page.off('response', seen);
  expect(refused.length).toBeGreaterThanOrEqual(2);
  expect(refreshes).toEqual(['200']);
  expect(await page.getByRole('button', { name: 'Sign in' }).count()).toBe(0);
});

it('ran without a script error or a CSP violation in the page', () => {
  expect(pageErrors).toEqual([]);
});
