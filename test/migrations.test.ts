import { createTestDatabase, TestDatabase } from './support/db';
import { migrateDownToZero, migrateLatest, migrationConfig } from '../db/migrations';
import { createLedger } from '../db/ledger';
import { istDate, istMonth, istMonthStart } from '../domain/calendar';
import { createUser } from './support/ledger';
import { foldReportDeltas } from '../db/reports/fold';
import { adminSummary } from '../db/reports/admin';
import { checkInvariants } from '../db/ledger/invariants';
import { REPORT_CHECKS } from '../db/reports/invariants';

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
  'sessions',
  'rate_limit_counters',
  'two_factor',
  'two_factor_recovery_codes',
  'operator_approvals',
  'app_locks',
  'idempotency_keys',
  'webhook_events',
  'audit_logs',
  'reconciliation_reports',
  'payment_records',
  'payment_events',
  'bill_fetches',
  'kyc_submissions',
  'report_payment_deltas',
  'report_settle_deltas',
  'report_commission_deltas',
  'report_payment_days',
  'report_user_days',
  'report_user_weeks',
  'report_settle_days',
  'report_commission_days',
  'report_commission_level_days',
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
      '009_limit_counters',
      '010_redundant_statement_indexes',
      '011_reversal_watch',
      '012_live_session_index',
      '013_sessions',
      '014_rate_limit_counters',
      '015_two_factor',
      '016_operator_approvals',
      '017_immutable_audit_log',
      '018_hierarchy_lock',
      '019_sealed_kyc',
      '020_report_rollups',
      '021_covering_user_days',
      '022_active_holds_index',
      '023_report_user_weeks',
      '024_session_version',
      '025_timeline_starts_with_record',
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

  it('leaves no index on the tables every posting writes that another index already provides', async () => {
    const [rows] = await db.knex.raw(
      `SELECT table_name AS t, index_name AS i, non_unique AS nu, GROUP_CONCAT(column_name ORDER BY seq_in_index) AS cols
         FROM information_schema.statistics
        WHERE table_schema = DATABASE() AND table_name IN ('transactions', 'ledger_journals', 'ledger_entries', 'holds')
        GROUP BY table_name, index_name, non_unique`,
    );
    const indexes = rows as Array<{ t: string; i: string; nu: number; cols: string }>;
    // A non-unique index is redundant when another index of its table starts with the same columns.
    const redundant = indexes.filter(
      (a) =>
        Number(a.nu) === 1 &&
        indexes.some(
          (b) =>
            b !== a &&
            b.t === a.t &&
            `${b.cols},`.startsWith(`${a.cols},`) &&
            (b.cols !== a.cols || b.i < a.i || Number(b.nu) === 0),
        ),
    );
    expect(redundant.map((r) => `${r.t}.${r.i} (${r.cols})`)).toEqual([]);
    // The seed's own indexes on transactions are all still served.
    const served = (cols: string) => indexes.some((x) => x.t === 'transactions' && `${x.cols},`.startsWith(`${cols},`));
    for (const cols of [
      'user_id,created_at',
      'reference_number',
      'status',
      'transaction_type',
      'ledger_date',
      'user_code',
      'ledger_type',
      'amount',
      'payment_method',
    ])
      expect([cols, served(cols)]).toEqual([cols, true]);
  });

  it('refuses to update or delete ledger entries and audit rows', async () => {
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
    await db.knex('audit_logs').insert({ action: 'test.immutable', outcome: 'success' });
    await expect(db.knex('audit_logs').update({ action: 'test.changed' })).rejects.toThrow(/immutable/);
    await expect(db.knex('audit_logs').delete()).rejects.toThrow(/immutable/);
  });

  it('009 fills the limit counters from what counts in the IST day and month it runs in', async () => {
    // Back to 008, then history written the old way.
    while ((await db.knex.migrate.currentVersion(migrationConfig)) > '008') await db.knex.migrate.down(migrationConfig);
    const user = await createUser(db.knex);
    const [sys] = await db.knex('system_accounts').select('id').where({ code: 'RECHARGE_PAYABLE' });
    const now = new Date();
    const lastMonth = new Date(istMonth(now).from.getTime() - 3_600_000);
    const journal = async (ref: string, counts: boolean, at: Date, amount: string) => {
      const [jid] = await db.knex('ledger_journals').insert({
        reference: ref,
        ledger_type: 'Recharge',
        fingerprint: 'x'.repeat(64),
        counts_toward_limits: counts,
        created_at: at,
      });
      await db.knex('ledger_entries').insert([
        { journal_id: jid, user_id: user.id, debit: amount, balance_after: '0.00', created_at: at },
        { journal_id: jid, system_account_id: sys.id, credit: amount, balance_after: amount, created_at: at },
      ]);
    };
    await journal('m9:today', true, now, '10.00');
    await journal('m9:last-month', true, lastMonth, '7.00');
    await journal('m9:not-counted', false, now, '100.00');
    await db.knex('holds').insert([
      { reference: 'm9:hold', user_id: user.id, amount: '3.00', status: 'active', counts_toward_limits: true },
      { reference: 'm9:released', user_id: user.id, amount: '4.00', status: 'released', counts_toward_limits: true },
    ]);

    expect(await migrateLatest(db.knex)).toEqual([
      '009_limit_counters',
      '010_redundant_statement_indexes',
      '011_reversal_watch',
      '012_live_session_index',
      '013_sessions',
      '014_rate_limit_counters',
      '015_two_factor',
      '016_operator_approvals',
      '017_immutable_audit_log',
      '018_hierarchy_lock',
      '019_sealed_kyc',
      '020_report_rollups',
      '021_covering_user_days',
      '022_active_holds_index',
      '023_report_user_weeks',
      '024_session_version',
      '025_timeline_starts_with_record',
    ]);
    const row = await db.knex('users').where({ id: user.id }).first();
    expect(row).toMatchObject({
      limit_day: istDate(now),
      limit_day_used: '13.00',
      limit_month: istMonthStart(now),
      limit_month_used: '13.00',
    });
    const report = await createLedger(db.knex).checkInvariants();
    expect(report.checks.find((c) => c.id === 'limit_counters')).toMatchObject({ ok: true, offending: [] });
  });

  it('013 makes a session of every refresh-token family, revoked when none of its tokens is live', async () => {
    while ((await db.knex.migrate.currentVersion(migrationConfig)) > '012') await db.knex.migrate.down(migrationConfig);
    const user = await createUser(db.knex);
    const now = Date.now();
    const at = (minutesAgo: number) => new Date(now - minutesAgo * 60_000);
    const token = (family: string, n: number, o: { created: Date; revoked?: Date; ip: string; ua?: string }) => ({
      user_id: user.id,
      family_id: family,
      token_hash: `${family}${n}`.padEnd(64, '0'),
      expires_at: new Date(o.created.getTime() + 7 * 86_400_000),
      revoked_at: o.revoked ?? null,
      ip_address: o.ip,
      user_agent: o.ua ?? null,
      created_at: o.created,
    });
    const live = '01JLIVE0000000000000000000';
    const ended = '01JENDED000000000000000000';
    const chrome =
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
    await db
      .knex('refresh_tokens')
      .insert([
        token(live, 1, { created: at(60), revoked: at(30), ip: '10.0.0.1', ua: chrome }),
        token(live, 2, { created: at(30), ip: '10.0.0.2', ua: chrome }),
        token(ended, 1, { created: at(50), revoked: at(20), ip: '10.0.0.3' }),
      ]);

    expect(await migrateLatest(db.knex)).toEqual([
      '013_sessions',
      '014_rate_limit_counters',
      '015_two_factor',
      '016_operator_approvals',
      '017_immutable_audit_log',
      '018_hierarchy_lock',
      '019_sealed_kyc',
      '020_report_rollups',
      '021_covering_user_days',
      '022_active_holds_index',
      '023_report_user_weeks',
      '024_session_version',
      '025_timeline_starts_with_record',
    ]);
    const sessions = await db.knex('sessions').where({ user_id: user.id }).orderBy('id');
    expect(sessions).toMatchObject([
      {
        id: ended,
        device: 'unknown device',
        ip_address: '10.0.0.3',
        created_at: at(50),
        revoked_at: at(20),
      },
      {
        id: live,
        device: 'Chrome on Windows',
        ip_address: '10.0.0.1',
        last_ip: '10.0.0.2',
        created_at: at(60),
        last_used_at: at(30),
        revoked_at: null,
      },
    ]);
    // Tokens now belong to their session: a token of no session is refused.
    await expect(
      db.knex('refresh_tokens').insert(token('01JNOSESSION00000000000000', 1, { created: at(0), ip: 'x' })),
    ).rejects.toThrow(/foreign key/i);
  });

  it('020 turns the payments and commission lines already there into rollups', async () => {
    while ((await db.knex.migrate.currentVersion(migrationConfig)) > '019') await db.knex.migrate.down(migrationConfig);
    const earner = await createUser(db.knex, { role: 'distributor' });
    const payer = await createUser(db.knex, { parentId: earner.id });
    const created = new Date('2026-03-31T20:00:00Z'); // 1 April in IST
    const payment = (id: string, status: string, amount: string) => ({
      id,
      kind: 'recharge',
      user_id: payer.id,
      amount,
      status,
      workflow_id: `recharge:${id}`,
      created_at: created,
      updated_at: new Date('2026-04-02T00:00:00Z'),
    });
    await db
      .knex('payment_records')
      .insert([
        payment('pay_M1', 'COMPLETED', '100.00'),
        payment('pay_M2', 'FAILED', '40.00'),
        payment('pay_M3', 'PROCESSING', '7.00'),
      ]);
    await db.knex('payment_events').insert([
      { payment_id: 'pay_M1', status: 'COMPLETED', created_at: new Date(created.getTime() + 2_000) },
      { payment_id: 'pay_M2', status: 'FAILED', created_at: new Date(created.getTime() + 30_000) },
    ]);
    await db.knex('transactions').insert({
      user_id: earner.id,
      transaction_type: 'commission',
      amount: '1.50',
      status: 'completed',
      reference_number: 'pay_M1:commission:1',
      from_account_id: payer.id,
      ledger_date: '2026-04-01',
      credit_amount: '1.50',
      debit_amount: '0.00',
    });

    expect(await migrateLatest(db.knex)).toEqual([
      '020_report_rollups',
      '021_covering_user_days',
      '022_active_holds_index',
      '023_report_user_weeks',
      '024_session_version',
      '025_timeline_starts_with_record',
    ]);
    const settled = await db.knex('payment_records').orderBy('id').select('id', 'settled_at', 'updated_at');
    expect(settled.map((p) => [p.id, p.settled_at?.getTime() ?? null, p.updated_at.toISOString()])).toEqual([
      ['pay_M1', created.getTime() + 2_000, '2026-04-02T00:00:00.000Z'],
      ['pay_M2', created.getTime() + 30_000, '2026-04-02T00:00:00.000Z'],
      ['pay_M3', null, '2026-04-02T00:00:00.000Z'],
    ]);
    await foldReportDeltas(db.knex);
    const checks = await checkInvariants(
      db.knex,
      REPORT_CHECKS.map((c) => c.id),
    );
    expect(checks.checks.filter((c) => !c.ok)).toEqual([]);
    const s = await adminSummary(db.knex, { from: '2026-04-01', to: '2026-04-01' }, 'day');
    const recharge = s.kinds.find((k) => k.kind === 'recharge')!;
    expect([recharge.total.payments, recharge.completed, recharge.failed, recharge.open]).toEqual([3, 1, 1, 1]);
    expect(recharge.settle.payments).toBe(2);
    expect(s.commissions).toMatchObject([{ level: 1, paid: 1, paidAmount: 150 }]);
  });
});
