/** How passwords are stored (argon2id with the library's defaults, OWASP-grade memory cost): by the API when users register or log in, and by the seeds. */
import { hash, verify } from '@node-rs/argon2';

export function hashPassword(password: string): Promise<string> {
  return hash(password);
}

export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  try {
    return await verify(stored, password);
  } catch {
    return false; // a malformed stored hash never authenticates
  }
}

// Unknown logins still spend the time of a real verification, so timing does not reveal which
// logins exist.
let decoy: Promise<string> | undefined;
export async function spendVerificationTime(password: string): Promise<void> {
  decoy ??= hash('decoy-password-for-timing');
  await verifyPassword(await decoy, password);
}
