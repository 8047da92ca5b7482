/**
 * The account side of issue 4 through the real API on MariaDB: KYC submission and decision,
 * user administration with its audit trail, beneficiaries (encrypted, masked, penny-drop through
 * the payout simulator), the statement as CSV, earned commissions and the downline.
 */
import { createLedger } from '../../db/ledger';
import { RunningSimulators } from '../../simulators/app';
import { createTestApp, promoteToAdmin, registerUser } from '../support/api';
import { createTestDatabase, TestDatabase } from '../support/db';
import { createUser, expectLedgerInvariants, rs } from '../support/ledger';
import { payoutClientFor, simControl, startTestSimulators } from '../support/simulators';

let db: TestDatabase;
let sims: RunningSimulators;
let app: ReturnType<typeof createTestApp>;
beforeAll(async () => {
  db = await createTestDatabase();
  sims = await startTestSimulators();
  app = createTestApp(db, { gateways: { payout: payoutClientFor(sims, 2000) } });
});
afterAll(async () => {
  await sims?.close();
  await db?.drop();
});

afterEach(() => expectLedgerInvariants(db.knex));

const http = () => app.http();
/** JSON columns arrive parsed or as text depending on the server (MariaDB stores JSON as LONGTEXT). */
const json = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);
async function admin() {
  const a = await registerUser(http);
  await promoteToAdmin(http, db.knex, a);
  return a;
}
const as = (token: string) => ({
  Authorization: `Bearer ${token}`,
  'X-Request-Id': `req-${Math.random().toString(36).slice(2, 10)}`,
});

describe('KYC', () => {
  it('a user submits, stays pending; an admin rejects with a reason, the user resubmits, the admin verifies; all audited', async () => {
    const u = await registerUser(http);
    const a = await admin();
    const submit = (body: object) => http().post('/v1/me/kyc').set(as(u.accessToken)).send(body);
    expect((await submit({ pan: 'abcde1234f' })).status).toBe(400);
    const first = await submit({
      pan: 'ABCDE1234F',
      aadhaarLast4: '4321',
      address: '12 MG Road, Pune',
      dateOfBirth: '1990-05-17',
    });
    expect(first.status).toBe(202);
    expect((await submit({ pan: 'ABCDE1234F' })).body.error.code).toBe('kyc_pending');
    expect((await http().get('/v1/me').set(as(u.accessToken))).body.kycStatus).toBe('pending');

    const noReason = await http()
      .post(`/v1/admin/users/${u.user.id}/kyc`)
      .set(as(a.accessToken))
      .send({ status: 'rejected' });
    expect(noReason.status).toBe(400);
    const headers = as(a.accessToken);
    const rejected = await http()
      .post(`/v1/admin/users/${u.user.id}/kyc`)
      .set(headers)
      .set('User-Agent', 'ops-console')
      .send({ status: 'rejected', reason: 'PAN photo unreadable' });
    expect(rejected.status).toBe(200);
    expect(rejected.body.kycStatus).toBe('rejected');
    const audit = await db
      .knex('audit_logs')
      .where({ action: 'admin.users.kyc', target_id: String(u.user.id) })
      .first();
    expect(audit).toMatchObject({
      actor_user_id: a.user.id,
      target_type: 'user',
      outcome: 'success',
      request_id: headers['X-Request-Id'],
      user_agent: 'ops-console',
    });
    expect(audit.ip_address).toBeTruthy();
    expect(json(audit.details)).toMatchObject({ before: 'pending', after: 'rejected', reason: 'PAN photo unreadable' });

    expect((await submit({ pan: 'ABCDE1234F' })).status).toBe(202);
    expect(
      (await http().post(`/v1/admin/users/${u.user.id}/kyc`).set(as(a.accessToken)).send({ status: 'verified' })).body
        .kycStatus,
    ).toBe('verified');
    expect((await submit({ pan: 'ABCDE1234F' })).body.error.code).toBe('kyc_already_verified');
    const history = await db.knex('kyc_submissions').where({ user_id: u.user.id }).orderBy('id');
    expect(history.map((h) => [h.status, h.decided_by])).toEqual([
      ['rejected', a.user.id],
      ['verified', a.user.id],
    ]);
    expect(await db.knex('audit_logs').where({ action: 'kyc.submit', actor_user_id: u.user.id })).toHaveLength(2);
  });

  it('only admins decide', async () => {
    const u = await registerUser(http);
    const other = await registerUser(http);
    expect(
      (await http().post(`/v1/admin/users/${u.user.id}/kyc`).set(as(other.accessToken)).send({ status: 'verified' }))
        .status,
    ).toBe(403);
  });
});

describe('user administration', () => {
  it('creates a distributor chain, sets rates and limits, refuses cycles and bad parents; audits refusals too', async () => {
    const a = await admin();
    const create = (body: object) => http().post('/v1/admin/users').set(as(a.accessToken)).send(body);
    const base = (n: string) => ({
      email: `${n}@dist.in`,
      username: n,
      phone: `7${String(Math.floor(Math.random() * 1e9)).padStart(9, '0')}`,
      password: 'long enough pass',
    });
    const top = await create({
      ...base('topdist'),
      role: 'distributor',
      commissionRate: '0.005',
      kycStatus: 'verified',
    });
    expect(top.status).toBe(201);
    // Not an admin: one admin could make another to approve their own four-eyes proposals.
    const adminByApi = await create({ ...base('another_admin'), role: 'admin' });
    expect([adminByApi.status, adminByApi.body.error.details[0].path]).toEqual([400, 'role']);
    expect(top.body).toMatchObject({ role: 'distributor', commissionRate: '0.0050', kycStatus: 'verified' });
    const mid = await create({
      ...base('middist'),
      role: 'distributor',
      parentUserCode: top.body.userCode,
      commissionRate: '0.0100',
    });
    expect(mid.body.parentDistributorId).toBe(top.body.id);
    expect((await create({ ...base('badrate'), role: 'distributor', commissionRate: '1.5' })).status).toBe(400);
    const r = await create({ ...base('newretail'), role: 'retailer', parentUserCode: mid.body.userCode });
    expect(r.status).toBe(201);

    const patch = (id: number, body: object) => http().patch(`/v1/admin/users/${id}`).set(as(a.accessToken)).send(body);
    const cycle = await patch(top.body.id, { parentUserCode: mid.body.userCode });
    expect([cycle.status, cycle.body.error.code]).toEqual([422, 'hierarchy_cycle']);
    expect((await patch(mid.body.id, { parentUserCode: r.body.userCode })).body.error.code).toBe('invalid_parent');
    expect((await patch(r.body.id, { dailyLimit: '5000.00', monthlyLimit: '4000.00' })).body.error.code).toBe(
      'invalid_limits',
    );
    const ok = await patch(r.body.id, {
      dailyLimit: '5000.00',
      monthlyLimit: '60000.00',
      isActive: false,
      parentUserCode: null,
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ isActive: false, parentDistributorId: null });
    const row = await db.knex('users').where({ id: r.body.id }).first();
    expect([row.daily_limit, row.monthly_limit]).toEqual(['5000.00', '60000.00']);
    expect((await patch(r.body.id, {})).status).toBe(400);

    const audits = await db
      .knex('audit_logs')
      .where({ action: 'admin.users.update', actor_user_id: a.user.id })
      .orderBy('id');
    expect(audits.map((x) => x.outcome)).toEqual(['failure', 'failure', 'failure', 'success']);
    expect(json(audits[3].details)).toMatchObject({
      before: { isActive: true, dailyLimit: '25000.00' },
      after: { isActive: false, dailyLimit: '5000.00', parentDistributorId: null },
    });
    expect(json(audits[0].details)).toMatchObject({ code: 'hierarchy_cycle' });

    const list = await http().get('/v1/admin/users?role=distributor&q=dist').set(as(a.accessToken));
    expect(list.body.items.map((u: any) => u.username).sort()).toEqual(['middist', 'topdist']);
    const page1 = await http().get('/v1/admin/users?limit=2').set(as(a.accessToken));
    const page2 = await http().get(`/v1/admin/users?limit=2&cursor=${page1.body.nextCursor}`).set(as(a.accessToken));
    expect(page2.body.items[0].id).toBeLessThan(page1.body.items[1].id);
    // A cursor of the payments list (a string id) is not one of this list.
    const foreign = Buffer.from(JSON.stringify({ t: '2026-11-02T00:00:00.000Z', i: 'pay_x' })).toString('base64url');
    const refused = await http().get(`/v1/admin/users?cursor=${foreign}`).set(as(a.accessToken));
    expect([refused.status, refused.body.error.code]).toEqual([400, 'validation_failed']);
    const customer = await registerUser(http);
    expect((await http().get('/v1/admin/users').set(as(customer.accessToken))).status).toBe(403);
  });
});

describe('beneficiaries', () => {
  it('stores the number encrypted, answers it masked, refuses duplicates, hides other users', async () => {
    const u = await registerUser(http);
    const add = (body: object, token = u.accessToken) => http().post('/v1/beneficiaries').set(as(token)).send(body);
    const good = {
      beneficiaryName: 'Asha Rao',
      accountNumber: '001234567890',
      ifscCode: 'ICIC0000123',
      bankName: 'ICICI Bank',
    };
    expect((await add({ ...good, ifscCode: 'ICIC123' })).body.error.details[0].path).toContain('ifscCode');
    const created = await add(good);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ accountNumber: 'XXXXXX7890', isVerified: false });
    const row = await db.knex('beneficiaries').where({ id: created.body.id }).first();
    expect(row.account_number).toMatch(/^v2:/);
    expect(row.account_number).not.toContain('001234567890');
    expect(row.account_hash).toMatch(/^[0-9a-f]{64}$/);
    expect((await add(good)).status).toBe(409);
    // The same account at another bank branch (IFSC) is a different beneficiary.
    expect((await add({ ...good, ifscCode: 'ICIC0000999' })).status).toBe(201);
    const other = await registerUser(http);
    expect((await add(good, other.accessToken)).status).toBe(201);
    expect((await http().get(`/v1/beneficiaries/${created.body.id}`).set(as(other.accessToken))).status).toBe(404);
    expect((await http().delete(`/v1/beneficiaries/${created.body.id}`).set(as(other.accessToken))).status).toBe(404);

    expect((await http().get('/v1/beneficiaries').set(as(u.accessToken))).body.items).toHaveLength(2);
    expect((await http().delete(`/v1/beneficiaries/${created.body.id}`).set(as(u.accessToken))).status).toBe(204);
    expect((await http().get('/v1/beneficiaries').set(as(u.accessToken))).body.items).toHaveLength(1);
    expect((await db.knex('beneficiaries').where({ id: created.body.id }).first()).is_active).toBe(0);
    // Re-adding a removed account brings the same row back, unverified.
    const again = await add(good);
    expect([again.status, again.body.id, again.body.isVerified]).toEqual([201, created.body.id, false]);
  });

  it('verifies by penny-drop through the payout provider, storing the name the bank holds', async () => {
    const u = await registerUser(http);
    const ok = await http()
      .post('/v1/beneficiaries')
      .set(as(u.accessToken))
      .send({ beneficiaryName: 'Vikram S', accountNumber: '55554444333322', ifscCode: 'SBIN0001234', bankName: 'SBI' });
    const pennyDrops = async () =>
      (await simControl(sims, 'payout').requests()).filter((r) => r.path.endsWith('/v1/accounts/verify'));
    const before = (await pennyDrops()).length;
    // A penny-drop reveals an account holder's name: not before the user's own KYC is verified.
    const early = await http().post(`/v1/beneficiaries/${ok.body.id}/verify`).set(as(u.accessToken)).send();
    expect([early.status, early.body.error.code]).toEqual([422, 'kyc_required']);
    expect(await pennyDrops()).toHaveLength(before);

    await db.knex('users').where({ id: u.user.id }).update({ kyc_status: 'verified' });
    const verified = await http().post(`/v1/beneficiaries/${ok.body.id}/verify`).set(as(u.accessToken)).send();
    expect(verified.status).toBe(200);
    expect(verified.body.isVerified).toBe(true);
    expect(verified.body.nameAtBank).toMatch(/\w+ \w+/);
    expect(verified.body.verificationDate).toBeTruthy();
    // The provider saw the real number (decrypted only for this call).
    const sent = await pennyDrops();
    expect(sent).toHaveLength(before + 1);
    expect(sent.at(-1)!.body).toEqual({ accountNumber: '55554444333322', ifsc: 'SBIN0001234' });
    // Verified once is verified: asking again answers from the record, without a second penny-drop.
    const again = await http().post(`/v1/beneficiaries/${ok.body.id}/verify`).set(as(u.accessToken)).send();
    expect([again.status, again.body.nameAtBank]).toEqual([200, verified.body.nameAtBank]);
    expect(await pennyDrops()).toHaveLength(before + 1);

    await simControl(sims, 'payout').account({ accountNumber: '99998888777766', valid: false });
    const bad = await http()
      .post('/v1/beneficiaries')
      .set(as(u.accessToken))
      .send({ beneficiaryName: 'Nobody', accountNumber: '99998888777766', ifscCode: 'SBIN0001234', bankName: 'SBI' });
    const refused = await http().post(`/v1/beneficiaries/${bad.body.id}/verify`).set(as(u.accessToken)).send();
    expect([refused.status, refused.body.error.code]).toEqual([422, 'beneficiary_invalid']);
    expect((await http().get(`/v1/beneficiaries/${bad.body.id}`).set(as(u.accessToken))).body.isVerified).toBe(false);
  });
});

describe('statement CSV, commissions and downline', () => {
  it('streams the same rows as the JSON statement, quoted safely', async () => {
    const u = await registerUser(http);
    const ledger = createLedger(db.knex);
    for (let i = 0; i < 3; i++) {
      await ledger.post({
        reference: `csv:${u.user.id}:${i}`,
        ledgerType: 'TopIn',
        lines: [
          { account: { system: 'PLATFORM_EQUITY' }, debit: rs('10.00') },
          {
            account: { user: u.user.id },
            credit: rs('10.00'),
            statement: { remarks: i === 0 ? 'comma, "quote"\nnewline' : i === 1 ? '=HYPERLINK("x")' : 'plain' },
          },
        ],
      });
    }
    const res = await http().get('/v1/wallet/ledger.csv').set(as(u.accessToken));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/csv/);
    expect(res.headers['content-disposition']).toMatch(/attachment; filename="statement-NP\d+\.csv"/);
    const json = await http().get('/v1/wallet/ledger?limit=100').set(as(u.accessToken));
    const text = res.text;
    expect(text.split('\r\n')[0]).toBe(
      'createdAt,referenceNumber,ledgerDate,type,ledgerType,status,remarks,debit,credit,openingBalance,closingBalance',
    );
    expect(text).toContain('"comma, ""quote""\nnewline"');
    expect(text).toContain(`"'=HYPERLINK(""x"")"`);
    expect(text).toContain(',plain,');
    // One record per statement line, in the same order (records may contain quoted newlines).
    const records = text.trim().split(/\r\n/).slice(1);
    expect(records).toHaveLength(json.body.items.length);
    json.body.items.forEach((item: any, i: number) =>
      expect(records[i]!.startsWith(`${item.createdAt},${item.referenceNumber ?? ''},`)).toBe(true),
    );
  });

  it('lists commissions I earned with totals by level, and my downline three levels deep', async () => {
    const top = await registerUser(http);
    await db.knex('users').where({ id: top.user.id }).update({ role: 'distributor', kyc_status: 'verified' });
    const mid = await createUser(db.knex, { role: 'distributor', parentId: top.user.id, balance: '50.00' });
    const low = await createUser(db.knex, { role: 'distributor', parentId: mid.id });
    const shop = await createUser(db.knex, { role: 'retailer', parentId: low.id, balance: '100.00' });
    const below = await createUser(db.knex, { role: 'retailer', parentId: shop.id });
    const tx = async (userId: number, n: number) =>
      (
        await db.knex('transactions').insert({
          user_id: userId,
          transaction_type: 'recharge',
          amount: '100.00',
          status: 'completed',
          reference_number: `tx-${userId}-${n}`,
        })
      )[0] as number;
    await db.knex('commissions').insert([
      {
        user_id: shop.id,
        transaction_id: await tx(shop.id, 1),
        commission_rate: '0.0050',
        commission_amount: '0.50',
        level: 3,
        parent_user_id: top.user.id,
      },
      {
        user_id: shop.id,
        transaction_id: await tx(shop.id, 2),
        commission_rate: '0.0050',
        commission_amount: '1.25',
        level: 3,
        parent_user_id: top.user.id,
      },
      {
        user_id: low.id,
        transaction_id: await tx(low.id, 3),
        commission_rate: '0.0050',
        commission_amount: '2.00',
        level: 2,
        parent_user_id: top.user.id,
      },
    ]);
    const c = await http().get('/v1/commissions').set(as(top.accessToken));
    expect(c.status).toBe(200);
    expect(c.body.total).toBe('3.75');
    expect(c.body.byLevel).toEqual([
      { level: 2, amount: '2.00' },
      { level: 3, amount: '1.75' },
    ]);
    expect(c.body.items).toHaveLength(3);
    const future = await http()
      .get(`/v1/commissions?from=${encodeURIComponent(new Date(Date.now() + 86_400_000).toISOString())}`)
      .set(as(top.accessToken));
    expect(future.body).toMatchObject({ items: [], total: '0.00' });

    const d = await http().get('/v1/me/downline').set(as(top.accessToken));
    expect(d.body.items.map((m: any) => [m.level, m.userCode])).toEqual([
      [1, mid.userCode],
      [2, low.userCode],
      [3, shop.userCode],
    ]);
    expect(d.body.items.map((m: any) => m.userCode)).not.toContain(below.userCode);
    expect(d.body.totals).toMatchObject({
      members: 3,
      balance: '150.00',
      byLevel: [
        { level: 1, members: 1, balance: '50.00' },
        { level: 2, members: 1, balance: '0.00' },
        { level: 3, members: 1, balance: '100.00' },
      ],
    });
    const customer = await registerUser(http);
    expect((await http().get('/v1/me/downline').set(as(customer.accessToken))).body).toMatchObject({
      items: [],
      totals: { members: 0 },
    });
  });
});
