/**
 * TOTP (RFC 6238: SHA-1, 6 digits, 30-second steps, what every authenticator app reads) with
 * otpauth, enrolment QR codes with qrcode, and one-time recovery codes. A code is accepted for
 * the current step or one either side (clock drift), and only once: the step it matched is
 * recorded, and a code for that step or an earlier one is refused after it.
 */
import { createHash, randomInt } from 'node:crypto';
import type { Knex } from 'knex';
import { Secret, TOTP } from 'otpauth';
import QRCode from 'qrcode';
import type { Config } from '../../config';
import { verifyPassword } from '../../db/passwords';
import { secretOf, spendRecoveryCode, spendTotpStep, twoFactorKeysOf, TwoFactorKeys } from '../../db/twoFactor';
import { getUser } from '../../db/users';
import { SecondFactorError } from '../../domain/errors';
import { createLoginThrottle } from '../rateLimits';

const PERIOD_SECONDS = 30;
const RECOVERY_CODES = 10;
// Crockford's base32: no I, L, O or U, so codes read aloud or copied by hand survive.
const RECOVERY_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

const totpOf = (secretBase32: string, issuer = 'NexasPay', label = 'user') =>
  new TOTP({
    issuer,
    label,
    secret: Secret.fromBase32(secretBase32),
    algorithm: 'SHA1',
    digits: 6,
    period: PERIOD_SECONDS,
  });

export const newTotpSecret = () => new Secret({ size: 20 }).base32;

export interface Enrolment {
  secret: string;
  otpauthUri: string;
  qrCodeSvg: string;
}

export async function enrolmentFor(secretBase32: string, issuer: string, account: string): Promise<Enrolment> {
  const otpauthUri = totpOf(secretBase32, issuer, account).toString();
  return { secret: secretBase32, otpauthUri, qrCodeSvg: await QRCode.toString(otpauthUri, { type: 'svg', margin: 2 }) };
}

/** The code an authenticator app shows now (the demo's `npm run totp`, and tests). */
export const currentTotp = (secretBase32: string, at = Date.now()) => totpOf(secretBase32).generate({ timestamp: at });

/** The 30-second step `code` is valid for (within one step of now), or null. */
export function totpStep(secretBase32: string, code: string, at = Date.now()): number | null {
  const delta = totpOf(secretBase32).validate({ token: code, timestamp: at, window: 1 });
  return delta === null ? null : Math.floor(at / 1000 / PERIOD_SECONDS) + delta;
}

export function newRecoveryCodes(): string[] {
  const part = () => Array.from({ length: 5 }, () => RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)]).join('');
  return Array.from({ length: RECOVERY_CODES }, () => `${part()}-${part()}`);
}

/** Case, dashes and spaces do not matter when a recovery code is typed back. */
export const hashRecoveryCode = (code: string) =>
  createHash('sha256').update(code.toUpperCase().replace(/[\s-]/g, '')).digest('hex');

/**
 * Checks a second factor of `userId`: a 6-digit TOTP code from the enrolled (or pending) secret,
 * or an unused recovery code, which is spent. How it passed; 'used' for a right code already
 * accepted (the app still shows it for the rest of its 30 seconds: the owner's, most likely, so
 * callers do not count it as a guess); or null.
 */
export async function checkSecondFactor(
  knex: Knex,
  keys: TwoFactorKeys,
  userId: number,
  code: string,
): Promise<'totp' | 'recovery' | 'used' | null> {
  const trimmed = code.trim();
  if (/^\d{6}$/.test(trimmed)) {
    const secret = await secretOf(knex, keys, userId);
    const step = secret ? totpStep(secret, trimmed) : null;
    if (step === null) return null;
    return (await spendTotpStep(knex, userId, step)) ? 'totp' : 'used';
  }
  return (await spendRecoveryCode(knex, userId, hashRecoveryCode(trimmed))) ? 'recovery' : null;
}

/** What to tell a client whose code was refused. */
export const refusedCodeMessage = (outcome: 'used' | null) =>
  outcome === 'used'
    ? 'this code was used already; wait for the next one (codes change every 30 seconds)'
    : 'the code is wrong, expired or already used';

export type ProveSecondFactor = (
  ip: string,
  userId: number,
  code: string,
  o?: { password?: string; onWrong?: () => Promise<void> },
) => Promise<'totp' | 'recovery'>;

/**
 * A signed-in user's code (and, where given, password), throttled like a login: counted before
 * it is checked, a used code (the owner's) forgiven, a wrong one a failure; SecondFactorError
 * when refused. `onWrong` runs before a wrong one is refused (not a used one).
 */
export function createSecondFactorProof(knex: Knex, config: Config): ProveSecondFactor {
  const keys = twoFactorKeysOf(config);
  const throttle = createLoginThrottle(knex, config);
  return async (ip, userId, code, o = {}) => {
    const account = `user:${userId}`;
    const counted = await throttle.attempt(account, ip);
    const passwordOk =
      o.password === undefined || (await verifyPassword((await getUser(knex, userId)).password, o.password));
    const how = passwordOk ? await checkSecondFactor(knex, keys, userId, code) : null;
    if (how === 'used') {
      await throttle.forgive(account, ip);
      throw new SecondFactorError('two_factor_invalid', refusedCodeMessage(how));
    }
    if (!how) {
      await throttle.failed(account, ip, counted);
      await o.onWrong?.();
      throw new SecondFactorError(
        'two_factor_invalid',
        o.password === undefined ? refusedCodeMessage(null) : 'the password or the code is wrong',
      );
    }
    await throttle.succeeded(account, ip);
    return how;
  };
}
