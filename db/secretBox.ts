/**
 * Encryption of sensitive columns at rest (beneficiary account numbers): AES-256-GCM with a
 * random 96-bit IV and the 128-bit tag, stored as `v1:<iv>:<tag>:<ciphertext>` (base64). The
 * version prefix leaves room to rotate keys: a v2 can be read beside v1 during re-encryption.
 * A keyed hash (HMAC-SHA256) gives a stable, non-reversible value for uniqueness checks.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { InvariantViolation } from '../domain/errors';

export interface SecretKeys {
  encryptionKey: Buffer;
  hashKey: string;
}

export function encryptSecret(keys: SecretKeys, plain: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keys.encryptionKey, iv);
  const ct = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return `v1:${iv.toString('base64')}:${cipher.getAuthTag().toString('base64')}:${ct.toString('base64')}`;
}

/** Throws when the value was tampered with or sealed under another key. */
export function decryptSecret(keys: SecretKeys, sealed: string): string {
  const [version, iv, tag, ct] = sealed.split(':');
  if (version !== 'v1' || !iv || !tag || ct === undefined) throw new InvariantViolation('unreadable encrypted value');
  try {
    const decipher = createDecipheriv('aes-256-gcm', keys.encryptionKey, Buffer.from(iv, 'base64'));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(ct, 'base64')), decipher.final()]).toString('utf8');
  } catch {
    throw new InvariantViolation('an encrypted value failed authentication (tampered, or another key)');
  }
}

export const keyedHash = (keys: SecretKeys, value: string) =>
  createHmac('sha256', keys.hashKey).update(value).digest('hex');
