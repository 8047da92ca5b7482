/**
 * Money is an integer number of paise behind a brand, so a rupee amount, a count or a float can
 * never be passed where money is expected. Paise are made only by the parsers below, which
 * reject fractions of a paisa, NaN, and values outside MySQL's DECIMAL(15,2).
 *
 * Why `number` and not `bigint`: DECIMAL(15,2) tops out at 999,999,999,999,999 paise, below
 * 2^53, so every amount is exact as a safe integer; and numbers cross Temporal's JSON payloads
 * and zod untouched. Every operation below re-checks the range, so overflow cannot creep in.
 */
import { ValidationError } from './errors';

export type Paise = number & { readonly __brand: 'Paise' };

/** 10^13 − 0.01 rupees: the largest value DECIMAL(15,2) holds. */
export const MAX_PAISE = 999_999_999_999_999;
export const ZERO = 0 as Paise;

function checked(n: number, what: string): Paise {
  if (!Number.isSafeInteger(n) || n < -MAX_PAISE || n > MAX_PAISE) {
    throw new ValidationError(`${what} is out of range for money`, { value: String(n) });
  }
  return n as Paise;
}

/** From an integer count of paise (provider payloads, Temporal inputs). */
export function paise(n: number): Paise {
  return checked(n, 'amount');
}

const RUPEES = /^(-)?(\d{1,13})(?:\.(\d{1,2}))?$/;

/**
 * From a rupee string as MySQL's DECIMAL and our API write it ("250.00", "250.5", "250").
 * Parsed digit by digit: never through `Number(x) * 100`, which is inexact.
 */
export function parseRupees(text: string): Paise {
  const m = RUPEES.exec(text.trim());
  if (!m) throw new ValidationError('amount must be rupees with at most two decimals', { value: text });
  const [, sign, whole, frac = ''] = m;
  const p = Number(whole) * 100 + Number(frac.padEnd(2, '0'));
  return checked(sign ? -p : p, 'amount');
}

/**
 * From an API value: a string, or a JSON number with at most two decimals. A JSON number like
 * 250.1 is exactly the shortest decimal JS prints for it, so going through its string is exact.
 */
export function parseApiAmount(value: string | number): Paise {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new ValidationError('amount must be a finite number', { value: String(value) });
    return parseRupees(String(value));
  }
  return parseRupees(value);
}

/** "250.00": the only way money leaves the core as text (API, MySQL, CSV). */
export function formatRupees(p: Paise): string {
  const neg = p < 0;
  const abs = Math.abs(p);
  const frac = abs % 100;
  const whole = (abs - frac) / 100;
  return `${neg ? '-' : ''}${whole}.${String(frac).padStart(2, '0')}`;
}

export function add(a: Paise, b: Paise): Paise {
  return checked(a + b, 'sum');
}

export function subtract(a: Paise, b: Paise): Paise {
  return checked(a - b, 'difference');
}

export function sum(values: Iterable<Paise>): Paise {
  let total = ZERO;
  for (const v of values) total = add(total, v);
  return total;
}

export function isPositive(p: Paise): boolean {
  return p > 0;
}

export function min(a: Paise, b: Paise): Paise {
  return (a < b ? a : b) as Paise;
}

/**
 * floor(amount × numerator / denominator) in exact integer arithmetic (bigint inside: the
 * product can pass 2^53). Used for commission and fee splits; the remainder stays with the
 * platform, so parts never sum to more than the whole.
 */
export function mulDivFloor(amount: Paise, numerator: number, denominator: number): Paise {
  if (!Number.isSafeInteger(numerator) || !Number.isSafeInteger(denominator) || denominator <= 0 || numerator < 0) {
    throw new ValidationError('invalid ratio', { numerator, denominator });
  }
  const q = (BigInt(amount) * BigInt(numerator)) / BigInt(denominator);
  // BigInt division truncates toward zero; floor differs only for negatives.
  const r = (BigInt(amount) * BigInt(numerator)) % BigInt(denominator);
  return checked(Number(r < 0n ? q - 1n : q), 'split');
}
