/**
 * The one crossing between MySQL DECIMAL(15,2) rupees and Paise. mysql2 returns DECIMAL as a
 * string; it is parsed digit by digit (domain/money), never through floating point.
 */
import { formatRupees, Paise, parseRupees, ZERO } from '../domain/money';

export function fromDecimal(value: string | number | null | undefined): Paise {
  if (value === null || value === undefined) return ZERO;
  if (typeof value === 'number') {
    // Only integers are exact as JS numbers; a DECIMAL must never arrive as a float.
    if (!Number.isInteger(value))
      throw new Error(`DECIMAL arrived as a float (${value}); configure mysql2 to return strings`);
    return parseRupees(String(value));
  }
  return parseRupees(value);
}

export function toDecimal(p: Paise): string {
  return formatRupees(p);
}
