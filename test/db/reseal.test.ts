import { createCipheriv, randomBytes } from 'node:crypto';
import { accountNumberOf, addBeneficiary } from '../../db/beneficiaries';
import { resealAll } from '../../db/reseal';
import { decryptSecret } from '../../db/secretBox';
import { secretOf, storePendingSecret } from '../../db/twoFactor';
import { kycContext, submitKyc } from '../../db/userAdmin';
import { createTestDatabase, TestDatabase } from '../support/db';
import { createUser } from '../support/ledger';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

const OLD = randomBytes(32);
const NEW = randomBytes(32);
const hashKey = 'beneficiary-hash-key-for-the-reseal-test';

/** A value as sealed before contexts existed (v1: no additional data). */
function v1(key: Buffer, plain: string): string {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  const ct = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
  return `v1:${iv.toString('base64')}:${c.getAuthTag().toString('base64')}:${ct.toString('base64')}`;
}

it('a key rotation: everything sealed under the old key, or not sealed at all, opens with the new key alone', async () => {
  const user = await createUser(db.knex, { kyc: 'pending' });
  const old = { encryptionKey: OLD, hashKey };
  const b = await addBeneficiary(db.knex, old, {
    userId: user.id,
    name: 'Payee',
    accountNumber: '501000111222',
    ifsc: 'HDFC0001234',
    bankName: 'HDFC',
  });
  const legacy = await addBeneficiary(db.knex, old, {
    userId: user.id,
    name: 'Old payee',
    accountNumber: '501000333444',
    ifsc: 'HDFC0001234',
    bankName: 'HDFC',
  });
  await db
    .knex('beneficiaries')
    .where({ id: legacy.id })
    .update({ account_number: v1(OLD, '501000333444') });
  await storePendingSecret(db.knex, { encryptionKey: OLD }, user.id, 'JBSWY3DPEHPK3PXP');
  const { submissionId } = await submitKyc(db.knex, { encryptionKey: OLD }, user.id, {
    pan: 'ABCDE1234F',
    address: '12 MG Road, Pune',
    dateOfBirth: '1990-05-17',
  });
  // A submission from before migration 019, in clear.
  const other = await createUser(db.knex);
  const [clearId] = await db.knex('kyc_submissions').insert({
    user_id: other.id,
    pan: 'PQRSX6789K',
    pan_last4: '789K',
    address: 'Plot 4, Indore',
    date_of_birth: '1985-01-02',
  });

  const rotation = { encryptionKey: NEW, previousKey: OLD };
  const counts = await resealAll(db.knex, { beneficiaries: rotation, twoFactor: rotation, kyc: rotation });
  expect(counts).toEqual([
    { column: 'beneficiaries.account_number', rows: 2, resealed: 2 },
    { column: 'two_factor.secret_sealed', rows: 1, resealed: 1 },
    { column: 'kyc_submissions.details_sealed', rows: 2, resealed: 2 },
  ]);

  const onlyNew = { encryptionKey: NEW, hashKey };
  expect(await accountNumberOf(db.knex, onlyNew, b.id)).toBe('501000111222');
  expect(await accountNumberOf(db.knex, onlyNew, legacy.id)).toBe('501000333444');
  expect(await secretOf(db.knex, { encryptionKey: NEW }, user.id)).toBe('JBSWY3DPEHPK3PXP');
  await expect(accountNumberOf(db.knex, { encryptionKey: OLD, hashKey }, b.id)).rejects.toThrow(
    /failed authentication/,
  );
  const opened = async (id: number, userId: number) => {
    const row = await db.knex('kyc_submissions').where({ id }).first();
    return {
      row,
      details: JSON.parse(decryptSecret({ encryptionKey: NEW }, row.details_sealed, kycContext(userId, id))),
    };
  };
  expect((await opened(submissionId, user.id)).details).toEqual({
    pan: 'ABCDE1234F',
    address: '12 MG Road, Pune',
    dateOfBirth: '1990-05-17',
  });
  const cleared = await opened(clearId!, other.id);
  expect(cleared.details).toEqual({ pan: 'PQRSX6789K', address: 'Plot 4, Indore', dateOfBirth: '1985-01-02' });
  expect([cleared.row.pan, cleared.row.address, cleared.row.date_of_birth, cleared.row.pan_last4]).toEqual([
    null,
    null,
    null,
    '789K',
  ]);

  // Done once is done: a second run finds nothing to do.
  const again = await resealAll(db.knex, {
    beneficiaries: { encryptionKey: NEW },
    twoFactor: { encryptionKey: NEW },
    kyc: { encryptionKey: NEW },
  });
  expect(again.map((c) => c.resealed)).toEqual([0, 0, 0]);
});
