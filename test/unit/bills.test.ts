import fc from 'fast-check';
import { billAmountRefusal } from '../../domain/bills';
import { Paise } from '../../domain/money';

const p = (n: number) => n as Paise;

it('applies each exactness rule at its boundary', () => {
  expect(billAmountRefusal('EXACT', p(50_000), p(50_000))).toBeUndefined();
  expect(billAmountRefusal('EXACT', p(50_000), p(49_999))).toMatch(/exactly the bill amount, ₹500.00/);
  expect(billAmountRefusal('EXACT', p(50_000), p(50_001))).toBeDefined();
  expect(billAmountRefusal('EXACT_AND_ABOVE', p(50_000), p(50_001))).toBeUndefined();
  expect(billAmountRefusal('EXACT_AND_ABOVE', p(50_000), p(49_999))).toMatch(/or more/);
  expect(billAmountRefusal('EXACT_AND_BELOW', p(50_000), p(100))).toBeUndefined();
  expect(billAmountRefusal('EXACT_AND_BELOW', p(50_000), p(50_001))).toMatch(/at most/);
  expect(billAmountRefusal('ANY', p(50_000), p(1))).toBeUndefined();
  expect(billAmountRefusal('ANY', p(50_000), p(0))).toMatch(/positive/);
});

it('EXACT accepts exactly one amount; ABOVE and BELOW partition the rest around it', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 10_000_000 }), fc.integer({ min: 1, max: 10_000_000 }), (bill, amount) => {
      const exact = billAmountRefusal('EXACT', p(bill), p(amount)) === undefined;
      const above = billAmountRefusal('EXACT_AND_ABOVE', p(bill), p(amount)) === undefined;
      const below = billAmountRefusal('EXACT_AND_BELOW', p(bill), p(amount)) === undefined;
      expect(exact).toBe(amount === bill);
      expect(above && below).toBe(exact);
      expect(above || below).toBe(true);
    }),
  );
});
