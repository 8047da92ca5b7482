/**
 * The limit counters against the sums they replace: random sequences of counted money (postings,
 * holds placed, holds resolved), across IST midnights and a month end, with clocks that may run
 * a little behind. After every step the counters must equal the brute-force sums over what still
 * counts, for the day and month they name, and nothing may count after those.
 */
import fc from 'fast-check';
import { istDate, istMonthStart } from '../../domain/calendar';
import { countUsage, LimitCounters, NO_COUNTERS, uncountUsage, usageAt } from '../../domain/limitUsage';
import { Paise, paise } from '../../domain/money';

interface Item {
  at: Date;
  amount: Paise;
}

const sum = (items: Item[], pick: (d: Date) => string, period: string | null) =>
  items.filter((i) => pick(i.at) === period).reduce((t, i) => t + i.amount, 0);

function expectAgrees(c: LimitCounters, items: Item[]): void {
  expect(c.dayUsed).toBe(sum(items, istDate, c.day));
  expect(c.monthUsed).toBe(sum(items, istMonthStart, c.month));
  const later = items.filter(
    (i) => c.day === null || istDate(i.at) > c.day || c.month === null || istMonthStart(i.at) > c.month,
  );
  expect(later).toEqual([]);
}

// 2026-11-29 18:00 IST: the steps walk across three IST midnights and the end of November.
const START = Date.UTC(2026, 10, 29, 12, 30);

type Step =
  { op: 'post'; amount: number } | { op: 'hold'; amount: number } | { op: 'resolve'; pick: number; captured: number };
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ op: fc.constant('post' as const), amount: fc.integer({ min: 1, max: 50_000 }) }),
  fc.record({ op: fc.constant('hold' as const), amount: fc.integer({ min: 1, max: 50_000 }) }),
  fc.record({ op: fc.constant('resolve' as const), pick: fc.nat(), captured: fc.integer({ min: 0, max: 100 }) }),
);

it('count and uncount keep the counters equal to the sums over what counts', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(step, fc.integer({ min: 0, max: 6 * 3_600_000 }), fc.integer({ min: 0, max: 2_000 })), {
        maxLength: 60,
      }),
      (steps) => {
        let c = NO_COUNTERS;
        let clock = START;
        const counted: Item[] = [];
        const holds: Item[] = [];
        for (const [s, advance, skew] of steps) {
          clock += advance;
          // Another process's clock, up to two seconds behind the latest one.
          const now = new Date(clock - skew);
          if (s.op === 'post') {
            c = countUsage(c, now, paise(s.amount));
            counted.push({ at: now, amount: paise(s.amount) });
          } else if (s.op === 'hold') {
            c = countUsage(c, now, paise(s.amount));
            holds.push({ at: now, amount: paise(s.amount) });
          } else if (holds.length > 0) {
            const [hold] = holds.splice(s.pick % holds.length, 1);
            c = uncountUsage(c, hold!.at, hold!.amount);
            const capturedAmount = Math.floor((hold!.amount * s.captured) / 100);
            if (capturedAmount > 0) {
              c = countUsage(c, now, paise(capturedAmount));
              counted.push({ at: now, amount: paise(capturedAmount) });
            }
          }
          expectAgrees(c, [...counted, ...holds]);
        }
      },
    ),
    { numRuns: 300 },
  );
});

it('reads zero for a later day, the counted figures for its own day, and nothing for an earlier one', () => {
  const monday = new Date(Date.UTC(2026, 10, 30, 6)); // 30 Nov, 11:30 IST
  const c = countUsage(NO_COUNTERS, monday, paise(12_345));
  expect(usageAt(c, monday)).toEqual({ today: 12_345, month: 12_345 });
  expect(usageAt(c, new Date(Date.UTC(2026, 10, 30, 19)))).toEqual({ today: 0, month: 0 }); // 1 Dec IST
  expect(usageAt(c, new Date(Date.UTC(2026, 10, 29, 6)))).toBeUndefined(); // 29 Nov: not kept
  expect(usageAt(NO_COUNTERS, monday)).toEqual({ today: 0, month: 0 });
});

it('refuses to take back money it never counted', () => {
  const at = new Date(Date.UTC(2026, 10, 30, 6));
  const c = countUsage(NO_COUNTERS, at, paise(100));
  expect(() => uncountUsage(c, at, paise(101))).toThrow(/below zero/);
});
