/**
 * The reports through the API: who may read which, the figures as the API writes them (rupee
 * strings, IST days, percentage strings), CSV twins with the same numbers, and clear refusals.
 */
import { createPaymentRecord, recordPaymentStatus } from '../../db/payments';
import { foldReportDeltas } from '../../db/reports/fold';
import { istDate } from '../../domain/calendar';
import { createTestDatabase, TestDatabase } from '../support/db';
import { createTestApp, promoteToAdmin, registerUser } from '../support/api';
import { expectReportInvariants, rs } from '../support/ledger';

let db: TestDatabase;
let t: ReturnType<typeof createTestApp>;
let admin: string;
let retailer: Awaited<ReturnType<typeof registerUser>>;
let distributor: Awaited<ReturnType<typeof registerUser>>;
const today = istDate(new Date());

beforeAll(async () => {
  db = await createTestDatabase();
  t = createTestApp(db);
  admin = (await promoteToAdmin(t.http, db.knex, await registerUser(t.http))).accessToken;
  distributor = await registerUser(t.http);
  retailer = await registerUser(t.http, { role: 'retailer' });
  await db.knex('users').where({ id: distributor.user.id }).update({ role: 'distributor' });
  await db.knex('users').where({ id: retailer.user.id }).update({ parent_distributor_id: distributor.user.id });
  const payments: Array<[string, 'recharge' | 'bill', string, 'COMPLETED' | 'FAILED']> = [
    ['pay_API1', 'recharge', '199.00', 'COMPLETED'],
    ['pay_API2', 'recharge', '50.50', 'COMPLETED'],
    ['pay_API3', 'bill', '1200.00', 'FAILED'],
  ];
  for (const [id, kind, amount, status] of payments) {
    await createPaymentRecord(db.knex, {
      id,
      kind,
      userId: retailer.user.id,
      amount: rs(amount),
      workflowId: `${kind}:${id}`,
    });
    await recordPaymentStatus(db.knex, { paymentId: id, status: 'PROCESSING' });
    await recordPaymentStatus(db.knex, { paymentId: id, status });
  }
  await foldReportDeltas(db.knex);
  // One more after the fold: the reports read it from the pending deltas.
  await createPaymentRecord(db.knex, {
    id: 'pay_API4',
    kind: 'recharge',
    userId: retailer.user.id,
    amount: rs('10.00'),
    workflowId: 'recharge:pay_API4',
  });
  await recordPaymentStatus(db.knex, { paymentId: 'pay_API4', status: 'COMPLETED' });
});
afterAll(() => db.drop());
afterEach(() => expectReportInvariants(db.knex));

const get = (path: string, token: string) => t.http().get(path).set('Authorization', `Bearer ${token}`);

it('gives the admin the summary by kind and status, with success rates and the daily series', async () => {
  const res = await get(`/v1/admin/reports/summary?from=${today}&to=${today}`, admin);
  expect(res.status).toBe(200);
  const recharge = res.body.kinds.find((k: { kind: string }) => k.kind === 'recharge');
  expect(recharge).toMatchObject({
    provider: 'recharge-aggregator',
    total: { payments: 3, amount: '259.50', fee: '0.00' },
    byStatus: { COMPLETED: { payments: 3, amount: '259.50', fee: '0.00' } },
    successRate: '100.00',
  });
  expect(res.body.kinds.find((k: { kind: string }) => k.kind === 'bill')).toMatchObject({
    byStatus: { FAILED: { payments: 1, amount: '1200.00' } },
    successRate: '0.00',
  });
  expect(res.body.series.filter((p: { period: string }) => p.period === today)).toHaveLength(6);
  expect(res.body.topUsers[0]).toMatchObject({ userCode: retailer.user.userCode, payments: 3, amount: '259.50' });
  expect(res.body.generatedAt).toMatch(/\+05:30$/);
});

it('exports the same series as CSV', async () => {
  const res = await get(`/v1/admin/reports/summary.csv?from=${today}&to=${today}`, admin);
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/csv/);
  expect(res.headers['content-disposition']).toContain(`summary-${today}-${today}.csv`);
  const lines = res.text.trim().split('\r\n');
  expect(lines[0]).toBe('period,kind,payments,amount,fee,completed,completedAmount,failed');
  expect(lines).toContain(`${today},recharge,3,259.50,0.00,3,259.50,0`);
  expect(lines).toContain(`${today},bill,1,1200.00,0.00,0,0.00,1`);
});

it('reports provider health without the internal transfers', async () => {
  const res = await get(`/v1/admin/reports/providers?from=${today}&to=${today}`, admin);
  expect(res.status).toBe(200);
  const bbps = res.body.providers.find((p: { provider: string }) => p.provider === 'bbps');
  expect(bbps).toMatchObject({ kinds: ['bill'], payments: 1, failed: 1, failureRate: '100.00', pendingRate: '0.00' });
  expect(res.body.providers.map((p: { provider: string }) => p.provider)).not.toContain('internal');
});

it('shows a distributor their network and refuses it to a retailer', async () => {
  const res = await get(`/v1/reports/network?from=${today}&to=${today}`, distributor.accessToken);
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ members: 1, payments: 3, volume: '259.50', commission: '0.00' });
  expect(res.body.byMember).toEqual([
    expect.objectContaining({ userCode: retailer.user.userCode, depth: 1, payments: 3, volume: '259.50' }),
  ]);
  const csv = await get(`/v1/reports/network.csv?from=${today}&to=${today}`, distributor.accessToken);
  expect(csv.text.split('\r\n')[1]).toMatch(new RegExp(`^${retailer.user.userCode},.*,retailer,1,3,259.50,0.00$`));

  const refused = await get('/v1/reports/network', retailer.accessToken);
  expect(refused.status).toBe(403);
});

it("shows a user their own spending by month and the limits they used, and nobody else's", async () => {
  const res = await get('/v1/reports/me', retailer.accessToken);
  expect(res.status).toBe(200);
  expect(res.body.months).toEqual([
    { month: `${today.slice(0, 7)}-01`, kind: 'recharge', payments: 3, amount: '259.50', fee: '0.00' },
  ]);
  expect(res.body.limits).toMatchObject({ dailyLimit: '25000.00', monthlyLimit: '100000.00' });
  const other = await get('/v1/reports/me', distributor.accessToken);
  expect(other.body.months).toEqual([]);
});

it('keeps the admin reports to admins', async () => {
  expect((await get('/v1/admin/reports/summary', retailer.accessToken)).status).toBe(403);
  expect((await t.http().get('/v1/admin/reports/summary')).status).toBe(401);
});

it('refuses a window that is backwards, too long or not a date, saying which', async () => {
  const backwards = await get('/v1/admin/reports/summary?from=2026-12-02&to=2026-12-01', admin);
  expect(backwards.status).toBe(400);
  expect(backwards.body.error.message).toMatch(/from must not be after to/);
  const long = await get('/v1/admin/reports/summary?from=2020-01-01&to=2026-12-01', admin);
  expect(long.status).toBe(400);
  expect(long.body.error.message).toMatch(/at most 400 days/);
  const bad = await get('/v1/admin/reports/summary?from=yesterday', admin);
  expect(bad.status).toBe(400);
  const granularity = await get('/v1/admin/reports/summary?granularity=hour', admin);
  expect(granularity.status).toBe(400);
});
