import fc from 'fast-check';
import { userTotalsSql } from '../../db/reports/snapshot';
import { addDays } from '../../domain/calendar';
import {
  checkedRange,
  formatRateBp,
  periodOf,
  periodsOf,
  SETTLE_BUCKETS_MS,
  settleBucketOf,
  settleFigures,
  successRateBp,
} from '../../domain/reports';

describe('periods (IST calendar days)', () => {
  it('start a week on Monday and a month on the 1st', () => {
    expect(periodOf('2026-12-02', 'week')).toBe('2026-11-30'); // a Wednesday
    expect(periodOf('2026-11-30', 'week')).toBe('2026-11-30');
    expect(periodOf('2026-12-06', 'week')).toBe('2026-11-30'); // Sunday
    expect(periodOf('2026-12-07', 'week')).toBe('2026-12-07');
    expect(periodOf('2024-02-29', 'month')).toBe('2024-02-01');
    expect(periodOf('2026-12-02', 'day')).toBe('2026-12-02');
  });

  it('list every period meeting the range once, quiet ones included', () => {
    expect(periodsOf({ from: '2026-11-28', to: '2026-12-08' }, 'week')).toEqual([
      '2026-11-23',
      '2026-11-30',
      '2026-12-07',
    ]);
    expect(periodsOf({ from: '2026-10-31', to: '2027-01-01' }, 'month')).toEqual([
      '2026-10-01',
      '2026-11-01',
      '2026-12-01',
      '2027-01-01',
    ]);
    expect(periodsOf({ from: '2026-12-01', to: '2026-12-03' }, 'day')).toHaveLength(3);
  });

  it('refuse a range that ends before it starts or is longer than the reports answer', () => {
    expect(() => checkedRange({ from: '2026-12-02', to: '2026-12-01' })).toThrow(/after/);
    expect(() => checkedRange({ from: '2025-01-01', to: '2026-12-01' })).toThrow(/at most/);
    expect(checkedRange({ from: '2026-12-01', to: '2026-12-01' })).toEqual({ from: '2026-12-01', to: '2026-12-01' });
  });
});

describe('the time-to-settle histogram', () => {
  it('has rising bounds, each at most 10% (and a millisecond) above the last', () => {
    for (let i = 1; i < SETTLE_BUCKETS_MS.length; i++) {
      expect(SETTLE_BUCKETS_MS[i]!).toBeGreaterThan(SETTLE_BUCKETS_MS[i - 1]!);
      expect(SETTLE_BUCKETS_MS[i]!).toBeLessThanOrEqual(Math.ceil(SETTLE_BUCKETS_MS[i - 1]! * 1.1));
    }
  });

  it('puts a time in the bucket whose bound is the first above it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 40 * 86_400_000 }), (ms) => {
        const b = settleBucketOf(ms);
        if (b < SETTLE_BUCKETS_MS.length) expect(ms).toBeLessThan(SETTLE_BUCKETS_MS[b]!);
        if (b > 0) expect(ms).toBeGreaterThanOrEqual(SETTLE_BUCKETS_MS[b - 1]!);
      }),
    );
  });

  it('reads percentiles at most 10% above the true nearest-rank value', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 100, max: 86_400_000 }), { minLength: 1, maxLength: 200 }), (times) => {
        const buckets = new Map<number, number>();
        for (const t of times) buckets.set(settleBucketOf(t), (buckets.get(settleBucketOf(t)) ?? 0) + 1);
        const f = settleFigures({ buckets, payments: times.length, totalMs: times.reduce((a, b) => a + b, 0) });
        const sorted = [...times].sort((a, b) => a - b);
        const truth = (q: number) => sorted[Math.ceil(q * sorted.length) - 1]!;
        for (const [read, q] of [
          [f.p50Ms!, 0.5],
          [f.p95Ms!, 0.95],
        ] as const) {
          expect(read).toBeGreaterThan(truth(q));
          expect(read).toBeLessThanOrEqual(Math.ceil(truth(q) * 1.1) + 1);
        }
      }),
    );
  });

  it('says nothing when nothing settled', () => {
    expect(settleFigures({ buckets: new Map(), payments: 0, totalMs: 0 })).toEqual({
      payments: 0,
      meanMs: null,
      p50Ms: null,
      p95Ms: null,
    });
  });
});

describe('rates', () => {
  it('are basis points of what settled, shown as a percentage string', () => {
    expect(successRateBp(3, 1)).toBe(7500);
    expect(successRateBp(0, 0)).toBeNull();
    expect(formatRateBp(successRateBp(2, 1))).toBe('66.67');
    expect(formatRateBp(10_000)).toBe('100.00');
    expect(formatRateBp(5)).toBe('0.05');
  });
});

describe("a window's users read by week and edge days", () => {
  // 2026-11-02 and 2026-11-09 are Mondays.
  const read = (from: string, to: string) =>
    userTotalsSql({ from, to }).map((p) => [p.sql.match(/FROM (\w+)/)![1], p.values]);

  it('reads whole weeks from the weekly rollup and the days around them from the daily one', () => {
    expect(read('2026-10-29', '2026-11-17')).toEqual([
      ['report_user_weeks', ['2026-11-02', '2026-11-09']],
      ['report_user_days', ['2026-10-29', '2026-11-01']],
      ['report_user_days', ['2026-11-16', '2026-11-17']],
      ['report_payment_deltas', ['2026-10-29', '2026-11-17']],
    ]);
    expect(read('2026-11-02', '2026-11-08')).toEqual([
      ['report_user_weeks', ['2026-11-02', '2026-11-02']],
      ['report_payment_deltas', ['2026-11-02', '2026-11-08']],
    ]);
    expect(read('2026-11-03', '2026-11-09')).toEqual([
      ['report_user_days', ['2026-11-03', '2026-11-09']],
      ['report_payment_deltas', ['2026-11-03', '2026-11-09']],
    ]);
  });

  it('covers every day of any window exactly once', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 800 }), fc.integer({ min: 0, max: 60 }), (start, length) => {
        const from = addDays('2025-01-01', start);
        const to = addDays(from, length);
        const covered: string[] = [];
        for (const p of userTotalsSql({ from, to })) {
          const [a, b] = p.values as [string, string];
          if (p.sql.includes('report_payment_deltas')) continue;
          const weekly = p.sql.includes('report_user_weeks');
          for (let d = a; d <= b; d = addDays(d, weekly ? 7 : 1))
            for (let i = 0; i < (weekly ? 7 : 1); i++) covered.push(addDays(d, i));
        }
        const want: string[] = [];
        for (let d = from; d <= to; d = addDays(d, 1)) want.push(d);
        expect(covered.sort()).toEqual(want);
      }),
    );
  });
});
