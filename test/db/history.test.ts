/**
 * The generated history (npm run seed:history) on real MariaDB: every ledger invariant holds
 * over it, and each report's figures equal what the ledger's own journals and entries say,
 * before and after the rollups are folded.
 */
import type { Knex } from 'knex';
import { checkInvariants } from '../../db/ledger/invariants';
import { adminSummary } from '../../db/reports/admin';
import { foldReportDeltas } from '../../db/reports/fold';
import { networkReport } from '../../db/reports/network';
import { seedHistory, HistoryResult } from '../../db/seed/history';
import { fromDecimal } from '../../db/money';
import { addDays, istDate } from '../../domain/calendar';
import { periodOf } from '../../domain/reports';
import type { Paise } from '../../domain/money';
import { createTestDatabase, temporaryTablesOnDisk, TestDatabase } from '../support/db';
import { expectLedgerInvariants } from '../support/ledger';

let db: TestDatabase;
let history: HistoryResult;
const end = new Date();
const range = { from: addDays(istDate(end), -30), to: istDate(end) };

beforeAll(async () => {
  db = await createTestDatabase({ poolMax: 12 });
  history = await seedHistory(db.knex, { payments: 1200, days: 30, retailers: 12, lanes: 4, seed: 7, end });
}, 180_000);
afterAll(() => db?.drop());

async function paise(knex: Knex, sql: string, values: unknown[] = []): Promise<Paise> {
  const [[row]] = await knex.raw(sql, values as Knex.RawBinding[]);
  return fromDecimal(row.total ?? '0.00');
}

/** What the ledger says, journal by journal: the figures each report must equal. */
async function ledgerFigures(knex: Knex) {
  const toSystem = (ledgerType: string, account: string) =>
    paise(
      knex,
      `SELECT SUM(e.credit) AS total FROM ledger_journals j JOIN ledger_entries e ON e.journal_id = j.id
         JOIN system_accounts s ON s.id = e.system_account_id WHERE j.ledger_type = ? AND s.code = ?`,
      [ledgerType, account],
    );
  const refundedFrom = (account: string) =>
    paise(
      knex,
      `SELECT SUM(e.debit) AS total FROM ledger_journals j JOIN ledger_entries e ON e.journal_id = j.id
         JOIN system_accounts s ON s.id = e.system_account_id WHERE j.ledger_type = 'Refund' AND s.code = ?`,
      [account],
    );
  const [levels] = await knex.raw(
    `SELECT CAST(RIGHT(t.reference_number, 1) AS UNSIGNED) AS level, SUM(e.credit) - SUM(e.debit) AS net
       FROM ledger_journals j JOIN ledger_entries e ON e.journal_id = j.id JOIN transactions t ON t.id = e.transaction_id
      WHERE j.ledger_type = 'Commission' AND e.user_id IS NOT NULL GROUP BY level ORDER BY level`,
  );
  return {
    topUpCredits: await paise(
      knex,
      `SELECT SUM(e.credit) AS total FROM ledger_journals j JOIN ledger_entries e ON e.journal_id = j.id
        WHERE j.ledger_type = 'TopIn' AND e.user_id IS NOT NULL`,
    ),
    transferred: await paise(
      knex,
      `SELECT SUM(e.credit) AS total FROM ledger_journals j JOIN ledger_entries e ON e.journal_id = j.id
        WHERE j.ledger_type = 'Transfer' AND e.user_id IS NOT NULL`,
    ),
    rechargeCaptured: await toSystem('Recharge', 'RECHARGE_PAYABLE'),
    rechargeReversed: await refundedFrom('RECHARGE_PAYABLE'),
    billCaptured: await toSystem('Bill', 'BBPS_PAYABLE'),
    billReversed: await refundedFrom('BBPS_PAYABLE'),
    commissionByLevel: (levels as Array<{ level: number; net: string }>).map((l) => ({
      level: Number(l.level),
      net: fromDecimal(l.net),
    })),
  };
}

async function reportFigures(knex: Knex) {
  const s = await adminSummary(knex, range, 'week');
  const kind = (k: string) => s.kinds.find((x) => x.kind === k)!;
  const amount = (k: string, status: string) =>
    (kind(k).byStatus[status as keyof (typeof s.kinds)[number]['byStatus']]?.amount ?? 0) as number;
  return {
    topUpCredits: amount('topup', 'COMPLETED'),
    transferred: amount('transfer', 'COMPLETED'),
    rechargeCaptured: amount('recharge', 'COMPLETED') + amount('recharge', 'REVERSED'),
    rechargeReversed: amount('recharge', 'REVERSED'),
    billCaptured: amount('bill', 'COMPLETED') + amount('bill', 'REVERSED'),
    billReversed: amount('bill', 'REVERSED'),
    commissionByLevel: s.commissions.map((c) => ({ level: c.level, net: c.net })),
  };
}

it('writes the history it was asked for, every kind and outcome, through the ledger', async () => {
  expect(history.payments).toBeGreaterThanOrEqual(1200);
  expect(Object.keys(history.byKind).sort()).toEqual(['bill', 'payout', 'recharge', 'topup', 'transfer']);
  expect(history.byStatus.COMPLETED).toBeGreaterThan(history.payments * 0.8);
  expect(history.byStatus.FAILED).toBeGreaterThan(0);
  expect(history.byStatus.REVERSED).toBeGreaterThan(0);
  const [[spread]] = await db.knex.raw(
    `SELECT COUNT(DISTINCT ledger_date) AS days FROM transactions WHERE transaction_type = 'recharge'`,
  );
  expect(Number(spread.days)).toBeGreaterThanOrEqual(25);
  await expectLedgerInvariants(db.knex);
}, 120_000);

it('checks every invariant over it without putting a temporary table on disk', async () => {
  // The checker runs after every money-moving test and in daily reconciliation.
  const { result: report, onDisk } = await temporaryTablesOnDisk(db.url, (one) => checkInvariants(one));
  expect(report.checks.filter((c) => !c.ok)).toEqual([]);
  expect(onDisk).toBe(0);
}, 120_000);

it('gives report figures equal to the ledger, folded or not', async () => {
  const ledger = await ledgerFigures(db.knex);
  expect(ledger.rechargeReversed).toBeGreaterThan(0);
  expect(ledger.commissionByLevel.map((l) => l.level)).toEqual([1, 2, 3]);
  expect(await reportFigures(db.knex)).toEqual(ledger);
  await foldReportDeltas(db.knex, { batch: 500 });
  expect(await reportFigures(db.knex)).toEqual(ledger);
  await expectLedgerInvariants(db.knex);
}, 120_000);

it("gives each distributor's network commission equal to what the ledger credited them", async () => {
  for (const id of history.distributors) {
    const credited = await paise(
      db.knex,
      `SELECT SUM(e.credit) - SUM(e.debit) AS total FROM ledger_journals j JOIN ledger_entries e ON e.journal_id = j.id
        WHERE j.ledger_type = 'Commission' AND e.user_id = ?`,
      [id],
    );
    const n = await networkReport(db.knex, id, range, 'month');
    expect([id, n.commission]).toEqual([id, credited]);
    expect(n.trend.reduce((a, p) => a + p.commission, 0)).toBe(credited);
  }
}, 120_000);

it('gives top users over any window equal to the payments, whole weeks read by week and the edges by day', async () => {
  const expected = async (r: { from: string; to: string }) => {
    const [rows] = await db.knex.raw(
      `SELECT user_id, COUNT(*) AS payments, SUM(amount) AS amount FROM payment_records
        WHERE status = 'COMPLETED' AND FROM_DAYS(719528 + FLOOR((UNIX_TIMESTAMP(created_at) + 19800) / 86400)) BETWEEN ? AND ?
        GROUP BY user_id ORDER BY SUM(amount) DESC, user_id LIMIT 10`,
      [r.from, r.to],
    );
    return (rows as Array<Record<string, string>>).map((x) => ({
      userId: Number(x.user_id),
      payments: Number(x.payments),
      amount: fromDecimal(x.amount),
    }));
  };
  const monday = periodOf(range.to, 'week');
  const windows = [
    range, // whole weeks and both edges
    { from: addDays(monday, -12), to: addDays(monday, -1) }, // a Thursday to a Sunday: one whole week and a left edge
    { from: addDays(monday, -14), to: addDays(monday, -8) }, // exactly one week
    { from: addDays(monday, -5), to: addDays(monday, -3) }, // inside one week
  ];
  for (const folded of [false, true]) {
    if (folded) await foldReportDeltas(db.knex, { batch: 500 });
    else {
      // A few completed payments not folded yet, so both halves are read.
      await db
        .knex('payment_records')
        .where({ status: 'COMPLETED' })
        .limit(5)
        .update({ fee: db.knex.raw('fee') });
    }
    for (const w of windows) {
      const top = (await adminSummary(db.knex, w, 'day')).topUsers;
      const want = await expected(w);
      expect(want.length).toBeGreaterThan(0);
      expect([w, folded, top.map((u) => ({ userId: u.userId, payments: u.payments, amount: u.amount }))]).toEqual([
        w,
        folded,
        want,
      ]);
    }
  }
  await expectLedgerInvariants(db.knex);
}, 120_000);
