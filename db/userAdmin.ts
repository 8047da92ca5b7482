/**
 * What admins (and users, for their own KYC) change about accounts: KYC submissions and
 * decisions, limits, commission rates, activation, and the distributor hierarchy. Each change
 * returns the fields before and after, for the audit log.
 */
import type { Knex } from 'knex';
import { User } from './models';
import { BusinessRuleError, ConflictError, NotFoundError } from '../domain/errors';
import { MAX_COMMISSION_LEVELS } from '../domain/commissions';
import type { Paise } from '../domain/money';
import { fromDecimal, toDecimal } from './money';
import { decodeCursor, encodeCursor } from './statements';
import type { UserRow } from './users';
import type { Config } from '../config';
import { encryptSecret, SealKeys, sealKeysOf } from './secretBox';
import { escapeLike } from './sql';

export interface KycDetails {
  pan: string;
  aadhaarLast4?: string;
  address?: string;
  dateOfBirth?: string;
}

export const kycKeysOf = (config: Pick<Config, 'KYC_ENCRYPTION_KEY' | 'KYC_ENCRYPTION_KEY_PREVIOUS'>): SealKeys =>
  sealKeysOf(config.KYC_ENCRYPTION_KEY, config.KYC_ENCRYPTION_KEY_PREVIOUS);

/** What a submission's sealed details are bound to: the user and the submission. */
export const kycContext = (userId: number, submissionId: number) =>
  `kyc_submissions.details|user:${userId}|submission:${submissionId}`;

/** The sealed part of a submission, as one JSON document. */
export interface SealedKycDetails {
  pan: string;
  address: string | null;
  dateOfBirth: string | null;
}

/**
 * A user submits (or, after a rejection, resubmits) KYC details; their status becomes pending.
 * PAN, address and date of birth are stored sealed (only the PAN's last four in clear).
 */
export async function submitKyc(
  knex: Knex,
  keys: SealKeys,
  userId: number,
  d: KycDetails,
): Promise<{ submissionId: number }> {
  return knex.transaction(async (trx) => {
    const user = await trx('users').where({ id: userId }).forUpdate().first('kyc_status');
    if (!user) throw new NotFoundError('user not found');
    if (user.kyc_status === 'verified') throw new ConflictError('KYC is already verified', 'kyc_already_verified');
    const open = await trx('kyc_submissions').where({ user_id: userId, status: 'pending' }).first('id');
    if (open)
      throw new ConflictError('a KYC submission is already waiting for review', 'kyc_pending', {
        submissionId: open.id,
      });
    const [id] = (await trx('kyc_submissions').insert({
      user_id: userId,
      pan_last4: d.pan.slice(-4),
      aadhaar_last4: d.aadhaarLast4 ?? null,
    })) as [number];
    const details: SealedKycDetails = { pan: d.pan, address: d.address ?? null, dateOfBirth: d.dateOfBirth ?? null };
    await trx('kyc_submissions')
      .where({ id })
      .update({ details_sealed: encryptSecret(keys, JSON.stringify(details), kycContext(userId, id)) });
    await trx('users').where({ id: userId }).update({ kyc_status: 'pending' });
    return { submissionId: id };
  });
}

/** An admin's decision on the user's pending submission (or, without one, on the account itself). */
export async function decideKyc(
  knex: Knex,
  d: { userId: number; status: 'verified' | 'rejected'; reason?: string; adminId: number },
): Promise<{ before: string; after: string; submissionId: number | null }> {
  return knex.transaction(async (trx) => {
    const user = await trx('users').where({ id: d.userId }).forUpdate().first('kyc_status');
    if (!user) throw new NotFoundError('user not found');
    const pending = await trx('kyc_submissions')
      .where({ user_id: d.userId, status: 'pending' })
      .orderBy('id', 'desc')
      .first('id');
    if (pending) {
      await trx('kyc_submissions')
        .where({ id: pending.id })
        .update({ status: d.status, reason: d.reason ?? null, decided_by: d.adminId, decided_at: new Date() });
    }
    await trx('users').where({ id: d.userId }).update({ kyc_status: d.status });
    return { before: user.kyc_status, after: d.status, submissionId: pending?.id ?? null };
  });
}

export interface UserPatch {
  dailyLimit?: Paise;
  monthlyLimit?: Paise;
  /** DECIMAL(5,4) text, already validated. */
  commissionRate?: string;
  isActive?: boolean;
  /** A distributor's user code, or null to detach. */
  parentUserCode?: string | null;
}

type Snapshot = Record<string, unknown>;

const snapshot = (r: UserRow): Snapshot => ({
  dailyLimit: r.daily_limit,
  monthlyLimit: r.monthly_limit,
  commissionRate: r.commission_rate,
  isActive: Boolean(r.is_active),
  parentDistributorId: r.parent_distributor_id,
});

/**
 * Applies an admin's change on the locked row. The hierarchy stays a forest: a parent must be
 * an active distributor and may not sit below the user (no cycles).
 */
export async function updateUserByAdmin(
  knex: Knex,
  userId: number,
  p: UserPatch,
): Promise<{ before: Snapshot; after: Snapshot }> {
  return knex.transaction(async (trx) => {
    // One re-parenting at a time (migration 018), its check and write under the lock, taken
    // before any user row so that two of them queue instead of deadlocking; the chain is read
    // after it is held, so it includes the one that went before.
    if (p.parentUserCode !== undefined) await trx('app_locks').where({ name: 'hierarchy' }).forUpdate().first('name');
    const row: UserRow | undefined = await trx('users').where({ id: userId }).forUpdate().first();
    if (!row) throw new NotFoundError('user not found');
    const update: Record<string, unknown> = {};
    if (p.dailyLimit !== undefined) update.daily_limit = toDecimal(p.dailyLimit);
    if (p.monthlyLimit !== undefined) update.monthly_limit = toDecimal(p.monthlyLimit);
    const daily = p.dailyLimit ?? fromDecimal(row.daily_limit);
    const monthly = p.monthlyLimit ?? fromDecimal(row.monthly_limit);
    if (monthly < daily)
      throw new BusinessRuleError('invalid_limits', 'the monthly limit cannot be below the daily limit');
    if (p.commissionRate !== undefined) update.commission_rate = p.commissionRate;
    if (p.isActive !== undefined) update.is_active = p.isActive;
    if (p.parentUserCode !== undefined)
      update.parent_distributor_id =
        p.parentUserCode === null ? null : await checkedParent(trx, userId, p.parentUserCode);
    if (Object.keys(update).length > 0) await trx('users').where({ id: userId }).update(update);
    const after: UserRow = await trx('users').where({ id: userId }).first();
    return { before: snapshot(row), after: snapshot(after) };
  });
}

async function checkedParent(trx: Knex.Transaction, userId: number, parentUserCode: string): Promise<number> {
  const parent = await trx('users').where({ user_code: parentUserCode }).first('id', 'role', 'is_active');
  if (!parent || parent.role !== 'distributor' || !parent.is_active) {
    throw new BusinessRuleError('invalid_parent', 'the parent must be an active distributor', { parentUserCode });
  }
  // Walk up from the new parent: meeting the user means the user would become its own ancestor.
  let cursor: number | null = parent.id;
  for (let hops = 0; cursor !== null && hops < 100; hops++) {
    if (cursor === userId)
      throw new BusinessRuleError('hierarchy_cycle', 'this parent sits below the user; the hierarchy cannot loop', {
        parentUserCode,
      });
    const up: { parent_distributor_id: number | null } | undefined = await trx('users')
      .where({ id: cursor })
      .first('parent_distributor_id');
    cursor = up?.parent_distributor_id ?? null;
  }
  return parent.id;
}

export interface UserListFilters {
  role?: string;
  kycStatus?: string;
  q?: string;
  limit: number;
  cursor?: string;
}

/** Admin search, newest first, keyset-paginated. `q` matches user code, email, username, phone or name. */
export async function listUsers(
  knex: Knex,
  f: UserListFilters,
): Promise<{ items: UserRow[]; nextCursor: string | null }> {
  const q = knex('users');
  if (f.role) q.where('role', f.role);
  if (f.kycStatus) q.where('kyc_status', f.kycStatus);
  if (f.q) {
    const like = `%${escapeLike(f.q)}%`;
    q.where((w) =>
      w
        .where('user_code', f.q!)
        .orWhere('email', 'like', like)
        .orWhere('username', 'like', like)
        .orWhere('phone', 'like', like)
        .orWhere('full_name', 'like', like),
    );
  }
  if (f.cursor) q.where('id', '<', decodeCursor(f.cursor, 'number').i);
  const rows: UserRow[] = await q.orderBy('id', 'desc').limit(f.limit + 1);
  const page = rows.slice(0, f.limit);
  const last = page[page.length - 1];
  return {
    items: page,
    nextCursor:
      rows.length > f.limit && last ? encodeCursor({ t: new Date(last.created_at).toISOString(), i: last.id }) : null,
  };
}

export interface DownlineMember {
  level: number;
  id: number;
  userCode: string;
  fullName: string | null;
  role: string;
  kycStatus: string;
  isActive: boolean;
  parentUserCode: string | null;
  balance: Paise;
}

/** Everyone below the user, up to the commission depth, nearest first (a relation graph: one query per level). */
export async function downlineOf(knex: Knex, userId: number): Promise<DownlineMember[]> {
  const graph = 'children'.concat('.children'.repeat(MAX_COMMISSION_LEVELS - 1));
  const root = await User.bindKnex(knex)
    .query()
    .findById(userId)
    .withGraphFetched(`${graph}(byId)`)
    .modifiers({
      byId: (q) => {
        q.orderBy('id');
      },
    });
  const members: DownlineMember[] = [];
  let frontier: User[] = root ? [root] : [];
  for (let level = 1; level <= MAX_COMMISSION_LEVELS && frontier.length > 0; level++) {
    const atLevel = frontier
      .flatMap((parent) => (parent.children ?? []).map((child) => ({ parent, child })))
      .sort((a, b) => a.child.id - b.child.id);
    for (const { parent, child: r } of atLevel) {
      members.push({
        level,
        id: r.id,
        userCode: r.user_code!,
        fullName: r.full_name,
        role: r.role,
        kycStatus: r.kyc_status,
        isActive: Boolean(r.is_active),
        parentUserCode: parent.user_code,
        balance: fromDecimal(r.wallet_balance),
      });
    }
    frontier = atLevel.map((x) => x.child);
  }
  return members;
}
