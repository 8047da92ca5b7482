/**
 * Multi-level commissions (docs/ledger.md, "Commissions"): on a completed recharge or bill payment,
 * up to three uplines (level 1 = the direct parent) each earn floor(amount × their rate), in
 * integer arithmetic. Ineligible uplines (inactive, unverified) are skipped but keep their
 * level: a level is a distance in the chain, not a rank among earners. The total never exceeds
 * the service's margin: levels are paid in order, each at most what the margin has left, and
 * whatever is not paid out stays with the platform.
 */
import { ValidationError } from './errors';
import { mulDivFloor, Paise, subtract, ZERO } from './money';

export const MAX_COMMISSION_LEVELS = 3;
/** Rates are DECIMAL(5,4): integer units of 1/10,000 ("basis points of a unit"). */
export const RATE_SCALE = 10_000;

export interface Upline {
  userId: number;
  level: number;
  rate: number; // in 1/10,000
  eligible: boolean;
}

export interface CommissionShare {
  userId: number;
  level: number;
  rate: number;
  amount: Paise;
}

/** "0.0125" → 125. Exact: the digits are read, never multiplied as a float. */
export function parseRate(text: string): number {
  const m = /^(0|1)(?:\.(\d{1,4}))?$/.exec(text.trim());
  if (!m) throw new ValidationError('a rate is a decimal between 0 and 1 with at most 4 places', { rate: text });
  const rate = Number(m[1]) * RATE_SCALE + Number((m[2] ?? '').padEnd(4, '0'));
  if (rate > RATE_SCALE) throw new ValidationError('a rate cannot exceed 1', { rate: text });
  return rate;
}

export function formatRate(rate: number): string {
  return `${Math.floor(rate / RATE_SCALE)}.${String(rate % RATE_SCALE).padStart(4, '0')}`;
}

export function splitCommissions(amount: Paise, uplines: readonly Upline[], marginRate: number): CommissionShare[] {
  if (amount < 0) throw new ValidationError('commission base cannot be negative');
  let left = mulDivFloor(amount, marginRate, RATE_SCALE);
  const shares: CommissionShare[] = [];
  for (const u of [...uplines].sort((a, b) => a.level - b.level)) {
    if (u.level < 1 || u.level > MAX_COMMISSION_LEVELS) continue;
    if (!u.eligible || u.rate <= 0 || left <= 0) continue;
    const own = mulDivFloor(amount, u.rate, RATE_SCALE);
    const paid = (own < left ? own : left) as Paise;
    if (paid <= 0) continue;
    shares.push({ userId: u.userId, level: u.level, rate: u.rate, amount: paid });
    left = subtract(left, paid);
  }
  return shares;
}

export const totalOf = (shares: readonly CommissionShare[]): Paise =>
  shares.reduce((s, x) => (s + x.amount) as Paise, ZERO);
