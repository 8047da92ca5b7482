/**
 * Encryption of sensitive columns at rest: AES-256-GCM with a random 96-bit IV and a 128-bit tag
 * (pinned: a shorter tag is refused, not accepted as GCM would allow), stored as
 * `v2:<iv>:<tag>:<ciphertext>` (base64). The ciphertext is bound to where it belongs by
 * additional authenticated data (`context`, e.g. the owning user and column), so a value copied
 * into another user's row fails to open instead of reading as theirs.
 *
 * `v1` values (written before contexts existed) are still read; docs/security.md has the
 * re-encryption and key-rotation path. A keyed hash (HMAC-SHA256) gives a stable,
 * non-reversible value for uniqueness checks.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { InvariantViolation } from '../domain/errors';

export interface SecretKeys {
  encryptionKey: Buffer;
  /** The key before a rotation: still opens values until `npm run reseal` has re-sealed them. */
  previousKey?: Buffer;
  hashKey: string;
}

export type SealKeys = Pick<SecretKeys, 'encryptionKey' | 'previousKey'>;

const TAG_BYTES = 16;

export function encryptSecret(keys: SealKeys, plain: string, context: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keys.encryptionKey, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const ct = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return `v2:${iv.toString('base64')}:${cipher.getAuthTag().toString('base64')}:${ct.toString('base64')}`;
}

/**
 * Throws when the value was tampered with, sealed under a key we no longer hold, or belongs
 * elsewhere. Tries the current key, then the previous one (during a key rotation).
 */
export function decryptSecret(keys: SealKeys, sealed: string, context: string): string {
  const [version, iv, tag, ct] = sealed.split(':');
  if ((version !== 'v1' && version !== 'v2') || !iv || !tag || ct === undefined)
    throw new InvariantViolation('unreadable encrypted value');
  const tagBytes = Buffer.from(tag, 'base64');
  if (tagBytes.length !== TAG_BYTES) throw new InvariantViolation('an encrypted value has a truncated tag');
  for (const key of keys.previousKey ? [keys.encryptionKey, keys.previousKey] : [keys.encryptionKey]) {
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'), { authTagLength: TAG_BYTES });
      if (version === 'v2') decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(tagBytes);
      return Buffer.concat([decipher.update(Buffer.from(ct, 'base64')), decipher.final()]).toString('utf8');
    } catch {
      // the next key, if any
    }
  }
  throw new InvariantViolation('an encrypted value failed authentication (tampered, another key, or another row)');
}

/** Sealed with the current key and with the context (v2): nothing for `npm run reseal` to do. */
export function isCurrentlySealed(keys: SealKeys, sealed: string, context: string): boolean {
  if (!sealed.startsWith('v2:')) return false;
  try {
    decryptSecret({ encryptionKey: keys.encryptionKey }, sealed, context);
    return true;
  } catch {
    return false;
  }
}

/** Whether `sealed` predates contexts (and should be re-encrypted). */
export const isLegacySealed = (sealed: string) => sealed.startsWith('v1:');

export const keyedHash = (keys: SecretKeys, value: string) =>
  createHmac('sha256', keys.hashKey).update(value).digest('hex');

/** A current key and, during a rotation, the previous one, from their base64 settings. */
export const sealKeysOf = (current: string, previous: string | undefined): SealKeys => ({
  encryptionKey: Buffer.from(current, 'base64'),
  ...(previous ? { previousKey: Buffer.from(previous, 'base64') } : {}),
});
