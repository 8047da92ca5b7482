import fc from 'fast-check';
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
