/**
 * A user's outgoing money kept as counters on the user's row: the IST day and month last
 * counted, and what was used in each. Postings and holds move them under the user's row lock,
 * so a limit check costs nothing however many entries the user has this month; the invariant
 * checker recomputes them from the entries.
 *
 * What counts is what the old sums over the entries counted (now `COUNTED_TOWARD_LIMITS_SQL` in
 * db/ledger/limits.ts, which the invariant checker and the repair read): every debit on a
 * wallet in a journal that counts toward limits, in the day and month of the entry, plus every
 * active hold that counts, in the day and month it was placed. A capture therefore moves the
 * amount from the hold's day to the capture's day, as the sums do.
 *
 * Periods only move forward. A count dated before the counted period (a clock a little behind
 * another's at midnight) changes nothing, and neither does the sum over the newer period.
 */
import { istDate, istMonthStart } from './calendar';
import { InvariantViolation } from './errors';
import { add, Paise, subtract, ZERO } from './money';

export interface LimitCounters {
  /** 'YYYY-MM-DD', or null before the first counted money. */
  day: string | null;
  dayUsed: Paise;
  /** 'YYYY-MM-01', or null before the first counted money. */
  month: string | null;
  monthUsed: Paise;
}

export interface OutgoingUsage {
  today: Paise;
  month: Paise;
}

export const NO_COUNTERS: LimitCounters = { day: null, dayUsed: ZERO, month: null, monthUsed: ZERO };

/** Amount used in the period `at` falls in, if the counter knows it (its own period or a later one). */
function usedIn(period: string, counted: string | null, used: Paise): Paise | undefined {
  if (counted === null || period > counted) return ZERO;
  return period === counted ? used : undefined;
}

/**
 * Usage in the IST day and month of `at`; undefined when `at` lies before a period the counters
 * have moved past (they keep no history).
 */
export function usageAt(c: LimitCounters, at: Date): OutgoingUsage | undefined {
  const today = usedIn(istDate(at), c.day, c.dayUsed);
  const month = usedIn(istMonthStart(at), c.month, c.monthUsed);
  return today === undefined || month === undefined ? undefined : { today, month };
}

/** Counts `amount` of outgoing money dated `at`. */
export function countUsage(c: LimitCounters, at: Date, amount: Paise): LimitCounters {
  const day = istDate(at);
  const month = istMonthStart(at);
  const next = { ...c };
  if (c.day === null || day > c.day) Object.assign(next, { day, dayUsed: amount });
  else if (day === c.day) next.dayUsed = add(c.dayUsed, amount);
  if (c.month === null || month > c.month) Object.assign(next, { month, monthUsed: amount });
  else if (month === c.month) next.monthUsed = add(c.monthUsed, amount);
  return next;
}

/** Takes back `amount` counted at `countedAt` (a hold released or captured). */
export function uncountUsage(c: LimitCounters, countedAt: Date, amount: Paise): LimitCounters {
  const next = { ...c };
  if (istDate(countedAt) === c.day) next.dayUsed = subtract(c.dayUsed, amount);
  if (istMonthStart(countedAt) === c.month) next.monthUsed = subtract(c.monthUsed, amount);
  if (next.dayUsed < 0 || next.monthUsed < 0) {
    // Only a counter that missed a count can go below zero: refuse rather than hide it.
    throw new InvariantViolation('limit usage would go below zero', {
      day: c.day,
      dayUsed: c.dayUsed,
      month: c.month,
      monthUsed: c.monthUsed,
      uncounting: amount,
    });
  }
  return next;
}
