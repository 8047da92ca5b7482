/**
 * Limits count per calendar day and month in India Standard Time (UTC+05:30, no DST), while
 * the database stores UTC. These give the UTC bounds of the IST day and month around a moment.
 */
const IST_OFFSET_MS = (5 * 60 + 30) * 60 * 1000;

export interface Window {
  from: Date;
  to: Date;
}

/** 'YYYY-MM-DD' of the IST calendar day of `at`: the `ledger_date` of a posting. */
export function istDate(at: Date): string {
  return new Date(at.getTime() + IST_OFFSET_MS).toISOString().slice(0, 10);
}

export function istDay(at: Date): Window {
  const ist = new Date(at.getTime() + IST_OFFSET_MS);
  const startIst = Date.UTC(ist.getUTCFullYear(), ist.getUTCMonth(), ist.getUTCDate());
  return { from: new Date(startIst - IST_OFFSET_MS), to: new Date(startIst - IST_OFFSET_MS + 86_400_000) };
}

export function istMonth(at: Date): Window {
  const ist = new Date(at.getTime() + IST_OFFSET_MS);
  const start = Date.UTC(ist.getUTCFullYear(), ist.getUTCMonth(), 1);
  const next = Date.UTC(ist.getUTCFullYear(), ist.getUTCMonth() + 1, 1);
  return { from: new Date(start - IST_OFFSET_MS), to: new Date(next - IST_OFFSET_MS) };
}

/** 'YYYY-MM-01' of the IST calendar month of `at`: the month a limit counter counts. */
export function istMonthStart(at: Date): string {
  return `${istDate(at).slice(0, 7)}-01`;
}

/** An instant as IST wall time with its offset ("2026-12-02T17:50:00.000+05:30"): what reports show. */
export function istTimestamp(at: Date): string {
  return `${new Date(at.getTime() + IST_OFFSET_MS).toISOString().slice(0, 23)}+05:30`;
}

/** The IST calendar day `days` after (or before) the day 'YYYY-MM-DD'. */
export function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}
