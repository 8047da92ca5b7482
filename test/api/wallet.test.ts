import { createLedger } from '../../db/ledger';
import { createTestDatabase, TestDatabase } from '../support/db';
import { createTestApp, registerUser } from '../support/api';
import { expectLedgerInvariants, rs } from '../support/ledger';

let db: TestDatabase;
let t: ReturnType<typeof createTestApp>;

beforeAll(async () => {
  db = await createTestDatabase();
  t = createTestApp(db);
});
afterAll(() => db.drop());

it('shows balance, held and available from the ledger, with limits and usage', async () => {
  const u = await registerUser(t.http);
  const ledger = createLedger(db.knex);
  await ledger.post({
    reference: 'wallet-test:fund',
    ledgerType: 'TopIn',
    lines: [
      { account: { system: 'PLATFORM_EQUITY' }, debit: rs('500.00') },
      { account: { user: u.user.id }, credit: rs('500.00') },
    ],
  });
  await ledger.reserve({
    reference: 'wallet-test:hold',
    userId: u.user.id,
    amount: rs('120.50'),
    rules: { countTowardLimits: true },
  });
  const res = await t.http().get('/v1/wallet').set('Authorization', `Bearer ${u.accessToken}`);
  expect(res.status).toBe(200);
  expect(res.body).toEqual({
    userCode: u.user.userCode,
    balance: '500.00',
    held: '120.50',
    available: '379.50',
    currency: 'INR',
    dailyLimit: '25000.00',
    monthlyLimit: '100000.00',
    usedToday: '120.50',
    usedThisMonth: '120.50',
  });
  await expectLedgerInvariants(db.knex);
});

it('pages the statement newest first, 20/20/5, without duplicates, and only the owner sees it', async () => {
  const u = await registerUser(t.http);
  const other = await registerUser(t.http);
  const ledger = createLedger(db.knex);
  for (let i = 0; i < 45; i++) {
    await ledger.post({
      reference: `page-test:${i}`,
      ledgerType: 'TopIn',
      lines: [
        { account: { system: 'PLATFORM_EQUITY' }, debit: rs('1.00') },
        { account: { user: u.user.id }, credit: rs('1.00') },
      ],
    });
  }
  const seen: number[] = [];
  const sizes: number[] = [];
  let cursor: string | null = null;
  do {
    const res: {
      status: number;
      body: { items: Array<{ id: number; closingBalance: string }>; nextCursor: string | null };
    } = await t
      .http()
      .get(`/v1/wallet/ledger?limit=20${cursor ? `&cursor=${cursor}` : ''}`)
      .set('Authorization', `Bearer ${u.accessToken}`);
    expect(res.status).toBe(200);
    sizes.push(res.body.items.length);
    seen.push(...res.body.items.map((i) => i.id));
    cursor = res.body.nextCursor;
  } while (cursor);
  expect(sizes).toEqual([20, 20, 5]);
  expect(new Set(seen).size).toBe(45);
  expect([...seen].sort((a, b) => b - a)).toEqual(seen); // newest first
  const first = await t.http().get('/v1/wallet/ledger?limit=1').set('Authorization', `Bearer ${u.accessToken}`);
  expect(first.body.items[0]).toMatchObject({
    closingBalance: '45.00',
    openingBalance: '44.00',
    credit: '1.00',
    ledgerType: 'TopIn',
  });
  const theirs = await t.http().get('/v1/wallet/ledger').set('Authorization', `Bearer ${other.accessToken}`);
  expect(theirs.body.items).toEqual([]);
  await expectLedgerInvariants(db.knex);
});
