/**
 * The ledger invariant checker (docs/ledger.md, "Invariants"). Used after every
 * money-moving test, by `npm run ledger:check`, the admin API and daily reconciliation.
 * Each check lists the offending rows (at most 50) so a failure says where to look.
 */
import type { Knex } from 'knex';
import { HELD_KINDS } from '../../domain/heldKinds';
import { commissionReferenceOf, referenceSql } from '../../domain/references';
import { COUNTED_TOWARD_LIMITS_SQL } from './limits';
import { REPORT_CHECKS } from '../reports/invariants';
import { missingTriggers } from '../triggers';
import { TIMELINE_TRIGGERS } from '../migrations/025_timeline_starts_with_record';

/** The held kinds as an SQL list: fixed words from the registry, never user input. */
const HELD_KIND_LIST = Object.keys(HELD_KINDS)
  .map((k) => `'${k}'`)
  .join(', ');

export interface InvariantCheck {
  id: string;
  title: string;
  ok: boolean;
  offending: Array<Record<string, unknown>>;
}

export interface InvariantReport {
  ok: boolean;
  checkedAt: string;
  checks: InvariantCheck[];
}

const LIMIT = 50;

/** 'commission:': what every commission posting's reference starts with. */
const COMMISSION_PREFIX = commissionReferenceOf('');

/** The signed change an entry makes to its account under the account's normal side. */
const ENTRY_DELTA = `CASE WHEN e.user_id IS NOT NULL OR s.normal_side = 'credit' THEN e.credit - e.debit ELSE e.debit - e.credit END`;

async function rows(db: Knex, sql: string): Promise<Array<Record<string, unknown>>> {
  const [result] = await db.raw(`${sql} LIMIT ${LIMIT}`);
  return result as Array<Record<string, unknown>>;
}

const CHECKS: Array<{ id: string; title: string; run(db: Knex): Promise<Array<Record<string, unknown>>> }> = [
  {
    id: 'conservation',
    title: 'Every journal balances (debits = credits, at least two lines), and so does the whole ledger',
    async run(db) {
      const unbalanced = await rows(
        db,
        `SELECT j.id AS journal_id, j.reference, COALESCE(SUM(e.debit),0) AS debits, COALESCE(SUM(e.credit),0) AS credits, COUNT(e.id) AS line_count
           FROM ledger_journals j LEFT JOIN ledger_entries e ON e.journal_id = j.id
          GROUP BY j.id, j.reference HAVING debits <> credits OR line_count < 2`,
      );
      const totals = await rows(
        db,
        `SELECT 'ledger' AS scope, COALESCE(SUM(debit),0) AS debits, COALESCE(SUM(credit),0) AS credits FROM ledger_entries HAVING debits <> credits`,
      );
      const trial = await rows(
        db,
        `SELECT 'balances' AS scope, debit_normal, credit_normal FROM (
           SELECT COALESCE((SELECT SUM(balance) FROM system_accounts WHERE normal_side = 'debit'), 0) AS debit_normal,
                  COALESCE((SELECT SUM(balance) FROM system_accounts WHERE normal_side = 'credit'), 0)
                + COALESCE((SELECT SUM(COALESCE(wallet_balance, 0)) FROM users), 0) AS credit_normal) t
          WHERE debit_normal <> credit_normal`,
      );
      return [...unbalanced, ...totals, ...trial];
    },
  },
  {
    id: 'cached_balances',
    title: 'Cached balances equal the sum of their entries (wallets and system accounts)',
    async run(db) {
      const users = await rows(
        db,
        `SELECT u.id AS user_id, u.user_code, COALESCE(u.wallet_balance, 0) AS cached, COALESCE(x.total, 0) AS from_entries
           FROM users u LEFT JOIN (SELECT user_id, SUM(credit - debit) AS total FROM ledger_entries WHERE user_id IS NOT NULL GROUP BY user_id) x
             ON x.user_id = u.id
          WHERE COALESCE(u.wallet_balance, 0) <> COALESCE(x.total, 0)`,
      );
      const systems = await rows(
        db,
        `SELECT s.code, s.balance AS cached, COALESCE(SUM(${ENTRY_DELTA}), 0) AS from_entries
           FROM system_accounts s LEFT JOIN ledger_entries e ON e.system_account_id = s.id
          GROUP BY s.id, s.code, s.balance HAVING cached <> from_entries`,
      );
      return [...users, ...systems];
    },
  },
  {
    id: 'holds',
    title: 'held_balance equals the sum of active holds; no available balance below zero',
    async run(db) {
      return rows(
        db,
        `SELECT u.id AS user_id, u.user_code, u.wallet_balance, u.held_balance, COALESCE(h.total, 0) AS active_holds
           FROM users u LEFT JOIN (SELECT user_id, SUM(amount) AS total FROM holds WHERE status = 'active' GROUP BY user_id) h
             ON h.user_id = u.id
          WHERE u.held_balance <> COALESCE(h.total, 0) OR COALESCE(u.wallet_balance, 0) - u.held_balance < 0 OR u.held_balance < 0`,
      );
    },
  },
  {
    id: 'limit_counters',
    title:
      "Each user's limit counters equal the outgoing money counted in their IST day and month (debits of journals that count, active holds that count), and nothing counts after those",
    async run(db) {
      const istDay = (c: string) => `DATE(${c} + INTERVAL 330 MINUTE)`;
      const istMonth = (c: string) => `CAST(DATE_FORMAT(${c} + INTERVAL 330 MINUTE, '%Y-%m-01') AS DATE)`;
      return rows(
        db,
        `SELECT u.id AS user_id, u.user_code, u.limit_day, u.limit_day_used, COALESCE(x.day_used, 0) AS day_from_entries,
                u.limit_month, u.limit_month_used, COALESCE(x.month_used, 0) AS month_from_entries,
                COALESCE(x.counted_later, 0) AS counted_later
           FROM users u LEFT JOIN (
             SELECT c.user_id,
                    SUM(CASE WHEN ${istDay('c.at')} = cu.limit_day THEN c.amount ELSE 0 END) AS day_used,
                    SUM(CASE WHEN ${istMonth('c.at')} = cu.limit_month THEN c.amount ELSE 0 END) AS month_used,
                    SUM(CASE WHEN cu.limit_day IS NULL OR ${istDay('c.at')} > cu.limit_day
                               OR cu.limit_month IS NULL OR ${istMonth('c.at')} > cu.limit_month THEN c.amount ELSE 0 END) AS counted_later
               FROM (${COUNTED_TOWARD_LIMITS_SQL}) c
               JOIN users cu ON cu.id = c.user_id
              GROUP BY c.user_id) x ON x.user_id = u.id
          WHERE u.limit_day_used <> COALESCE(x.day_used, 0) OR u.limit_month_used <> COALESCE(x.month_used, 0)
             OR COALESCE(x.counted_later, 0) <> 0`,
      );
    },
  },
  {
    id: 'single_resolution',
    title:
      'Each hold resolves at most once: a captured hold has exactly one capture posting of its captured amount, others none',
    async run(db) {
      // By the journal's entries, not the user's: read through the user's index, each hold
      // scanned every entry its user ever had (minutes at a few thousand holds a user).
      const unresolved = await rows(
        db,
        `SELECT h.id AS hold_id, h.reference, h.status, h.captured_amount, COUNT(DISTINCT j.id) AS postings, COALESCE(SUM(e.debit), 0) AS posted_debit
           FROM holds h
           LEFT JOIN ledger_journals j ON j.hold_id = h.id
           LEFT JOIN ledger_entries e IGNORE INDEX (idx_entries_user) ON e.journal_id = j.id AND e.user_id = h.user_id
          GROUP BY h.id, h.reference, h.status, h.captured_amount, h.resolved_at
         HAVING (h.status = 'captured' AND (postings <> 1 OR posted_debit <> h.captured_amount OR h.resolved_at IS NULL))
             OR (h.status <> 'captured' AND postings <> 0)`,
      );
      // These two columns have no FK (see migration 002): their targets are checked here.
      const dangling = await rows(
        db,
        `SELECT j.id AS journal_id, j.reference, j.hold_id, j.reverses_journal_id FROM ledger_journals j
           LEFT JOIN holds h ON h.id = j.hold_id LEFT JOIN ledger_journals o ON o.id = j.reverses_journal_id
          WHERE (j.hold_id IS NOT NULL AND h.id IS NULL) OR (j.reverses_journal_id IS NOT NULL AND o.id IS NULL)`,
      );
      return [...unresolved, ...dangling];
    },
  },
  {
    id: 'immutability',
    title: 'Entries and journals are protected against update and delete, and every running balance chains',
    async run(db) {
      const missing = await missingTriggers(db, [
        'ledger_entries_no_update',
        'ledger_entries_no_delete',
        'ledger_journals_no_update',
        'ledger_journals_no_delete',
      ]);
      const broken = await rows(
        db,
        `SELECT entry_id, user_id, system_account_id, previous_balance, delta, balance_after FROM (
           SELECT e.id AS entry_id, e.user_id, e.system_account_id, e.balance_after, ${ENTRY_DELTA} AS delta,
                  COALESCE(LAG(e.balance_after) OVER (PARTITION BY e.user_id, e.system_account_id ORDER BY e.id), 0) AS previous_balance
             FROM ledger_entries e LEFT JOIN system_accounts s ON s.id = e.system_account_id) c
          WHERE previous_balance + delta <> balance_after`,
      );
      return [...missing, ...broken];
    },
  },
  {
    id: 'statement_links',
    title:
      "Each user entry links its own statement row: the entry's user, debit, credit and balance after, and no other entry's",
    async run(db) {
      // The ledger writes a posting's statement rows in one insert and links entries by the ids it
      // returns (db/sql.ts, insertRowsReturningIds): a link to the wrong row shows here.
      const mislinked = await rows(
        db,
        `SELECT e.id AS entry_id, e.journal_id, e.user_id, e.transaction_id, t.user_id AS statement_user_id,
                e.debit, t.debit_amount, e.credit, t.credit_amount, e.balance_after, t.closing_balance
           FROM ledger_entries e LEFT JOIN transactions t ON t.id = e.transaction_id
          WHERE e.transaction_id IS NOT NULL
            AND (t.id IS NULL OR NOT (t.user_id <=> e.user_id) OR NOT (t.debit_amount <=> e.debit)
                 OR NOT (t.credit_amount <=> e.credit) OR NOT (t.closing_balance <=> e.balance_after))`,
      );
      const shared = await rows(
        db,
        `SELECT transaction_id, COUNT(*) AS entries FROM ledger_entries
          WHERE transaction_id IS NOT NULL GROUP BY transaction_id HAVING entries > 1`,
      );
      return [...mislinked, ...shared];
    },
  },
  {
    id: 'payments_settled_once',
    title:
      'Every completed top-up has exactly one TopIn credit posting and every other top-up none; refund captures match completed refunds; payouts, recharges and bills are captured once when settled and refunded once when reversed',
    async run(db) {
      const topUps = await rows(
        db,
        `SELECT p.id AS payment_id, p.status, COUNT(j.id) AS credit_postings
           FROM payment_records p LEFT JOIN ledger_journals j ON j.reference = ${referenceSql('topUpCredit', { id: 'p.id' })} AND j.ledger_type = 'TopIn'
          WHERE p.kind = 'topup' GROUP BY p.id, p.status
         HAVING (p.status IN ('COMPLETED', 'REVERSED') AND credit_postings <> 1) OR (p.status NOT IN ('COMPLETED', 'REVERSED') AND credit_postings <> 0)`,
      );
      const refunds = await rows(
        db,
        `SELECT p.id AS payment_id, p.status, COUNT(j.id) AS capture_postings
           FROM payment_records p LEFT JOIN ledger_journals j ON j.reference = ${referenceSql('capture', { kind: "'refund'", id: 'p.id' })}
          WHERE p.kind = 'refund' GROUP BY p.id, p.status
         HAVING (p.status = 'COMPLETED' AND capture_postings <> 1) OR (p.status <> 'COMPLETED' AND capture_postings <> 0)`,
      );
      const held = await rows(
        db,
        `SELECT p.id AS payment_id, p.kind, p.status, COUNT(DISTINCT c.id) AS captures, COUNT(DISTINCT r.id) AS reversals
           FROM payment_records p
           LEFT JOIN ledger_journals c ON c.reference = ${referenceSql('capture', { kind: 'p.kind', id: 'p.id' })}
           LEFT JOIN ledger_journals r ON r.reference = ${referenceSql('reversal', { kind: 'p.kind', id: 'p.id' })}
          WHERE p.kind IN (${HELD_KIND_LIST}) GROUP BY p.id, p.kind, p.status
         HAVING (p.status IN ('COMPLETED', 'REVERSED') AND captures <> 1) OR (p.status NOT IN ('COMPLETED', 'REVERSED') AND captures <> 0)
             OR (p.status = 'REVERSED' AND reversals <> 1) OR (p.status <> 'REVERSED' AND reversals <> 0)`,
      );
      return [...topUps, ...refunds, ...held];
    },
  },
  {
    id: 'settled_payments_hold_nothing',
    title: 'A payment that has settled (completed, failed, reversed) keeps no active hold on the wallet',
    async run(db) {
      return rows(
        db,
        `SELECT p.id AS payment_id, p.kind, p.status, h.id AS hold_id, h.amount
           FROM payment_records p
           JOIN holds h ON h.reference = ${referenceSql('hold', { kind: 'p.kind', id: 'p.id' })} AND h.status = 'active'
          WHERE p.status IN ('COMPLETED', 'FAILED', 'REVERSED')`,
      );
    },
  },
  {
    id: 'payment_timelines',
    title: "Creating a payment's record writes the first entry of its timeline (the trigger is installed)",
    run: (db) => missingTriggers(db, TIMELINE_TRIGGERS),
  },
  {
    id: 'commissions_match_rows',
    title:
      'Every commission posting credits exactly the commissions rows decided for its payment, and only completed or reversed payments have one',
    async run(db) {
      return rows(
        db,
        // From each posting to its payment by primary key (the payment id is the reference's
        // tail), in that order (STRAIGHT_JOIN): joining payments to the postings on a built
        // reference compared every pair. Joined directly, not through a grouped derived table:
        // MariaDB keyed that table on its 255-character payment id and so built it on disk at
        // every run (db/triggers.ts says why those are avoided; test/db/history.test.ts checks).
        `SELECT * FROM (
           SELECT STRAIGHT_JOIN p.id AS payment_id, p.status, SUM(e.credit) AS credited,
                  (SELECT SUM(c.commission_amount) FROM commissions c WHERE c.transaction_id = p.transaction_id) AS decided
             FROM ledger_journals j
             JOIN ledger_entries e ON e.journal_id = j.id AND e.user_id IS NOT NULL
             JOIN payment_records p ON p.id = SUBSTRING(j.reference, ${COMMISSION_PREFIX.length + 1})
            WHERE j.ledger_type = 'Commission' AND j.reference LIKE '${COMMISSION_PREFIX}%' AND j.reference NOT LIKE '%:clawback:%'
            GROUP BY j.id, p.id, p.status, p.transaction_id) c
          WHERE decided IS NULL OR decided <> credited OR status NOT IN ('COMPLETED', 'REVERSED')`,
      );
    },
  },
];

const ALL_CHECKS = [
  ...CHECKS,
  ...REPORT_CHECKS.map((c) => ({
    id: c.id,
    title: c.title,
    run: (db: Knex) => ('sql' in c ? rows(db, c.sql) : c.run(db)),
  })),
];

/** Every check's id, in the order they run. */
export const INVARIANT_IDS: readonly string[] = ALL_CHECKS.map((c) => c.id);

/** Runs every check, or only those named in `only`. */
export async function checkInvariants(db: Knex, only?: readonly string[]): Promise<InvariantReport> {
  const checks: InvariantCheck[] = [];
  for (const c of ALL_CHECKS.filter((x) => !only || only.includes(x.id))) {
    const offending = await c.run(db);
    checks.push({ id: c.id, title: c.title, ok: offending.length === 0, offending });
  }
  return { ok: checks.every((c) => c.ok), checkedAt: new Date().toISOString(), checks };
}
