/**
 * The console's payment page and stuck list through the admin API: a payment's timeline, the
 * journals, lines and holds it made, the webhooks sent about it, its Temporal UI link, and the
 * money a stuck payment still holds. Admins only.
 */
import { createLedger } from '../../db/ledger';
import { createPaymentRecord, recordPaymentStatus } from '../../db/payments';
import { storeWebhook } from '../../db/webhooks';
import { createTestApp, promoteToAdmin, registerUser } from '../support/api';
import { createTestDatabase, TestDatabase } from '../support/db';
import { createUser, expectLedgerInvariants, rs } from '../support/ledger';

let db: TestDatabase;
let t: ReturnType<typeof createTestApp>;
let admin: string;
let user: { id: number; userCode: string };

beforeAll(async () => {
  db = await createTestDatabase();
  t = createTestApp(db, { env: { TEMPORAL_UI_URL: 'https://temporal.ops.example.in/' } });
  admin = (await promoteToAdmin(t.http, db.knex, await registerUser(t.http))).accessToken;
  user = await createUser(db.knex, { balance: '500.00' });
  const ledger = createLedger(db.knex);
  // A recharge that was captured, and a payout still holding its money.
  await createPaymentRecord(db.knex, {
    id: 'pay_PAGE1',
    kind: 'recharge',
    userId: user.id,
    amount: rs('149.00'),
    workflowId: 'recharge:pay_PAGE1',
  });
  await recordPaymentStatus(db.knex, { paymentId: 'pay_PAGE1', status: 'PROCESSING', note: 'sent to the operator' });
  await ledger.reserve({ reference: 'recharge:pay_PAGE1:hold', userId: user.id, amount: rs('149.00') });
  await ledger.capture({
    holdReference: 'recharge:pay_PAGE1:hold',
    reference: 'recharge:pay_PAGE1:capture',
    to: { system: 'RECHARGE_PAYABLE' },
    ledgerType: 'Recharge',
  });
  await recordPaymentStatus(db.knex, { paymentId: 'pay_PAGE1', status: 'COMPLETED' });
  await storeWebhook(db.knex, {
    provider: 'recharge',
    rawBody: '{"clientRef":"pay_PAGE1","status":"SUCCESS"}',
    eventType: 'recharge.success',
    providerRef: 'pay_PAGE1',
    payload: { clientRef: 'pay_PAGE1', status: 'SUCCESS' },
  });
  await createPaymentRecord(db.knex, {
    id: 'pay_PAGE2',
    kind: 'payout',
    userId: user.id,
    amount: rs('30.00'),
    workflowId: 'payout:pay_PAGE2',
  });
  await ledger.reserve({ reference: 'payout:pay_PAGE2:hold', userId: user.id, amount: rs('30.00') });
  await recordPaymentStatus(db.knex, { paymentId: 'pay_PAGE2', status: 'NEEDS_ATTENTION', note: 'bank unreachable' });
  // Look-alike references that must not show on pay_PAGE1's page (a longer id; '_' as a LIKE wildcard).
  for (const ref of ['recharge:pay_PAGE10:hold', 'recharge:payXPAGE1:hold']) {
    await ledger.reserve({ reference: ref, userId: user.id, amount: rs('1.00') });
    await ledger.release(ref, 'test look-alike');
  }
});
afterAll(() => db.drop());
afterEach(() => expectLedgerInvariants(db.knex));

const get = (path: string, token = admin) => t.http().get(path).set('Authorization', `Bearer ${token}`);

it("shows a payment's timeline, ledger lines, holds, webhooks and Temporal UI link", async () => {
  const res = await get('/v1/admin/payments/pay_PAGE1');
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({
    paymentId: 'pay_PAGE1',
    status: 'COMPLETED',
    amount: '149.00',
    userCode: user.userCode,
    workflowId: 'recharge:pay_PAGE1',
    temporalUrl: 'https://temporal.ops.example.in/namespaces/default/workflows/recharge%3Apay_PAGE1',
  });
  expect(res.body.timeline.map((e: { status: string }) => e.status)).toEqual(['CREATED', 'PROCESSING', 'COMPLETED']);
  expect(res.body.journals.map((j: { reference: string }) => j.reference)).toEqual(['recharge:pay_PAGE1:capture']);
  const lines = res.body.journals[0].lines;
  expect(lines).toEqual(
    expect.arrayContaining([
      expect.objectContaining({
        account: `wallet ${user.userCode}`,
        debit: '149.00',
        credit: '0.00',
        balanceAfter: '351.00',
      }),
      expect.objectContaining({ account: 'RECHARGE_PAYABLE', debit: '0.00', credit: '149.00' }),
    ]),
  );
  expect(res.body.holds).toMatchObject([
    { reference: 'recharge:pay_PAGE1:hold', amount: '149.00', status: 'captured' },
  ]);
  expect(res.body.webhooks).toMatchObject([{ provider: 'recharge', eventType: 'recharge.success', signalledAt: null }]);
  expect(res.body.webhooks[0].receivedAt).toMatch(/\+05:30$/);
});

it('lists stuck payments with the money they still hold', async () => {
  const res = await get('/v1/admin/payments?status=NEEDS_ATTENTION');
  expect(res.status).toBe(200);
  expect(res.body.items).toMatchObject([
    { paymentId: 'pay_PAGE2', kind: 'payout', amount: '30.00', held: '30.00', providerName: 'payout-bank' },
  ]);
  const open = await get('/v1/admin/payments?kind=recharge&status=COMPLETED');
  expect(open.body.items).toMatchObject([{ paymentId: 'pay_PAGE1', held: '0.00' }]);
});

it('refuses anyone but an admin, and says when a payment does not exist', async () => {
  const someone = (await registerUser(t.http)).accessToken;
  expect((await get('/v1/admin/payments/pay_PAGE1', someone)).status).toBe(403);
  const missing = await get('/v1/admin/payments/pay_NOPE1');
  expect([missing.status, missing.body.error.code]).toEqual([404, 'not_found']);
});
