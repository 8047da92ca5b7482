/**
 * Row locks on accounts, always taken in one global order: system accounts by code, then users
 * by id. Two postings touching the same accounts therefore queue instead of deadlocking
 * (A→B and B→A both lock min(A,B) first).
 */
import type { Knex } from 'knex';
import { NotFoundError } from '../../domain/errors';
import { AccountRef, accountKey, SystemAccountCode } from '../../domain/ledger';
import type { LimitCounters } from '../../domain/limitUsage';
import { Paise } from '../../domain/money';
import { fromDecimal, toDecimal } from '../money';
import { selectRows, updateById } from '../sql';
import { countersFromRow, countersToRow, LIMIT_COUNTER_COLUMNS } from './limits';

export interface LockedUser {
  kind: 'user';
  id: number;
  userCode: string | null;
  balance: Paise;
  held: Paise;
  isActive: boolean;
  kycVerified: boolean;
  dailyLimit: Paise;
  monthlyLimit: Paise;
  limits: LimitCounters;
}

export interface LockedSystemAccount {
  kind: 'system';
  id: number;
  code: SystemAccountCode;
  normalSide: 'debit' | 'credit';
  balance: Paise;
}

export type LockedAccount = LockedUser | LockedSystemAccount;

const LOCK_USER_SQL = `SELECT id, user_code, wallet_balance, held_balance, is_active, kyc_status, daily_limit,
       monthly_limit, ${LIMIT_COUNTER_COLUMNS.join(', ')}
  FROM users WHERE id = ? FOR UPDATE`;

export async function lockUser(trx: Knex.Transaction, userId: number): Promise<LockedUser> {
  const [row] = await selectRows<Record<string, any>>(trx, LOCK_USER_SQL, [userId]);
  if (!row) throw new NotFoundError('user not found', { userId });
  return {
    kind: 'user',
    id: row.id,
    userCode: row.user_code,
    balance: fromDecimal(row.wallet_balance),
    held: fromDecimal(row.held_balance),
    isActive: Boolean(row.is_active),
    kycVerified: row.kyc_status === 'verified',
    dailyLimit: fromDecimal(row.daily_limit),
    monthlyLimit: fromDecimal(row.monthly_limit),
    limits: countersFromRow(row),
  };
}

/** Writes back what a transaction changed on a locked user: balance, held money, limit counters. */
export async function saveUser(trx: Knex.Transaction, user: LockedUser): Promise<void> {
  await updateById(trx, 'users', user.id, {
    wallet_balance: toDecimal(user.balance),
    held_balance: toDecimal(user.held),
    ...countersToRow(user.limits),
  });
}

async function lockSystemAccount(trx: Knex.Transaction, code: SystemAccountCode): Promise<LockedSystemAccount> {
  const [row] = await selectRows<Record<string, any>>(
    trx,
    'SELECT id, code, normal_side, balance FROM system_accounts WHERE code = ? FOR UPDATE',
    [code],
  );
  if (!row) throw new NotFoundError('system account not found', { code });
  return { kind: 'system', id: row.id, code: row.code, normalSide: row.normal_side, balance: fromDecimal(row.balance) };
}

/** Locks every account in `refs` in the global order; returns them by `accountKey`. */
export async function lockAccounts(trx: Knex.Transaction, refs: AccountRef[]): Promise<Map<string, LockedAccount>> {
  const systems = [...new Set(refs.flatMap((r) => ('system' in r ? [r.system] : [])))].sort();
  const users = [...new Set(refs.flatMap((r) => ('user' in r ? [r.user] : [])))].sort((a, b) => a - b);
  const locked = new Map<string, LockedAccount>();
  for (const code of systems) locked.set(accountKey({ system: code }), await lockSystemAccount(trx, code));
  for (const id of users) locked.set(accountKey({ user: id }), await lockUser(trx, id));
  return locked;
}
