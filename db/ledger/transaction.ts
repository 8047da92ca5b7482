import type { Knex } from 'knex';
import { inSqlTransaction, retryOnLockConflict, SqlTransaction } from '../sql';

/**
 * Runs `fn` in one ledger transaction (db/sql.ts: plain statements on one connection),
 * retrying it from the start when InnoDB picks it as a deadlock victim or a lock wait times out.
 */
export const inLedgerTransaction = <T>(knex: Knex, fn: (trx: SqlTransaction) => Promise<T>): Promise<T> =>
  retryOnLockConflict(() => inSqlTransaction(knex, fn));
