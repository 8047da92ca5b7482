import type { Knex } from 'knex';
import { BusinessRuleError, ConflictError, NotFoundError } from '../domain/errors';
import { Role, userCodeFor } from '../domain/users';
import { isDuplicateKey } from './sql';
import { User } from './models';

export interface UserRow {
  id: number;
  email: string;
  username: string;
  phone: string;
  password: string;
  full_name: string | null;
  role: Role;
  kyc_status: 'pending' | 'verified' | 'rejected';
  user_code: string;
  is_active: number | boolean;
  wallet_balance: string;
  held_balance: string;
  daily_limit: string;
  monthly_limit: string;
  limit_day: string | null;
  limit_day_used: string;
  limit_month: string | null;
  limit_month_used: string;
  commission_rate: string;
  parent_distributor_id: number | null;
  email_verified: number | boolean;
  phone_verified: number | boolean;
  last_login: Date | null;
  created_at: Date;
  /** Bumped by a trigger whenever one of the user's sessions changes state (migration 024). */
  session_version: number;
}

export interface NewUser {
  email: string;
  username: string;
  phone: string;
  passwordHash: string;
  fullName?: string;
  role: Role;
  parentUserCode?: string;
  /** Set by an admin creating the user; self-registration leaves the defaults (0, pending). */
  commissionRate?: string;
  kycStatus?: 'pending' | 'verified';
}

/** Which unique column a duplicate-key error names (MySQL and MariaDB both quote the key). */
function duplicateField(err: unknown): string {
  const msg = String((err as Error).message);
  for (const f of ['email', 'username', 'phone']) if (new RegExp(`for key '(users\\.)?${f}'`).test(msg)) return f;
  return 'account';
}

/** Inserts the user and gives it its user code in the same transaction. */
export async function createUser(knex: Knex, u: NewUser): Promise<UserRow> {
  return knex.transaction(async (trx) => {
    let parentId: number | null = null;
    if (u.parentUserCode) {
      const parent = await trx('users').where({ user_code: u.parentUserCode }).first('id', 'role', 'is_active');
      if (!parent || parent.role !== 'distributor' || !parent.is_active) {
        throw new BusinessRuleError('invalid_parent', 'parentUserCode must name an active distributor', {
          parentUserCode: u.parentUserCode,
        });
      }
      parentId = parent.id;
    }
    let id: number;
    try {
      [id] = (await trx('users').insert({
        email: u.email,
        username: u.username,
        phone: u.phone,
        password: u.passwordHash,
        full_name: u.fullName ?? null,
        role: u.role,
        parent_distributor_id: parentId,
        ...(u.commissionRate !== undefined ? { commission_rate: u.commissionRate } : {}),
        ...(u.kycStatus !== undefined ? { kyc_status: u.kycStatus } : {}),
      })) as [number];
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      const field = duplicateField(err);
      throw new ConflictError(`an account with this ${field} already exists`, 'duplicate', { field });
    }
    await trx('users')
      .where({ id })
      .update({ user_code: userCodeFor(id) });
    return trx('users').where({ id }).first();
  });
}

/**
 * The user a login names: an email (it has an @), a mobile number (10 digits from 6) or a
 * username, each looked up in its own column only. Matching any column with any form let one
 * user's username squat another's phone number.
 */
export async function findUserByLogin(knex: Knex, login: string): Promise<UserRow | undefined> {
  const column = login.includes('@') ? 'email' : /^[6-9]\d{9}$/.test(login) ? 'phone' : 'username';
  return knex('users')
    .where({ [column]: login })
    .first();
}

export async function getUser(knex: Knex, id: number): Promise<UserRow> {
  const row = await User.bindKnex(knex).query().findById(id);
  if (!row) throw new NotFoundError('user not found');
  return row as unknown as UserRow;
}

export async function recordLogin(knex: Knex, id: number): Promise<void> {
  await knex('users').where({ id }).update({ last_login: new Date() });
}
