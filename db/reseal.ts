/**
 * `npm run reseal`: seals every sealed column again with the current keys, the second half of a
 * key rotation (docs/security.md), and seals what predates sealing (v1 values without a context,
 * KYC details submitted in clear before migration 019). Row by row, each write conditional on the
 * value it read, so a row changed meanwhile is left for the next run instead of overwritten.
 */
import type { Knex } from 'knex';
import { accountContext } from './beneficiaries';
import { decryptSecret, encryptSecret, isCurrentlySealed, SealKeys } from './secretBox';
import { secretContext } from './twoFactor';
import { kycContext, SealedKycDetails } from './userAdmin';

export interface ResealKeys {
  beneficiaries: SealKeys;
  twoFactor: SealKeys;
  kyc: SealKeys;
}

export interface ResealCount {
  column: string;
  rows: number;
  resealed: number;
}

const BATCH = 500;

/** Rows of `table` by ascending `key`, a batch at a time. */
async function* rowsOf(knex: Knex, table: string, key: string, columns: string[]) {
  let after: number | null = null;
  for (;;) {
    const q = knex(table).select(columns).orderBy(key).limit(BATCH);
    if (after !== null) q.where(key, '>', after);
    const rows: Array<Record<string, any>> = await q;
    if (rows.length === 0) return;
    yield* rows;
    after = rows[rows.length - 1]![key] as number;
  }
}

/** One sealed column of a table, each value not sealed with the current key sealed again. */
async function resealColumn(
  knex: Knex,
  keys: SealKeys,
  c: { table: string; key: string; column: string; context: (row: Record<string, any>) => string; also?: string[] },
): Promise<ResealCount> {
  const count = { column: `${c.table}.${c.column}`, rows: 0, resealed: 0 };
  for await (const r of rowsOf(knex, c.table, c.key, [c.key, c.column, ...(c.also ?? [])])) {
    count.rows++;
    const context = c.context(r);
    const sealed = r[c.column] as string;
    if (isCurrentlySealed(keys, sealed, context)) continue;
    const plain = decryptSecret(keys, sealed, context);
    count.resealed += await knex(c.table)
      .where({ [c.key]: r[c.key], [c.column]: sealed })
      .update({ [c.column]: encryptSecret(keys, plain, context) });
  }
  return count;
}

export async function resealAll(knex: Knex, keys: ResealKeys): Promise<ResealCount[]> {
  const counts: ResealCount[] = [];

  counts.push(
    await resealColumn(knex, keys.beneficiaries, {
      table: 'beneficiaries',
      key: 'id',
      column: 'account_number',
      context: (r) => accountContext(r.user_id, r.account_hash),
      also: ['user_id', 'account_hash'],
    }),
    await resealColumn(knex, keys.twoFactor, {
      table: 'two_factor',
      key: 'user_id',
      column: 'secret_sealed',
      context: (r) => secretContext(r.user_id),
    }),
  );

  const kyc = { column: 'kyc_submissions.details_sealed', rows: 0, resealed: 0 };
  const kycColumns = ['id', 'user_id', 'pan', 'address', 'date_of_birth', 'details_sealed'];
  for await (const r of rowsOf(knex, 'kyc_submissions', 'id', kycColumns)) {
    kyc.rows++;
    const context = kycContext(r.user_id, r.id);
    if (r.details_sealed !== null) {
      if (isCurrentlySealed(keys.kyc, r.details_sealed, context)) continue;
      const plain = decryptSecret(keys.kyc, r.details_sealed, context);
      kyc.resealed += await knex('kyc_submissions')
        .where({ id: r.id, details_sealed: r.details_sealed })
        .update({ details_sealed: encryptSecret(keys.kyc, plain, context) });
    } else {
      // Submitted in clear before migration 019: sealed now, and the clear columns emptied.
      const details: SealedKycDetails = { pan: r.pan, address: r.address, dateOfBirth: r.date_of_birth };
      kyc.resealed += await knex('kyc_submissions')
        .where({ id: r.id })
        .whereNull('details_sealed')
        .update({
          details_sealed: encryptSecret(keys.kyc, JSON.stringify(details), context),
          pan: null,
          address: null,
          date_of_birth: null,
        });
    }
  }
  counts.push(kyc);
  return counts;
}
