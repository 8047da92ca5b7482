/**
 * ULIDs (time-ordered ids: payments, sessions, approvals) whose random part comes from a pool of
 * crypto-random bytes. `ulid()` alone looks for a random source and asks it for one byte per
 * character, sixteen calls an id, at every payment the API starts (docs/performance.md). The
 * bytes are the same CSPRNG's, read 256 at a time; each is used once.
 */
import { randomFillSync } from 'node:crypto';
import { ulid } from 'ulid';

const pool = new Uint8Array(256);
let next = pool.length;

/** A fraction in [0, 1) from the next unused random byte, as ulid's own source gives. */
function pooledRandom(): number {
  if (next === pool.length) {
    randomFillSync(pool);
    next = 0;
  }
  return pool[next++]! / 256;
}

export const newUlid = (): string => ulid(undefined, pooledRandom);
