import { createTestDatabase, TestDatabase } from './support/db';
import { migrateDownToZero, migrateLatest } from '../db/migrations';

const TABLES = [
  'users',
  'transactions',
  'payments',
  'beneficiaries',
  'commissions',
  'system_accounts',
  'ledger_journals',
  'ledger_entries',
  'holds',
  'refresh_tokens',
  'idempotency_keys',
  'webhook_events',
  'audit_logs',
  'reconciliation_reports',
  'payment_records',
  'payment_events',
  'bill_fetches',
  'kyc_submissions',
];

async function tables(db: TestDatabase): Promise<string[]> {
  const [rows] = await db.knex.raw(
    'SELECT table_name AS t FROM information_schema.tables WHERE table_schema = DATABASE()',
  );
  return (rows as Array<{ t: string }>)
    .map((r) => r.t)
    .filter((t) => !t.startsWith('knex_'))
    .sort();
}

describe('migrations', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrate: false });
  });
  afterAll(() => db.drop());

  it('migrate up, down to zero, and up again', async () => {
    await migrateLatest(db.knex);
    expect(await tables(db)).toEqual([...TABLES].sort());
    await migrateDownToZero(db.knex);
    expect(await tables(db)).toEqual([]);
    const applied = await migrateLatest(db.knex);
    expect(applied).toEqual([
      '001_seed_schema',
      '002_ledger',
      '003_platform',
      '004_payment_records',
      '005_beneficiary_secrets',
      '006_bill_fetches',
      '007_kyc_submissions',
      '008_operations',
    ]);
    expect(await tables(db)).toEqual([...TABLES].sort());
  });

  it('keeps the seed schema: columns, enums and defaults of users and transactions', async () => {
    const [cols] = await db.knex.raw(
      `SELECT column_name AS c, column_type AS t, column_default AS d FROM information_schema.columns
       WHERE table_schema = DATABASE() AND table_name = 'users' ORDER BY ordinal_position`,
    );
    const byName = Object.fromEntries((cols as Array<{ c: string; t: string; d: string | null }>).map((r) => [r.c, r]));
    expect(byName.role!.t).toBe("enum('customer','retailer','distributor','admin')");
    expect(byName.role!.d).toMatch(/customer/);
    expect(byName.daily_limit!.t).toBe('decimal(15,2)');
    expect(byName.daily_limit!.d).toBe('25000.00');
    expect(byName.monthly_limit!.d).toBe('100000.00');
    expect(byName.commission_rate!.t).toBe('decimal(5,4)');
    const [tcols] = await db.knex.raw(
      `SELECT column_type AS t FROM information_schema.columns
       WHERE table_schema = DATABASE() AND table_name = 'transactions' AND column_name = 'ledger_type'`,
    );
    expect((tcols as Array<{ t: string }>)[0]!.t).toBe(
      "enum('TopIn','Transfer','Recharge','Bill','Commission','Refund')",
    );
  });

  it('refuses to update or delete ledger entries', async () => {
    const [acct] = await db.knex('system_accounts').select('id').limit(1);
    const [jid] = await db
      .knex('ledger_journals')
      .insert({ reference: 'test:immutable', ledger_type: 'TopIn', fingerprint: 'x'.repeat(64) });
    await db
      .knex('ledger_entries')
      .insert({ journal_id: jid, system_account_id: acct.id, debit: '1.00', credit: '0.00', balance_after: '1.00' });
    await expect(db.knex('ledger_entries').update({ debit: '2.00' })).rejects.toThrow(/immutable/);
    await expect(db.knex('ledger_entries').delete()).rejects.toThrow(/immutable/);
    await expect(db.knex('ledger_journals').update({ description: 'x' })).rejects.toThrow(/immutable/);
  });
});
