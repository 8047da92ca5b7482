/**
 * The vocabulary of the reports (docs/reports.md): periods in IST, the time-to-settle
 * histogram, percentiles read from it, and which provider serves each payment kind.
 */
import { ValidationError } from './errors';
import type { PaymentKind } from './payments';

export const GRANULARITIES = ['day', 'week', 'month'] as const;
export type Granularity = (typeof GRANULARITIES)[number];

/** The longest window a report answers: the rollups make longer ones cheap, but a page of years is not a report. */
export const MAX_REPORT_DAYS = 400;

/** An inclusive range of IST calendar days, 'YYYY-MM-DD'. */
export interface DayRange {
  from: string;
  to: string;
}

const DAY_MS = 86_400_000;
const dayNumber = (d: string) => Date.parse(`${d}T00:00:00Z`) / DAY_MS;
const dayOf = (n: number) => new Date(n * DAY_MS).toISOString().slice(0, 10);

export function checkedRange(r: DayRange): DayRange {
  const days = dayNumber(r.to) - dayNumber(r.from) + 1;
  if (!(days >= 1)) throw new ValidationError('from must not be after to', { from: r.from, to: r.to });
  if (days > MAX_REPORT_DAYS)
    throw new ValidationError(`a report covers at most ${MAX_REPORT_DAYS} days`, { from: r.from, to: r.to });
  return r;
}

/** The first day of the period holding `day`: the day itself, its Monday, or the 1st of its month. */
export function periodOf(day: string, g: Granularity): string {
  if (g === 'day') return day;
  if (g === 'month') return `${day.slice(0, 7)}-01`;
  const n = dayNumber(day);
  const weekday = (n + 3) % 7; // 1970-01-01 was a Thursday: Monday = 0
  return dayOf(n - weekday);
}

/** Every period that meets the range, in order, so a trend has a point for a quiet period too. */
export function periodsOf(r: DayRange, g: Granularity): string[] {
  const out: string[] = [];
  for (let n = dayNumber(r.from); n <= dayNumber(r.to); n++) {
    const p = periodOf(dayOf(n), g);
    if (out[out.length - 1] !== p) out.push(p);
  }
  return out;
}

/**
 * Upper bounds (exclusive, ms) of the time-to-settle buckets: under 100 ms, then each 10% wider
 * than the last, up to 30 days; a last bucket holds anything longer. A percentile read from the
 * histogram is the upper bound of its bucket: at most 10% above the true figure.
 */
export const SETTLE_BUCKETS_MS: readonly number[] = (() => {
  const bounds = [100];
  while (bounds[bounds.length - 1]! < 30 * DAY_MS) bounds.push(Math.ceil(bounds[bounds.length - 1]! * 1.1));
  return bounds;
})();
export const OVERFLOW_BUCKET = SETTLE_BUCKETS_MS.length;

export function settleBucketOf(ms: number): number {
  let lo = 0;
  let hi = SETTLE_BUCKETS_MS.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ms < SETTLE_BUCKETS_MS[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** The same bucketing in SQL, for statements that read deltas not yet folded. */
export function settleBucketSql(column: string): string {
  const whens = SETTLE_BUCKETS_MS.map((b, i) => `WHEN ${column} < ${b} THEN ${i}`).join(' ');
  return `CASE ${whens} ELSE ${OVERFLOW_BUCKET} END`;
}

export interface SettleHistogram {
  /** bucket → payments */
  buckets: Map<number, number>;
  payments: number;
  totalMs: number;
}

export interface SettleFigures {
  payments: number;
  /** Exact: total time over payments. */
  meanMs: number | null;
  /** Upper bounds of the buckets holding the median and the 95th percentile; null when none settled. */
  p50Ms: number | null;
  p95Ms: number | null;
}

/** The upper bound of the bucket holding the q-quantile (nearest rank); beyond the last bound, that bound. */
function quantile(h: SettleHistogram, q: number): number | null {
  if (h.payments <= 0) return null;
  const rank = Math.ceil(q * h.payments);
  let seen = 0;
  for (const b of [...h.buckets.keys()].sort((x, y) => x - y)) {
    seen += h.buckets.get(b)!;
    if (seen >= rank) return SETTLE_BUCKETS_MS[Math.min(b, SETTLE_BUCKETS_MS.length - 1)]!;
  }
  return SETTLE_BUCKETS_MS[SETTLE_BUCKETS_MS.length - 1]!;
}

export function settleFigures(h: SettleHistogram): SettleFigures {
  return {
    payments: h.payments,
    meanMs: h.payments > 0 ? Math.round(h.totalMs / h.payments) : null,
    p50Ms: quantile(h, 0.5),
    p95Ms: quantile(h, 0.95),
  };
}

/**
 * A coarser, cumulative view of the histogram for Prometheus: for each wanted bound, the largest
 * bucket bound not above it, and how many payments settled in less than that. Counting whole
 * buckets keeps each count exact (a payment in a bucket straddling the bound is not counted).
 */
export function cumulativeSettleCounts(
  h: SettleHistogram,
  wantedMs: readonly number[],
): Array<{ upToMs: number; payments: number }> {
  return wantedMs.map((wanted) => {
    if (wanted < SETTLE_BUCKETS_MS[0]!) throw new RangeError(`no settle bucket ends at or below ${wanted} ms`);
    const last = settleBucketOf(wanted) - 1; // the last bucket whose bound is at most `wanted`
    let payments = 0;
    for (const [b, n] of h.buckets) if (b <= last) payments += n;
    return { upToMs: SETTLE_BUCKETS_MS[last]!, payments };
  });
}

/** Who answers for each kind: one provider per kind today (a second one would add a column to the rollups). */
export const PROVIDER_OF_KIND: Record<PaymentKind, string> = {
  topup: 'phonepe',
  refund: 'phonepe',
  payout: 'payout-bank',
  recharge: 'recharge-aggregator',
  bill: 'bbps',
  transfer: 'internal',
};

/** Success rate in basis points of what settled (completed / (completed + failed)); null when nothing settled. */
export function successRateBp(completed: number, failed: number): number | null {
  const settled = completed + failed;
  return settled > 0 ? Math.round((completed * 10_000) / settled) : null;
}

/** "97.25": a rate in basis points as a percentage string, like money, never a float in the API. */
export function formatRateBp(bp: number | null): string | null {
  if (bp === null) return null;
  return `${Math.trunc(bp / 100)}.${String(bp % 100).padStart(2, '0')}`;
}
