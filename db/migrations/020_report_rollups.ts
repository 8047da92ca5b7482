/**
 * Daily rollups for the reports (docs/reports.md), kept exactly in step with their sources:
 *
 * - triggers on `payment_records` and on the statement rows (`transactions`) append a signed
 *   delta row in the same transaction as the change, for every writer (workflows, operators,
 *   a hand-run UPDATE): a change is either in the source and in the deltas, or in neither;
 * - the fold (db/reports/fold.ts, a Temporal Schedule) moves committed deltas into the rollup
 *   tables and deletes them in one transaction, so each is counted once;
 * - a report reads rollups plus the deltas not yet folded, in one statement (one snapshot).
 *
 * Inserting a delta never waits on a shared counter row, so payments never queue behind each
 * other to keep a report current.
 */
import type { Knex } from 'knex';

const KINDS = "'topup', 'transfer', 'payout', 'recharge', 'bill', 'refund'";
const STATUSES = "'CREATED', 'AWAITING_PAYMENT', 'PROCESSING', 'COMPLETED', 'FAILED', 'REVERSED', 'NEEDS_ATTENTION'";
const SETTLED = "('COMPLETED', 'FAILED', 'REVERSED')";

/** The IST calendar day of a TIMESTAMP, whatever the session's time zone. */
const istDay = (ts: string) => `FROM_DAYS(719528 + FLOOR((UNIX_TIMESTAMP(${ts}) + 19800) / 86400))`;
const settleMs = (row: string) =>
  `CAST(ROUND((UNIX_TIMESTAMP(${row}.settled_at) - UNIX_TIMESTAMP(${row}.created_at)) * 1000) AS SIGNED)`;

const paymentDelta = (row: 'OLD' | 'NEW', sign: 1 | -1) =>
  `INSERT INTO report_payment_deltas (day, kind, status, user_id, payments, amount, fee)
     VALUES (${istDay(`${row}.created_at`)}, ${row}.kind, ${row}.status, ${row}.user_id, ${sign},
             ${sign} * ${row}.amount, ${sign} * ${row}.fee)`;

const settleDelta = (row: 'OLD' | 'NEW', sign: 1 | -1) =>
  `INSERT INTO report_settle_deltas (day, kind, settle_ms, payments)
     VALUES (${istDay(`${row}.created_at`)}, ${row}.kind, GREATEST(0, ${settleMs(row)}), ${sign})`;

/** 0 for a line not written by the commission recipes, rather than a failed posting. */
const levelOf = (row: string) =>
  `IF(${row}.reference_number REGEXP ':(commission|clawback):[1-9]$', CAST(RIGHT(${row}.reference_number, 1) AS UNSIGNED), 0)`;

/**
 * Statement rows of commissions carry `<paymentId>:commission:<level>` or
 * `<paymentId>:clawback:<level>`. The payer of a claw-back is found by the fold, not here: a
 * read of payment_records inside the posting would lock its row until the posting commits.
 */
const commissionDelta = (row: 'OLD' | 'NEW', sign: 1 | -1) =>
  `INSERT INTO report_commission_deltas
     (day, earner_id, payment_id, payer_id, level, paid_count, paid_amount, clawback_count, clawback_amount)
   VALUES (${row}.ledger_date, ${row}.user_id, SUBSTRING_INDEX(${row}.reference_number, ':', 1), ${row}.from_account_id,
           ${levelOf(row)}, ${sign} * (${row}.credit_amount > 0), ${sign} * ${row}.credit_amount,
           ${sign} * (${row}.debit_amount > 0), ${sign} * ${row}.debit_amount)`;

const isCommission = (row: string) =>
  `${row}.transaction_type = 'commission' AND ${row}.status = 'completed' AND ${row}.ledger_date IS NOT NULL`;

const UP = [
  `ALTER TABLE payment_records ADD COLUMN settled_at TIMESTAMP(3) NULL AFTER updated_at`,
  // The first settlement's time, from the timeline; updated_at is kept as it was.
  `UPDATE payment_records p
      SET p.settled_at = COALESCE(
            (SELECT MIN(e.created_at) FROM payment_events e WHERE e.payment_id = p.id AND e.status IN ${SETTLED}),
            p.updated_at),
          p.updated_at = p.updated_at
    WHERE p.status IN ${SETTLED}`,

  `CREATE TABLE report_payment_deltas (
    id BIGINT PRIMARY KEY AUTO_INCREMENT,
    day DATE NOT NULL,
    kind ENUM(${KINDS}) NOT NULL,
    status ENUM(${STATUSES}) NOT NULL,
    user_id INT NOT NULL,
    payments INT NOT NULL,
    amount DECIMAL(15,2) NOT NULL,
    fee DECIMAL(15,2) NOT NULL
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  `CREATE TABLE report_settle_deltas (
    id BIGINT PRIMARY KEY AUTO_INCREMENT,
    day DATE NOT NULL,
    kind ENUM(${KINDS}) NOT NULL,
    settle_ms BIGINT NOT NULL,
    payments INT NOT NULL
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  `CREATE TABLE report_commission_deltas (
    id BIGINT PRIMARY KEY AUTO_INCREMENT,
    day DATE NOT NULL,
    earner_id INT NOT NULL,
    payment_id VARCHAR(255) NULL,
    payer_id INT NULL,
    level TINYINT NOT NULL,
    paid_count INT NOT NULL,
    paid_amount DECIMAL(15,2) NOT NULL,
    clawback_count INT NOT NULL,
    clawback_amount DECIMAL(15,2) NOT NULL
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,

  // Payments created on a day (IST), by kind and their status now.
  `CREATE TABLE report_payment_days (
    day DATE NOT NULL,
    kind ENUM(${KINDS}) NOT NULL,
    status ENUM(${STATUSES}) NOT NULL,
    payments BIGINT NOT NULL,
    amount DECIMAL(18,2) NOT NULL,
    fee DECIMAL(18,2) NOT NULL,
    PRIMARY KEY (day, kind, status)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  // Each user's completed payments by the day they were created: volume and spending.
  `CREATE TABLE report_user_days (
    day DATE NOT NULL,
    user_id INT NOT NULL,
    kind ENUM(${KINDS}) NOT NULL,
    payments BIGINT NOT NULL,
    amount DECIMAL(18,2) NOT NULL,
    fee DECIMAL(18,2) NOT NULL,
    PRIMARY KEY (day, user_id, kind),
    INDEX idx_report_user_days_user (user_id, day)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  // Time to settle as a histogram (domain/reports.ts SETTLE_BUCKETS_MS): the bucket bounds are
  // part of the data, so changing them means rebuilding this table.
  `CREATE TABLE report_settle_days (
    day DATE NOT NULL,
    kind ENUM(${KINDS}) NOT NULL,
    bucket SMALLINT NOT NULL,
    payments BIGINT NOT NULL,
    total_ms BIGINT NOT NULL,
    PRIMARY KEY (day, kind, bucket)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  // Commissions credited (and clawed back) by the statement day, per earner and the payer below.
  `CREATE TABLE report_commission_days (
    earner_id INT NOT NULL,
    day DATE NOT NULL,
    payer_id INT NOT NULL,
    level TINYINT NOT NULL,
    paid_count BIGINT NOT NULL,
    paid_amount DECIMAL(18,2) NOT NULL,
    clawback_count BIGINT NOT NULL,
    clawback_amount DECIMAL(18,2) NOT NULL,
    PRIMARY KEY (earner_id, day, payer_id, level)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  // The same by level alone: the admin summary's commissions without reading every earner's rows.
  `CREATE TABLE report_commission_level_days (
    day DATE NOT NULL,
    level TINYINT NOT NULL,
    paid_count BIGINT NOT NULL,
    paid_amount DECIMAL(18,2) NOT NULL,
    clawback_count BIGINT NOT NULL,
    clawback_amount DECIMAL(18,2) NOT NULL,
    PRIMARY KEY (day, level)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,

  // The first settlement stamps settled_at (unless the writer gave one, as the history seeder does).
  `CREATE TRIGGER payment_records_settled_insert BEFORE INSERT ON payment_records FOR EACH ROW
     IF NEW.status IN ${SETTLED} AND NEW.settled_at IS NULL THEN SET NEW.settled_at = NOW(3); END IF`,
  `CREATE TRIGGER payment_records_settled_update BEFORE UPDATE ON payment_records FOR EACH ROW
     IF NEW.status IN ${SETTLED} AND NEW.settled_at IS NULL THEN SET NEW.settled_at = NOW(3); END IF`,
  `CREATE TRIGGER payment_records_report_insert AFTER INSERT ON payment_records FOR EACH ROW
   BEGIN
     ${paymentDelta('NEW', 1)};
     IF NEW.settled_at IS NOT NULL THEN ${settleDelta('NEW', 1)}; END IF;
   END`,
  `CREATE TRIGGER payment_records_report_update AFTER UPDATE ON payment_records FOR EACH ROW
   BEGIN
     IF NOT (OLD.status <=> NEW.status AND OLD.kind <=> NEW.kind AND OLD.user_id <=> NEW.user_id
             AND OLD.amount <=> NEW.amount AND OLD.fee <=> NEW.fee AND OLD.created_at <=> NEW.created_at) THEN
       ${paymentDelta('OLD', -1)};
       ${paymentDelta('NEW', 1)};
     END IF;
     IF NOT (OLD.settled_at <=> NEW.settled_at AND OLD.created_at <=> NEW.created_at AND OLD.kind <=> NEW.kind) THEN
       IF OLD.settled_at IS NOT NULL THEN ${settleDelta('OLD', -1)}; END IF;
       IF NEW.settled_at IS NOT NULL THEN ${settleDelta('NEW', 1)}; END IF;
     END IF;
   END`,
  `CREATE TRIGGER payment_records_report_delete AFTER DELETE ON payment_records FOR EACH ROW
   BEGIN
     ${paymentDelta('OLD', -1)};
     IF OLD.settled_at IS NOT NULL THEN ${settleDelta('OLD', -1)}; END IF;
   END`,
  `CREATE TRIGGER transactions_report_insert AFTER INSERT ON transactions FOR EACH ROW
     IF ${isCommission('NEW')} THEN ${commissionDelta('NEW', 1)}; END IF`,
  `CREATE TRIGGER transactions_report_update AFTER UPDATE ON transactions FOR EACH ROW
   BEGIN
     IF ${isCommission('OLD')} THEN ${commissionDelta('OLD', -1)}; END IF;
     IF ${isCommission('NEW')} THEN ${commissionDelta('NEW', 1)}; END IF;
   END`,
  `CREATE TRIGGER transactions_report_delete AFTER DELETE ON transactions FOR EACH ROW
     IF ${isCommission('OLD')} THEN ${commissionDelta('OLD', -1)}; END IF`,

  // What exists already becomes deltas, folded by the first run of the fold.
  `INSERT INTO report_payment_deltas (day, kind, status, user_id, payments, amount, fee)
     SELECT ${istDay('created_at')}, kind, status, user_id, 1, amount, fee FROM payment_records`,
  `INSERT INTO report_settle_deltas (day, kind, settle_ms, payments)
     SELECT ${istDay('p.created_at')}, p.kind, GREATEST(0, ${settleMs('p')}), 1
       FROM payment_records p WHERE p.settled_at IS NOT NULL`,
  `INSERT INTO report_commission_deltas
     (day, earner_id, payment_id, payer_id, level, paid_count, paid_amount, clawback_count, clawback_amount)
   SELECT t.ledger_date, t.user_id, SUBSTRING_INDEX(t.reference_number, ':', 1), t.from_account_id, ${levelOf('t')},
          t.credit_amount > 0, t.credit_amount, t.debit_amount > 0, t.debit_amount
     FROM transactions t WHERE ${isCommission('t')}`,
];

const TRIGGERS = [
  'transactions_report_delete',
  'transactions_report_update',
  'transactions_report_insert',
  'payment_records_report_delete',
  'payment_records_report_update',
  'payment_records_report_insert',
  'payment_records_settled_update',
  'payment_records_settled_insert',
];

export const REPORT_TRIGGERS: readonly string[] = TRIGGERS;

export async function up(knex: Knex): Promise<void> {
  for (const sql of UP) await knex.raw(sql);
}

export async function down(knex: Knex): Promise<void> {
  for (const t of TRIGGERS) await knex.raw(`DROP TRIGGER IF EXISTS ${t}`);
  for (const t of [
    'report_commission_level_days',
    'report_commission_days',
    'report_settle_days',
    'report_user_days',
    'report_payment_days',
    'report_commission_deltas',
    'report_settle_deltas',
    'report_payment_deltas',
  ])
    await knex.schema.dropTableIfExists(t);
  await knex.raw('ALTER TABLE payment_records DROP COLUMN settled_at');
}
