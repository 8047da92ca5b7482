/**
 * A user's statement (their `transactions` rows), newest first, with keyset pagination on
 * (created_at, id): stable under concurrent inserts and fast at any depth, unlike OFFSET.
 */
import type { Knex } from 'knex';
import { ValidationError } from '../domain/errors';
import { formatRupees } from '../domain/money';
import { fromDecimal } from './money';
import { selectRows } from './sql';

export interface StatementFilters {
  from?: Date;
  to?: Date;
  type?: string;
  status?: string;
  limit: number;
  cursor?: string;
}

interface Cursor {
  t: string;
  /** The row's id: numeric for statements, a string for payments. */
  i: number | string;
}

export const encodeCursor = (c: Cursor) => Buffer.from(JSON.stringify(c)).toString('base64url');

/**
 * A cursor this API issued for a list whose ids are `id`s (statements and users: numbers;
 * payments: strings): another list's cursor is refused, not misread.
 */
export function decodeCursor(raw: string, id: 'number' | 'string'): Cursor {
  try {
    const c = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    if (
      typeof c.t === 'string' &&
      !Number.isNaN(Date.parse(c.t)) &&
      (id === 'number' ? Number.isSafeInteger(c.i) : typeof c.i === 'string' && c.i.length <= 40)
    )
      return c;
  } catch {
    // fall through
  }
  throw new ValidationError('invalid cursor', [
    { path: 'cursor', field: 'cursor', message: 'not a cursor this API issued for this list' },
  ]);
}

/**
 * One page of `q`, newest first, keyset-paginated on (created_at, id): one row more than the
 * page tells whether a next page exists, and the cursor points after the page's last row.
 */
export async function newestFirstPage(
  q: Knex.QueryBuilder,
  cursor: string | undefined,
  limit: number,
  id: 'number' | 'string',
): Promise<{ rows: Array<Record<string, any>>; nextCursor: string | null }> {
  if (cursor) {
    const c = decodeCursor(cursor, id);
    const t = new Date(c.t);
    q.where((w) =>
      w.where('created_at', '<', t).orWhere((x) => x.where('created_at', '=', t).andWhere('id', '<', c.i)),
    );
  }
  const rows = await q
    .orderBy([
      { column: 'created_at', order: 'desc' },
      { column: 'id', order: 'desc' },
    ])
    .limit(limit + 1);
  return pageOf(rows, limit);
}

/** The page in up to `limit + 1` rows read newest first, and the cursor after it (null: no more). */
function pageOf<R extends { created_at: Date | string; id: number | string }>(
  rows: R[],
  limit: number,
): { rows: R[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  const more = rows.length > limit && last;
  return {
    rows: page,
    nextCursor: more ? encodeCursor({ t: new Date(last.created_at).toISOString(), i: last.id }) : null,
  };
}

const money = (v: string | null) => (v === null ? null : formatRupees(fromDecimal(v)));

/** What a statement line shows: not the whole row (the seed schema's has 36 columns, several of them TEXT). */
interface StatementRow {
  id: number;
  reference_number: string | null;
  ledger_date: string | null;
  transaction_type: string;
  ledger_type: string | null;
  status: string;
  remarks: string | null;
  amount: string;
  debit_amount: string | null;
  credit_amount: string | null;
  opening_balance: string | null;
  closing_balance: string | null;
  created_at: Date;
}

const STATEMENT_LINE_COLUMNS = [
  'id',
  'reference_number',
  'ledger_date',
  'transaction_type',
  'ledger_type',
  'status',
  'remarks',
  'amount',
  'debit_amount',
  'credit_amount',
  'opening_balance',
  'closing_balance',
  'created_at',
] as const satisfies ReadonlyArray<keyof StatementRow>;

/**
 * The page's SQL, written out: every `GET /v1/wallet/ledger` runs it, and knex's builder cost
 * more CPU than the query (docs/performance.md). Newest first on (created_at, id), which the
 * seed's `idx_user_date (user_id, created_at)` serves in order (InnoDB appends the id).
 */
function statementPageQuery(userId: number, f: StatementFilters): { sql: string; values: unknown[] } {
  const where = ['user_id = ?'];
  const values: unknown[] = [userId];
  const and = (condition: string, ...v: unknown[]) => {
    where.push(condition);
    values.push(...v);
  };
  if (f.from) and('created_at >= ?', f.from);
  if (f.to) and('created_at < ?', f.to);
  if (f.type) and('transaction_type = ?', f.type);
  if (f.status) and('status = ?', f.status);
  if (f.cursor) {
    const c = decodeCursor(f.cursor, 'number');
    const t = new Date(c.t);
    and('(created_at < ? OR (created_at = ? AND id < ?))', t, t, c.i);
  }
  values.push(f.limit + 1);
  return {
    sql: `SELECT ${STATEMENT_LINE_COLUMNS.join(', ')} FROM transactions WHERE ${where.join(' AND ')}
          ORDER BY created_at DESC, id DESC LIMIT ?`,
    values,
  };
}

export async function statementPage(knex: Knex, userId: number, f: StatementFilters) {
  const { sql, values } = statementPageQuery(userId, f);
  const { rows: page, nextCursor } = pageOf(await selectRows<StatementRow>(knex, sql, values), f.limit);
  return {
    items: page.map((r) => ({
      id: r.id,
      referenceNumber: r.reference_number,
      ledgerDate: r.ledger_date,
      type: r.transaction_type,
      ledgerType: r.ledger_type,
      status: r.status,
      remarks: r.remarks,
      amount: money(r.amount)!,
      debit: money(r.debit_amount) ?? '0.00',
      credit: money(r.credit_amount) ?? '0.00',
      openingBalance: money(r.opening_balance),
      closingBalance: money(r.closing_balance),
      createdAt: new Date(r.created_at).toISOString(),
    })),
    nextCursor,
  };
}

/** Every statement line in the range, newest first, read page by page (for CSV export): memory stays flat. */
export async function* statementLines(knex: Knex, userId: number, f: Omit<StatementFilters, 'limit' | 'cursor'>) {
  let cursor: string | undefined;
  do {
    const page = await statementPage(knex, userId, { ...f, limit: 500, ...(cursor ? { cursor } : {}) });
    yield* page.items;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
}
