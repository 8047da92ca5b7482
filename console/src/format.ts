/** Display helpers. Amounts stay the API's rupee strings: the console never does arithmetic on money. */
const grouping = new Intl.NumberFormat('en-IN');

/** "123456.50" → "₹1,23,456.50" (Indian digit grouping), from the string itself. */
export function inr(amount: string): string {
  const negative = amount.startsWith('-');
  const [whole = '0', fraction = '00'] = (negative ? amount.slice(1) : amount).split('.');
  return `${negative ? '−' : ''}₹${grouping.format(BigInt(whole))}.${fraction}`;
}

/** A rupee string as integer paise, for chart heights only. */
export function paiseOf(amount: string): number {
  const negative = amount.startsWith('-');
  const [whole = '0', fraction = '00'] = (negative ? amount.slice(1) : amount).split('.');
  const p = Number(whole) * 100 + Number(fraction.padEnd(2, '0'));
  return negative ? -p : p;
}

/** Integer paise (a chart's axis) as rupees, with integer arithmetic only. */
export function inrFromPaise(p: number): string {
  const abs = Math.abs(Math.round(p));
  return inr(`${p < 0 ? '-' : ''}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`);
}

/** Integer paise as whole rupees for an axis label: "₹10,00,000". */
export function wholeRupees(p: number): string {
  const r = Math.trunc(Math.round(p) / 100);
  return `${r < 0 ? '−' : ''}₹${grouping.format(Math.abs(r))}`;
}

export function count(n: number): string {
  return grouping.format(n);
}

export function duration(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
  return `${Math.floor(seconds / 86400)} d ${Math.floor((seconds % 86400) / 3600)} h`;
}

export function ms(v: number | null): string {
  if (v === null) return '—';
  return v < 1000 ? `${v} ms` : duration(v / 1000);
}

export function ageSince(iso: string): string {
  return duration(Math.max(0, (Date.now() - new Date(iso).getTime()) / 1000));
}

/** Today in IST as YYYY-MM-DD, and a day n days away. */
export function istDay(offsetDays = 0): string {
  const d = new Date(Date.now() + 5.5 * 3600_000 + offsetDays * 86400_000);
  return d.toISOString().slice(0, 10);
}

/** An instant as IST wall time: "2026-12-02 21:21:06 IST". */
export function istTime(iso: string): string {
  const d = new Date(new Date(iso).getTime() + 5.5 * 3600_000);
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} IST`;
}
