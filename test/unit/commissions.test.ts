import fc from 'fast-check';
import { formatRate, parseRate, splitCommissions, totalOf, Upline } from '../../domain/commissions';
import { ValidationError } from '../../domain/errors';
import { MAX_PAISE, paise } from '../../domain/money';

const chain = (rates: Array<[number, boolean]>): Upline[] =>
  rates.map(([rate, eligible], i) => ({ userId: 100 + i, level: i + 1, rate, eligible }));

describe('commission split', () => {
  it('pays each level floor(amount × rate), to the paisa, within the margin', () => {
    // ₹999.99 recharge, rates 1.00 % / 0.50 % / 0.25 %, margin 3 %
    const shares = splitCommissions(
      paise(99_999),
      chain([
        [100, true],
        [50, true],
        [25, true],
      ]),
      300,
    );
    expect(shares.map((s) => [s.level, s.amount])).toEqual([
      [1, 999],
      [2, 499],
      [3, 249],
    ]); // 999.99, 499.995, 249.9975 paise floored
    expect(totalOf(shares)).toBe(1747);
  });

  it('skips an inactive or unverified upline but keeps the levels of the chain', () => {
    const shares = splitCommissions(
      paise(10_000),
      chain([
        [100, true],
        [50, false],
        [25, true],
      ]),
      300,
    );
    expect(shares.map((s) => [s.userId, s.level, s.amount])).toEqual([
      [100, 1, 100],
      [102, 3, 25],
    ]);
  });

  it('caps the total at the margin, paying nearer levels first', () => {
    const shares = splitCommissions(
      paise(10_000),
      chain([
        [200, true],
        [200, true],
        [200, true],
      ]),
      500,
    ); // margin ₹5.00
    expect(shares.map((s) => s.amount)).toEqual([200, 200, 100]);
    expect(splitCommissions(paise(10_000), chain([[100, true]]), 0)).toEqual([]);
  });

  it('never goes past three levels', () => {
    expect(
      splitCommissions(
        paise(10_000),
        chain([
          [1, true],
          [1, true],
          [1, true],
          [1, true],
        ]),
        10_000,
      ),
    ).toHaveLength(3);
  });

  it('properties: within margin, within each rate, only eligible levels 1-3, never negative', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: MAX_PAISE }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 10_000 }), fc.boolean()), { maxLength: 5 }),
        fc.integer({ min: 0, max: 10_000 }),
        (amount, rates, margin) => {
          const ups = chain(rates);
          const shares = splitCommissions(paise(amount), ups, margin);
          const marginPaise = (BigInt(amount) * BigInt(margin)) / 10_000n;
          return (
            BigInt(totalOf(shares)) <= marginPaise &&
            shares.every(
              (s) =>
                s.amount > 0 &&
                s.level >= 1 &&
                s.level <= 3 &&
                ups.find((u) => u.userId === s.userId)!.eligible &&
                BigInt(s.amount) * 10_000n <= BigInt(amount) * BigInt(s.rate),
            )
          );
        },
      ),
    );
  });

  it('parses DECIMAL(5,4) rates exactly', () => {
    expect(parseRate('0.0100')).toBe(100);
    expect(parseRate('0.0125')).toBe(125);
    expect(parseRate('1')).toBe(10_000);
    expect(formatRate(125)).toBe('0.0125');
    for (const bad of ['1.0001', '-0.1', '0.00001', 'abc']) expect(() => parseRate(bad)).toThrow(ValidationError);
  });
});
