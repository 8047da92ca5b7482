import fc from 'fast-check';
import {
  add,
  formatRupees,
  MAX_PAISE,
  mulDivFloor,
  paise,
  parseApiAmount,
  parseRupees,
  subtract,
} from '../../domain/money';
import { ValidationError } from '../../domain/errors';

describe('Paise', () => {
  it('parses rupee strings exactly, digit by digit', () => {
    expect(parseRupees('250.00')).toBe(25000);
    expect(parseRupees('0.1')).toBe(10);
    expect(parseRupees('0.29')).toBe(29); // 0.29 * 100 is 28.999999999999996 in floating point
    expect(parseRupees('9999999999999.99')).toBe(MAX_PAISE);
    expect(parseRupees('-3.50')).toBe(-350);
  });

  it('rejects fractions of a paisa, junk and out-of-range values', () => {
    for (const bad of ['1.005', 'abc', '', '1e3', '10000000000000.00', 'NaN', '1,000.00', '.5']) {
      expect(() => parseRupees(bad)).toThrow(ValidationError);
    }
    expect(() => parseApiAmount(Number.NaN)).toThrow(ValidationError);
    expect(() => parseApiAmount(0.001)).toThrow(ValidationError);
    expect(() => parseApiAmount(1e21)).toThrow(ValidationError);
    expect(() => paise(1.5)).toThrow(ValidationError);
    expect(() => paise(MAX_PAISE + 1)).toThrow(ValidationError);
  });

  it('accepts JSON numbers with at most two decimals', () => {
    expect(parseApiAmount(250)).toBe(25000);
    expect(parseApiAmount(250.1)).toBe(25010);
    expect(parseApiAmount(0.07)).toBe(7);
  });

  it('format and parse are inverses over the whole range', () => {
    fc.assert(
      fc.property(fc.integer({ min: -MAX_PAISE, max: MAX_PAISE }), (n) => parseRupees(formatRupees(paise(n))) === n),
    );
    expect(formatRupees(paise(5))).toBe('0.05');
    expect(formatRupees(paise(-123456))).toBe('-1234.56');
  });

  it('arithmetic refuses to leave the DECIMAL(15,2) range', () => {
    expect(() => add(paise(MAX_PAISE), paise(1))).toThrow(ValidationError);
    expect(subtract(paise(100), paise(250))).toBe(-150);
  });

  it('splits floor to the paisa and never exceed the whole', () => {
    expect(mulDivFloor(paise(99_999), 125, 10_000)).toBe(1249); // 1249.9875 → 1249
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_PAISE }), fc.integer({ min: 0, max: 10_000 }), (amount, rate) => {
        const part = mulDivFloor(paise(amount), rate, 10_000);
        return part >= 0 && part <= amount && BigInt(part) * 10_000n <= BigInt(amount) * BigInt(rate);
      }),
    );
  });
});
