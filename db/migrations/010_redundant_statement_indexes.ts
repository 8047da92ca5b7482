/**
 * The seed schema indexes `transactions` twice over: five indexes repeat another exactly
 * (idx_reference repeats the UNIQUE key on reference_number; four idx_transactions_* repeat
 * idx_user_date, idx_ledger_date, idx_user_code and idx_ledger_type) and two are the left prefix
 * of a wider one (idx_status of idx_transactions_status_type, idx_amount of
 * idx_transactions_amount_range). Every posting writes a statement row per user line, and each
 * index is one more B-tree to update in it; these seven answer no query the others do not
 * (docs/performance.md). Columns, keys, constraints and every other index stay as the seed
 * defines them. Dropping an index is in place and does not block writes.
 */
import type { Knex } from 'knex';

const REDUNDANT: Array<[name: string, columns: string]> = [
  ['idx_reference', 'reference_number'],
  ['idx_transactions_user_date', 'user_id, created_at'],
  ['idx_transactions_ledger_date', 'ledger_date'],
  ['idx_transactions_user_code', 'user_code'],
  ['idx_transactions_ledger_type', 'ledger_type'],
  ['idx_status', 'status'],
  ['idx_amount', 'amount'],
];

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`ALTER TABLE transactions ${REDUNDANT.map(([name]) => `DROP INDEX ${name}`).join(', ')}`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(
    `ALTER TABLE transactions ${REDUNDANT.map(([name, cols]) => `ADD INDEX ${name} (${cols})`).join(', ')}`,
  );
}
