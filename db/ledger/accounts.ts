/**
 * Row locks on accounts, always taken in one global order: users by id, then (after a hold's row,
 * when a capture has one) system accounts by code. Two postings touching the same accounts
 * therefore queue instead of deadlocking (A→B and B→A both lock min(A,B) first). System accounts
 * come last because a few of them (commission expense, the PhonePe clearing account) are in
 * nearly every posting: locked last, each is held only for its own update, the entries and the
 * commit, not for the users' statements too, so the postings queuing on it pass faster.
 */
import { NotFoundError } from '../../domain/errors';
import { AccountRef, accountKey, SystemAccountCode } from '../../domain/ledger';
import type { LimitCounters } from '../../domain/limitUsage';
import { Paise } from '../../domain/money';
import { fromDecimal, toDecimal } from '../money';
import { selectRows, SqlTransaction, textOf, update, updateById } from '../sql';
import { countersFromRow, countersToRow, LIMIT_COUNTER_COLUMNS } from './limits';
import type { UserRow } from '../users';

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

const LOCKED_USER_COLUMNS = [
  'id',
  'user_code',
  'wallet_balance',
  'held_balance',
  'is_active',
  'kyc_status',
  'daily_limit',
  'monthly_limit',
  ...LIMIT_COUNTER_COLUMNS,
] as const;

type LockedUserRow = Pick<UserRow, (typeof LOCKED_USER_COLUMNS)[number]>;

function lockedUserFrom(row: LockedUserRow): LockedUser {
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

export async function lockUser(trx: SqlTransaction, userId: number): Promise<LockedUser> {
  const [user] = await lockUsers(trx, [userId]);
  return user!;
}

/**
 * Locks users in one statement. InnoDB reads `id IN (…) ORDER BY id` along the primary key and
 * locks each row as it reads it, so the locks are taken in ascending id: the global order. A
 * posting names a handful of users (payer, payee, commission levels); a list in the hundreds
 * could get another plan, so this is not a bulk lock.
 */
async function lockUsers(trx: SqlTransaction, ascendingIds: number[]): Promise<LockedUser[]> {
  const sql = textOf(
    `lock users\0${ascendingIds.length}`,
    () =>
      `SELECT ${LOCKED_USER_COLUMNS.join(', ')} FROM users WHERE id IN (${ascendingIds.map(() => '?').join(', ')}) ORDER BY id FOR UPDATE`,
  );
  const rows = await selectRows<LockedUserRow>(trx, sql, ascendingIds);
  const missing = ascendingIds.find((id, i) => rows[i]?.id !== id);
  if (missing !== undefined) throw new NotFoundError('user not found', { userId: missing });
  return rows.map(lockedUserFrom);
}

const savedColumns = (user: LockedUser): Record<string, string | null> => ({
  wallet_balance: toDecimal(user.balance),
  held_balance: toDecimal(user.held),
  ...countersToRow(user.limits),
});

/** Writes back what a transaction changed on a locked user: balance, held money, limit counters. */
export async function saveUser(trx: SqlTransaction, user: LockedUser): Promise<void> {
  await updateById(trx, 'users', user.id, savedColumns(user));
}

/**
 * `saveUser` for several locked users in one statement (`SET col = CASE id WHEN … END`): a
 * posting between users writes them all back in one round trip while it holds their locks.
 */
export async function saveUsers(trx: SqlTransaction, users: LockedUser[]): Promise<void> {
  if (users.length === 0) return;
  if (users.length === 1) return saveUser(trx, users[0]!);
  const rows = users.map(savedColumns);
  const columns = Object.keys(rows[0]!);
  const sql = textOf(`save users\0${users.length}\0${columns.join('\0')}`, () => {
    const whens = users.map(() => 'WHEN ? THEN ?').join(' ');
    return `UPDATE users SET ${columns.map((c) => `${c} = CASE id ${whens} END`).join(', ')}
     WHERE id IN (${users.map(() => '?').join(', ')})`;
  });
  const values: unknown[] = [];
  for (const c of columns) for (const [k, u] of users.entries()) values.push(u.id, rows[k]![c]);
  for (const u of users) values.push(u.id);
  const saved = await update(trx, sql, values);
  if (saved !== users.length) throw new Error(`saved ${saved} of ${users.length} locked users`);
}

async function lockSystemAccount(trx: SqlTransaction, code: SystemAccountCode): Promise<LockedSystemAccount> {
  const [row] = await selectRows<Record<string, any>>(
    trx,
    'SELECT id, code, normal_side, balance FROM system_accounts WHERE code = ? FOR UPDATE',
    [code],
  );
  if (!row) throw new NotFoundError('system account not found', { code });
  return { kind: 'system', id: row.id, code: row.code, normalSide: row.normal_side, balance: fromDecimal(row.balance) };
}

/** Locks the users among `refs`, in id order (the first half of the global order); by `accountKey`. */
export async function lockUserAccounts(trx: SqlTransaction, refs: AccountRef[]): Promise<Map<string, LockedUser>> {
  const users = [...new Set(refs.flatMap((r) => ('user' in r ? [r.user] : [])))].sort((a, b) => a - b);
  const locked = new Map<string, LockedUser>();
  if (users.length > 0) for (const user of await lockUsers(trx, users)) locked.set(accountKey({ user: user.id }), user);
  return locked;
}

/** Locks the system accounts among `refs`, by code (the last of the global order); by `accountKey`. */
export async function lockSystemAccounts(
  trx: SqlTransaction,
  refs: AccountRef[],
): Promise<Map<string, LockedSystemAccount>> {
  const systems = [...new Set(refs.flatMap((r) => ('system' in r ? [r.system] : [])))].sort();
  const locked = new Map<string, LockedSystemAccount>();
  for (const code of systems) locked.set(accountKey({ system: code }), await lockSystemAccount(trx, code));
  return locked;
}
