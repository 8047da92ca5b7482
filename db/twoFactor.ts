/**
 * Two-factor state of a user (migration 015): the sealed TOTP secret, whether it is enabled,
 * the last 30-second step a code was accepted for, and the hashed recovery codes.
 */
import type { Knex } from 'knex';
import type { Config } from '../config';
import { decryptSecret, encryptSecret, SealKeys, sealKeysOf } from './secretBox';

export type TwoFactorKeys = SealKeys;

export const twoFactorKeysOf = (
  config: Pick<Config, 'TWO_FACTOR_ENCRYPTION_KEY' | 'TWO_FACTOR_ENCRYPTION_KEY_PREVIOUS'>,
): TwoFactorKeys => sealKeysOf(config.TWO_FACTOR_ENCRYPTION_KEY, config.TWO_FACTOR_ENCRYPTION_KEY_PREVIOUS);

export const secretContext = (userId: number) => `two_factor.secret|user:${userId}`;

export interface TwoFactorState {
  enabledAt: Date | null;
  recoveryCodesLeft: number;
  /** The secret as stored (sealed), to enable exactly the one a code was checked against. */
  secretSealed: string;
}

export async function twoFactorState(knex: Knex, userId: number): Promise<TwoFactorState | null> {
  const row = await knex('two_factor').where({ user_id: userId }).first('enabled_at', 'secret_sealed');
  if (!row) return null;
  const [counted] = await knex('two_factor_recovery_codes')
    .where({ user_id: userId })
    .whereNull('used_at')
    .count({ n: '*' });
  return { enabledAt: row.enabled_at, recoveryCodesLeft: Number(counted?.n ?? 0), secretSealed: row.secret_sealed };
}

export const isTwoFactorEnabled = async (knex: Knex, userId: number) =>
  Boolean((await twoFactorState(knex, userId))?.enabledAt);

/** Stores a new secret awaiting confirmation; false when two-factor is already enabled. */
export async function storePendingSecret(
  knex: Knex,
  keys: TwoFactorKeys,
  userId: number,
  secretBase32: string,
): Promise<boolean> {
  const sealed = encryptSecret(keys, secretBase32, secretContext(userId));
  return knex.transaction(async (trx) => {
    const row = await trx('two_factor').where({ user_id: userId }).forUpdate().first('enabled_at');
    if (row?.enabled_at) return false;
    if (row) await trx('two_factor').where({ user_id: userId }).update({ secret_sealed: sealed, last_used_step: null });
    else await trx('two_factor').insert({ user_id: userId, secret_sealed: sealed });
    return true;
  });
}

/** Two-factor on with a known secret, unless the user already has one (the demo admin's seed). */
export async function enrolWithSecret(knex: Knex, keys: TwoFactorKeys, userId: number, secretBase32: string) {
  await knex.raw('INSERT IGNORE INTO two_factor (user_id, secret_sealed, enabled_at) VALUES (?, ?, ?)', [
    userId,
    encryptSecret(keys, secretBase32, secretContext(userId)),
    new Date(),
  ]);
}

export async function secretOf(knex: Knex, keys: TwoFactorKeys, userId: number): Promise<string | null> {
  const row = await knex('two_factor').where({ user_id: userId }).first('secret_sealed');
  return row ? decryptSecret(keys, row.secret_sealed, secretContext(userId)) : null;
}

/**
 * Records that a code of `step` was accepted, if no code of that step or a later one was:
 * false means the code was already used (a replay).
 */
export async function spendTotpStep(knex: Knex, userId: number, step: number): Promise<boolean> {
  const n = await knex('two_factor')
    .where({ user_id: userId })
    .where((q) => q.whereNull('last_used_step').orWhere('last_used_step', '<', step))
    .update({ last_used_step: step });
  return n === 1;
}

/** Spends an unused recovery code; false when there is none with this hash. */
export async function spendRecoveryCode(knex: Knex, userId: number, codeHash: string): Promise<boolean> {
  const n = await knex('two_factor_recovery_codes')
    .where({ user_id: userId, code_hash: codeHash })
    .whereNull('used_at')
    .update({ used_at: new Date() });
  return n === 1;
}

/**
 * Enables two-factor with the pending secret `sealed` (false when it is no longer the pending
 * one) and replaces the recovery codes, in one transaction.
 */
export async function enableTwoFactor(
  knex: Knex,
  userId: number,
  sealed: string,
  recoveryHashes: string[],
): Promise<boolean> {
  return knex.transaction(async (trx) => {
    const n = await trx('two_factor')
      .where({ user_id: userId, secret_sealed: sealed })
      .whereNull('enabled_at')
      .update({ enabled_at: new Date() });
    if (n !== 1) return false;
    await replaceRecoveryCodesIn(trx, userId, recoveryHashes);
    return true;
  });
}

export async function replaceRecoveryCodes(knex: Knex, userId: number, recoveryHashes: string[]): Promise<void> {
  await knex.transaction((trx) => replaceRecoveryCodesIn(trx, userId, recoveryHashes));
}

async function replaceRecoveryCodesIn(trx: Knex.Transaction, userId: number, hashes: string[]): Promise<void> {
  await trx('two_factor_recovery_codes').where({ user_id: userId }).delete();
  await trx('two_factor_recovery_codes').insert(hashes.map((code_hash) => ({ user_id: userId, code_hash })));
}

export async function disableTwoFactor(knex: Knex, userId: number): Promise<void> {
  await knex.transaction(async (trx) => {
    await trx('two_factor_recovery_codes').where({ user_id: userId }).delete();
    await trx('two_factor').where({ user_id: userId }).delete();
  });
}
