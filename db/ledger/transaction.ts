import type { Knex } from 'knex';
import { TransientError } from '../../domain/errors';
import { inSqlTransaction, SqlTransaction } from '../sql';

const DEADLOCK = 1213; // ER_LOCK_DEADLOCK
const LOCK_WAIT_TIMEOUT = 1205; // ER_LOCK_WAIT_TIMEOUT
const MAX_ATTEMPTS = 8;

export function sqlErrno(err: unknown): number | undefined {
  return typeof err === 'object' && err !== null && 'errno' in err ? (err as { errno: number }).errno : undefined;
}

export const isDuplicateKey = (err: unknown) => sqlErrno(err) === 1062;

let lockConflictRetries = 0;
/** How many ledger transactions were retried after a deadlock or lock timeout (a metric, and a test signal: lock ordering should keep it at zero). */
export const ledgerLockConflictRetries = () => lockConflictRetries;

/**
 * Runs `fn` in one ledger transaction (db/sql.ts: plain statements on one connection),
 * retrying it from the start when InnoDB picks it as a deadlock victim or a lock wait times out.
 */
export const inLedgerTransaction = <T>(knex: Knex, fn: (trx: SqlTransaction) => Promise<T>): Promise<T> =>
  retryOnLockConflict(() => inSqlTransaction(knex, fn));

/**
 * Runs `transaction` (one whole database transaction), again from the start when InnoDB picks
 * it as a deadlock victim or a lock wait times out. The whole transaction was rolled back in
 * both cases (a lock wait timeout rolls back only its statement, but the transaction's runner
 * rolls back the rest as it fails), so a retry cannot double anything. Bounded: past the limit
 * the caller gets a retryable TransientError (an activity retry or the client tries again later).
 */
export async function retryOnLockConflict<T>(transaction: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await transaction();
    } catch (err) {
      const errno = sqlErrno(err);
      if (errno !== DEADLOCK && errno !== LOCK_WAIT_TIMEOUT) throw err;
      lockConflictRetries++;
      if (attempt >= MAX_ATTEMPTS) {
        throw new TransientError(`ledger transaction gave up after ${attempt} lock conflicts`, { errno });
      }
      // Jittered exponential backoff so the contenders do not collide again in lockstep.
      const delay = Math.min(200, 5 * 2 ** attempt) * (0.5 + Math.random());
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
