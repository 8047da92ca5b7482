/**
 * The double-entry ledger (docs/ledger.md):
 * journals with a unique reference, immutable entries, system accounts and two-phase holds.
 *
 * Sign convention, stated once: every entry stores a non-negative debit or credit, and each
 * account has a normal side. Its balance is (credits − debits) for credit-normal accounts and
 * (debits − credits) for debit-normal ones. Wallets are credit-normal (money we owe users).
 * The database enforces what it can: non-negative amounts, one side per entry, available
 * balance never negative, entries and journals never updated or deleted (triggers).
 *
 * `ledger_journals.hold_id` and `reverses_journal_id` deliberately have no foreign keys: an FK
 * check takes a shared lock on the parent row (the hold, the original journal) that the
 * posting later locks exclusively, and that S→X upgrade makes two concurrent resolutions of
 * one hold deadlock. The invariant checker verifies both references instead.
 */
import type { Knex } from 'knex';

export const SYSTEM_ACCOUNTS: ReadonlyArray<{ code: string; name: string; normalSide: 'debit' | 'credit' }> = [
  { code: 'BBPS_PAYABLE', name: 'Owed to the BBPS provider for paid bills', normalSide: 'credit' },
  { code: 'COMMISSION_EXPENSE', name: 'Commissions paid to distributors', normalSide: 'debit' },
  { code: 'FEE_INCOME', name: 'Fees earned', normalSide: 'credit' },
  { code: 'PAYOUT_CLEARING', name: 'Owed to the payout provider for bank payouts', normalSide: 'credit' },
  { code: 'PHONEPE_CLEARING', name: 'Collected by PhonePe, receivable from it', normalSide: 'debit' },
  { code: 'PLATFORM_EQUITY', name: 'Platform capital (opening balances, adjustments)', normalSide: 'credit' },
  { code: 'RECHARGE_PAYABLE', name: 'Owed to the recharge aggregator', normalSide: 'credit' },
];

const LEDGER_TYPES = "'TopIn', 'Transfer', 'Recharge', 'Bill', 'Commission', 'Refund'";

const UP = [
  `ALTER TABLE users
     ADD COLUMN held_balance DECIMAL(15,2) NOT NULL DEFAULT 0.00 AFTER wallet_balance,
     ADD CONSTRAINT chk_users_available CHECK (held_balance >= 0 AND wallet_balance >= held_balance)`,
  `CREATE TABLE system_accounts (
    id INT PRIMARY KEY AUTO_INCREMENT,
    code VARCHAR(40) NOT NULL UNIQUE,
    name VARCHAR(255) NOT NULL,
    normal_side ENUM('debit', 'credit') NOT NULL,
    balance DECIMAL(15,2) NOT NULL DEFAULT 0.00,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  `CREATE TABLE holds (
    id BIGINT PRIMARY KEY AUTO_INCREMENT,
    user_id INT NOT NULL,
    amount DECIMAL(15,2) NOT NULL,
    status ENUM('active', 'captured', 'released') NOT NULL DEFAULT 'active',
    reference VARCHAR(255) NOT NULL UNIQUE,
    counts_toward_limits BOOLEAN NOT NULL DEFAULT TRUE,
    captured_amount DECIMAL(15,2) NULL,
    capture_reference VARCHAR(255) NULL,
    release_reason VARCHAR(500) NULL,
    created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    resolved_at TIMESTAMP(3) NULL,
    expires_at TIMESTAMP(3) NULL,
    CONSTRAINT chk_holds_amount CHECK (amount > 0),
    INDEX idx_holds_user_status (user_id, status, created_at),
    FOREIGN KEY (user_id) REFERENCES users(id)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  `CREATE TABLE ledger_journals (
    id BIGINT PRIMARY KEY AUTO_INCREMENT,
    reference VARCHAR(255) NOT NULL UNIQUE,
    ledger_type ENUM(${LEDGER_TYPES}) NOT NULL,
    description VARCHAR(500),
    fingerprint CHAR(64) NOT NULL,
    counts_toward_limits BOOLEAN NOT NULL DEFAULT FALSE,
    reverses_journal_id BIGINT NULL,
    hold_id BIGINT NULL,
    created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    INDEX idx_journals_reverses (reverses_journal_id),
    INDEX idx_journals_hold (hold_id),
    INDEX idx_journals_created (created_at)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  `CREATE TABLE ledger_entries (
    id BIGINT PRIMARY KEY AUTO_INCREMENT,
    journal_id BIGINT NOT NULL,
    user_id INT NULL,
    system_account_id INT NULL,
    debit DECIMAL(15,2) NOT NULL DEFAULT 0.00,
    credit DECIMAL(15,2) NOT NULL DEFAULT 0.00,
    balance_after DECIMAL(15,2) NOT NULL,
    transaction_id INT NULL,
    created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    CONSTRAINT chk_entry_account CHECK ((user_id IS NULL) <> (system_account_id IS NULL)),
    CONSTRAINT chk_entry_side CHECK (debit >= 0 AND credit >= 0 AND (debit = 0) <> (credit = 0)),
    INDEX idx_entries_user (user_id, created_at),
    INDEX idx_entries_system (system_account_id, created_at),
    FOREIGN KEY (journal_id) REFERENCES ledger_journals(id),
    FOREIGN KEY (user_id) REFERENCES users(id),
    FOREIGN KEY (system_account_id) REFERENCES system_accounts(id),
    FOREIGN KEY (transaction_id) REFERENCES transactions(id)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  `CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries FOR EACH ROW
     SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'ledger_entries are immutable'`,
  `CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries FOR EACH ROW
     SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'ledger_entries are immutable'`,
  `CREATE TRIGGER ledger_journals_no_update BEFORE UPDATE ON ledger_journals FOR EACH ROW
     SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'ledger_journals are immutable'`,
  `CREATE TRIGGER ledger_journals_no_delete BEFORE DELETE ON ledger_journals FOR EACH ROW
     SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'ledger_journals are immutable'`,
];

export async function up(knex: Knex): Promise<void> {
  for (const sql of UP) await knex.raw(sql);
  await knex('system_accounts').insert(
    SYSTEM_ACCOUNTS.map((a) => ({ code: a.code, name: a.name, normal_side: a.normalSide })),
  );
}

export async function down(knex: Knex): Promise<void> {
  for (const t of ['ledger_entries', 'ledger_journals', 'holds', 'system_accounts'])
    await knex.schema.dropTableIfExists(t);
  await knex.raw('ALTER TABLE users DROP CONSTRAINT chk_users_available, DROP COLUMN held_balance');
}
