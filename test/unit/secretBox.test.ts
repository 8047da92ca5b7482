import { createCipheriv, randomBytes } from 'node:crypto';
import { decryptSecret, encryptSecret, isLegacySealed } from '../../db/secretBox';

const keys = { encryptionKey: randomBytes(32) };

describe('sealed columns', () => {
  it('open only with the key and the context they were sealed for', () => {
    const sealed = encryptSecret(keys, '50100012345678', 'beneficiaries.account_number|user:7');
    expect(sealed).toMatch(/^v2:/);
    expect(decryptSecret(keys, sealed, 'beneficiaries.account_number|user:7')).toBe('50100012345678');
    // Copied into another user's row, it does not open.
    expect(() => decryptSecret(keys, sealed, 'beneficiaries.account_number|user:8')).toThrow(/another row/);
    expect(() =>
      decryptSecret({ encryptionKey: randomBytes(32) }, sealed, 'beneficiaries.account_number|user:7'),
    ).toThrow(/failed authentication/);
    const [v, iv, tag, ct] = sealed.split(':');
    const flipped = Buffer.from(ct!, 'base64');
    flipped[0]! ^= 1;
    expect(() => decryptSecret(keys, [v, iv, tag, flipped.toString('base64')].join(':'), 'x')).toThrow();
  });

  it('refuse a truncated tag, which GCM alone would accept', () => {
    const sealed = encryptSecret(keys, 'secret', 'ctx');
    const [v, iv, tag, ct] = sealed.split(':');
    const short = Buffer.from(tag!, 'base64').subarray(0, 4).toString('base64');
    expect(() => decryptSecret(keys, [v, iv, short, ct].join(':'), 'ctx')).toThrow(/truncated tag/);
  });

  it('still read v1 values sealed before contexts existed', () => {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', keys.encryptionKey, iv);
    const ct = Buffer.concat([cipher.update('old value', 'utf8'), cipher.final()]);
    const v1 = `v1:${iv.toString('base64')}:${cipher.getAuthTag().toString('base64')}:${ct.toString('base64')}`;
    expect(isLegacySealed(v1)).toBe(true);
    expect(decryptSecret(keys, v1, 'any context')).toBe('old value');
  });
});
