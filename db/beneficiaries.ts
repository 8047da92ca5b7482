/**
 * A user's bank beneficiaries. The account number is sealed (db/secretBox.ts) and only opened
 * where money is sent (the payout activity); everything else sees the last four digits.
 * Uniqueness per user is on the keyed hash of the number with the IFSC (migration 005).
 */
import type { Knex } from 'knex';
import type { Config } from '../config';
import { ConflictError, NotFoundError } from '../domain/errors';
import { isDuplicateKey } from './sql';
import { decryptSecret, encryptSecret, keyedHash, sealKeysOf, SecretKeys } from './secretBox';

export type BeneficiaryKeys = SecretKeys;

/** How an account number is shown anywhere outside the payout call: `XXXXXX1234`. */
export const maskAccount = (numberOrLast4: string) => `XXXXXX${numberOrLast4.slice(-4)}`;

export const beneficiaryKeysOf = (
  config: Pick<Config, 'BENEFICIARY_ENCRYPTION_KEY' | 'BENEFICIARY_ENCRYPTION_KEY_PREVIOUS' | 'BENEFICIARY_HASH_KEY'>,
): BeneficiaryKeys => ({
  ...sealKeysOf(config.BENEFICIARY_ENCRYPTION_KEY, config.BENEFICIARY_ENCRYPTION_KEY_PREVIOUS),
  hashKey: config.BENEFICIARY_HASH_KEY,
});

/** What an account number's ciphertext is bound to: its owner and the account it is. */
export const accountContext = (userId: number, accountHash: string) =>
  `beneficiaries.account_number|user:${userId}|account:${accountHash}`;

export interface Beneficiary {
  id: number;
  userId: number;
  name: string;
  accountLast4: string;
  ifsc: string;
  bankName: string;
  accountType: 'savings' | 'current' | 'overdraft';
  relationship: string | null;
  nickname: string | null;
  isVerified: boolean;
  verificationDate: Date | null;
  nameAtBank: string | null;
  isActive: boolean;
  createdAt: Date;
}

export interface NewBeneficiary {
  userId: number;
  name: string;
  accountNumber: string;
  ifsc: string;
  bankName: string;
  accountType?: 'savings' | 'current' | 'overdraft';
  relationship?: string;
  nickname?: string;
}

function toBeneficiary(r: Record<string, any>): Beneficiary {
  return {
    id: r.id,
    userId: r.user_id,
    name: r.beneficiary_name,
    accountLast4: r.account_last4,
    ifsc: r.ifsc_code,
    bankName: r.bank_name,
    accountType: r.account_type,
    relationship: r.relationship,
    nickname: r.nickname,
    isVerified: Boolean(r.is_verified),
    verificationDate: r.verification_date,
    nameAtBank: r.name_at_bank,
    isActive: Boolean(r.is_active),
    createdAt: r.created_at,
  };
}

/**
 * Adds a beneficiary; the same account (and IFSC) twice for one user is a conflict. Re-adding
 * a deleted one brings it back (as unverified: the account may have changed hands since).
 */
export async function addBeneficiary(knex: Knex, keys: BeneficiaryKeys, b: NewBeneficiary): Promise<Beneficiary> {
  const hash = keyedHash(keys, b.accountNumber);
  const fields = {
    beneficiary_name: b.name,
    bank_name: b.bankName,
    account_type: b.accountType ?? 'savings',
    relationship: b.relationship ?? null,
    nickname: b.nickname ?? null,
  };
  return knex.transaction(async (trx) => {
    const existing = await trx('beneficiaries')
      .where({ user_id: b.userId, account_hash: hash, ifsc_code: b.ifsc })
      .forUpdate()
      .first();
    if (existing?.is_active)
      throw new ConflictError('this account is already a beneficiary', 'duplicate', { beneficiaryId: existing.id });
    if (existing) {
      await trx('beneficiaries')
        .where({ id: existing.id })
        .update({ ...fields, is_active: true, is_verified: false, verification_date: null, name_at_bank: null });
      return toBeneficiary(await trx('beneficiaries').where({ id: existing.id }).first());
    }
    try {
      const [id] = (await trx('beneficiaries').insert({
        ...fields,
        user_id: b.userId,
        account_number: encryptSecret(keys, b.accountNumber, accountContext(b.userId, hash)),
        account_hash: hash,
        account_last4: b.accountNumber.slice(-4),
        ifsc_code: b.ifsc,
      })) as [number];
      return toBeneficiary(await trx('beneficiaries').where({ id }).first());
    } catch (err) {
      if (isDuplicateKey(err)) throw new ConflictError('this account is already a beneficiary', 'duplicate');
      throw err;
    }
  });
}

export async function listBeneficiaries(knex: Knex, userId: number): Promise<Beneficiary[]> {
  return (await knex('beneficiaries').where({ user_id: userId, is_active: true }).orderBy('id')).map(toBeneficiary);
}

/** The user's own active beneficiary, or 404 (another user's is indistinguishable from none). */
export async function ownBeneficiary(knex: Knex, userId: number, id: number): Promise<Beneficiary> {
  const row = await knex('beneficiaries').where({ id, user_id: userId, is_active: true }).first();
  if (!row) throw new NotFoundError('beneficiary not found');
  return toBeneficiary(row);
}

export async function deactivateBeneficiary(knex: Knex, userId: number, id: number): Promise<void> {
  const n = await knex('beneficiaries').where({ id, user_id: userId, is_active: true }).update({ is_active: false });
  if (n === 0) throw new NotFoundError('beneficiary not found');
}

export async function recordVerification(
  knex: Knex,
  id: number,
  v: { valid: boolean; nameAtBank: string | null },
): Promise<void> {
  await knex('beneficiaries')
    .where({ id })
    .update(
      v.valid
        ? { is_verified: true, verification_date: new Date(), name_at_bank: v.nameAtBank }
        : { is_verified: false, verification_date: null, name_at_bank: null },
    );
}

/** The opened account number, for the penny-drop and payout calls only. */
export async function accountNumberOf(knex: Knex, keys: BeneficiaryKeys, id: number): Promise<string> {
  const row = await knex('beneficiaries').where({ id }).first('account_number', 'user_id', 'account_hash');
  if (!row) throw new NotFoundError('beneficiary not found');
  return decryptSecret(keys, row.account_number, accountContext(row.user_id, row.account_hash));
}

/** What a payout needs: the payee as the bank knows it (number opened), and whether it may be paid. */
export async function loadBeneficiaryForPayout(
  knex: Knex,
  keys: BeneficiaryKeys,
  userId: number,
  beneficiaryId: number,
): Promise<
  | {
      id: number;
      name: string;
      accountNumber: string;
      ifsc: string;
      bankName: string;
      isVerified: boolean;
      isActive: boolean;
    }
  | undefined
> {
  const row = await knex('beneficiaries').where({ id: beneficiaryId, user_id: userId }).first();
  if (!row) return undefined;
  return {
    id: row.id,
    name: row.name_at_bank ?? row.beneficiary_name,
    accountNumber: decryptSecret(keys, row.account_number, accountContext(row.user_id, row.account_hash)),
    ifsc: row.ifsc_code,
    bankName: row.bank_name,
    isVerified: Boolean(row.is_verified),
    isActive: Boolean(row.is_active),
  };
}
