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

it('filters the statement by dates, type and status, keeps the filters across pages, and refuses a foreign cursor', async () => {
  const u = await registerUser(t.http);
  const ledger = createLedger(db.knex);
  // Six credits: deposits and transfers on three days (moved there directly: statement rows are
  // the seed's table, not the append-only ledger).
  const days = ['2026-11-01', '2026-11-01', '2026-11-02', '2026-11-02', '2026-11-03', '2026-11-03'];
  for (const [i, day] of days.entries()) {
    const posted = await ledger.post({
      reference: `filter-test:${u.user.id}:${i}`,
      ledgerType: 'TopIn',
      lines: [
        { account: { system: 'PLATFORM_EQUITY' }, debit: rs('1.00') },
        {
          account: { user: u.user.id },
          credit: rs('1.00'),
          statement: { transactionType: i % 2 ? 'transfer' : 'deposit' },
        },
      ],
    });
    const ids = posted.lines.flatMap((l) => (l.transactionId === null ? [] : [l.transactionId]));
    await db
      .knex('transactions')
      .whereIn('id', ids)
      .update({
        created_at: new Date(`${day}T0${i}:00:00Z`),
        ...(i === 4 ? { status: 'refunded' } : {}),
      });
  }
  const page = async (q: string) => {
    const res = await t.http().get(`/v1/wallet/ledger?${q}`).set('Authorization', `Bearer ${u.accessToken}`);
    expect(res.status).toBe(200);
    return res.body as { items: Array<{ type: string; status: string; createdAt: string }>; nextCursor: string | null };
  };
  const times = (b: { items: Array<{ createdAt: string }> }) => b.items.map((i) => i.createdAt.slice(0, 13));
  expect(times(await page('from=2026-11-02&to=2026-11-03'))).toEqual(['2026-11-02T03', '2026-11-02T02']);
  expect(times(await page('type=transfer'))).toEqual(['2026-11-03T05', '2026-11-02T03', '2026-11-01T01']);
  expect(times(await page('status=refunded'))).toEqual(['2026-11-03T04']);
  // Two at a time with a filter: the cursor keeps to it.
  const first = await page('type=deposit&limit=2');
  expect(times(first)).toEqual(['2026-11-03T04', '2026-11-02T02']);
  const second = await page(`type=deposit&limit=2&cursor=${first.nextCursor}`);
  expect(times(second)).toEqual(['2026-11-01T00']);
  expect(second.nextCursor).toBeNull();
  // A cursor of the payments list (a string id) is not one of this statement.
  const foreign = Buffer.from(JSON.stringify({ t: '2026-11-02T00:00:00.000Z', i: 'pay_x' })).toString('base64url');
  const res = await t.http().get(`/v1/wallet/ledger?cursor=${foreign}`).set('Authorization', `Bearer ${u.accessToken}`);
  expect(res.status).toBe(400);
  expect(res.body.error.code).toBe('validation_failed');
  await expectLedgerInvariants(db.knex);
});
