/** CSV as the API writes it: RFC 4180, CRLF lines, a header row. */

/** RFC 4180 quoting; a leading =, +, - or @ is defused so spreadsheets do not run it as a formula. */
export function csvField(v: unknown): string {
  let s = v === null || v === undefined ? '' : String(v);
  if (/^[=+\-@]/.test(s) && !/^-?\d+(\.\d+)?$/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) || s.startsWith("'") ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLine(columns: readonly string[], row: Record<string, unknown>): string {
  return `${columns.map((c) => csvField(row[c])).join(',')}\r\n`;
}

/** A whole (small) table: a report's rows, not a statement, which is streamed. */
export function csvTable(columns: readonly string[], rows: ReadonlyArray<Record<string, unknown>>): string {
  return `${columns.join(',')}\r\n${rows.map((r) => csvLine(columns, r)).join('')}`;
}
