/**
 * Plain SQL for the statements every posting runs. knex's query builder cost about twice a
 * statement's own CPU per call (measured: ~280 µs against ~110 µs for the same SQL through
 * `knex.raw`), and a posting runs about ten of them on a machine where CPU is the limit.
 *
 * The statements go straight to a mysql2 connection: `knex.raw` still wraps each one in a
 * builder, a runner and its events, which cost more CPU than the driver call itself
 * (docs/performance.md). Inside a transaction the connection is the one knex opened the
 * transaction on, so BEGIN, COMMIT, ROLLBACK and the deadlock retry stay knex's; outside one it
 * is borrowed from knex's pool for the statement.
 *
 * They run as prepared statements (the binary protocol): each connection prepares a statement
 * the first time it meets its SQL and then sends only the values, so the server no longer parses
 * and plans the same text on every request and posting (about a fifth of MariaDB's CPU for a
 * posting and for the session check, measured in docs/performance.md). Values are bound by type
 * instead of escaped into the text, which changes two things callers must respect:
 *  - a number is sent as a DOUBLE. Integers (ids, counts) are exact; a fraction is refused here,
 *    since money travels as decimal strings and a float must never reach a money column;
 *  - the SQL text of a call site must not vary with its data beyond a few shapes (an IN list of
 *    the posting's users, the filters of a statement page): every distinct text is one more
 *    statement on the server, and each connection keeps at most `maxPreparedStatements`
 *    (db/knex.ts), closing the least recently used.
 */
import type { Knex } from 'knex';
import { TransientError } from '../domain/errors';

type Row = Record<string, unknown>;
/** Where a statement runs: on a pooled connection, in a knex transaction, or in an `inSqlTransaction`. */
export type Db = Knex | Knex.Transaction | SqlTransaction;

/** The callback API of the mysql2 connections knex pools. */
interface DriverConnection {
  execute(sql: string, values: unknown[], cb: (err: Error | null, result: unknown) => void): void;
  query(sql: string, cb: (err: Error | null) => void): void;
  destroy(): void;
}

/** What knex's client offers for borrowing a pooled connection. */
interface PoolClient {
  acquireConnection(): Promise<DriverConnection>;
  releaseConnection(conn: DriverConnection): Promise<void>;
}

const connectionOf = new WeakMap<Knex.Transaction, Promise<DriverConnection>>();

function transactionConnection(trx: Knex.Transaction): Promise<DriverConnection> {
  let conn = connectionOf.get(trx);
  if (!conn) {
    // A transaction's client hands out only the connection the transaction runs on.
    conn = (trx.client as PoolClient).acquireConnection();
    connectionOf.set(trx, conn);
  }
  return conn;
}

function run<T>(conn: DriverConnection, sql: string, values: unknown[]): Promise<T> {
  for (const v of values) {
    if (typeof v === 'number' && !Number.isSafeInteger(v))
      throw new Error(
        `a number bound to SQL must be a safe integer (money is a decimal string): ${v} in ${sql.slice(0, 80)}`,
      );
  }
  return new Promise<T>((resolve, reject) =>
    conn.execute(sql, values, (err, result) => (err ? reject(err) : resolve(result as T))),
  );
}

/**
 * A transaction on one pooled connection, begun and ended by `inSqlTransaction` rather than by
 * knex: `knex.transaction` builds a knex instance per transaction (a client, its builder
 * functions, events, promises), measured at 150–200 µs of CPU more than BEGIN, one statement
 * and COMMIT on a connection of the same pool, which is more than a posting's own statements
 * cost. Only this module's statements run in it; code that wants knex's query builder inside a
 * transaction uses `knex.transaction`.
 */
export class SqlTransaction {
  private open = true;

  constructor(readonly connection: DriverConnection) {}

  /** Once committed or rolled back the connection goes back to the pool: no statement may follow. */
  close(): void {
    this.open = false;
  }

  get isOpen(): boolean {
    return this.open;
  }
}

function command(conn: DriverConnection, sql: string): Promise<void> {
  return new Promise((resolve, reject) => conn.query(sql, (err) => (err ? reject(err) : resolve())));
}

/**
 * Runs `fn` in a transaction on a connection borrowed from knex's pool (same pool, limits and
 * timeouts as every other statement). COMMIT when `fn` resolves; ROLLBACK when it, or the
 * COMMIT, fails, so the connection never goes back to the pool inside a transaction: if even
 * the ROLLBACK fails the connection is destroyed, and the pool's validation drops it before it
 * is handed out again. A COMMIT that fails leaves its outcome unknown, as with any client: the
 * ledger's callers retry by reference, which replays a posting that did commit.
 */
export async function inSqlTransaction<T>(knex: Knex, fn: (trx: SqlTransaction) => Promise<T>): Promise<T> {
  // A knex transaction is a Knex too, and its client hands out the transaction's own connection:
  // a BEGIN there would silently commit it. Refused, rather than nested.
  if ((knex as Knex.Transaction).isTransaction)
    throw new Error('inSqlTransaction needs the pool, not a transaction: it begins and commits its own');
  const client = knex.client as PoolClient;
  const conn = await client.acquireConnection();
  const trx = new SqlTransaction(conn);
  try {
    await command(conn, 'BEGIN');
    const result = await fn(trx);
    trx.close();
    await command(conn, 'COMMIT');
    return result;
  } catch (err) {
    trx.close();
    await command(conn, 'ROLLBACK').catch(() => conn.destroy());
    throw err;
  } finally {
    void client.releaseConnection(conn);
  }
}

const DEADLOCK = 1213; // ER_LOCK_DEADLOCK
const LOCK_WAIT_TIMEOUT = 1205; // ER_LOCK_WAIT_TIMEOUT
const MAX_ATTEMPTS = 8;

export function sqlErrno(err: unknown): number | undefined {
  return typeof err === 'object' && err !== null && 'errno' in err ? (err as { errno: number }).errno : undefined;
}

export const isDuplicateKey = (err: unknown) => sqlErrno(err) === 1062;

let retriedLockConflicts = 0;
/**
 * How many transactions (the ledger's, and the few others run through `retryOnLockConflict`) were
 * retried after a deadlock or lock timeout: a test signal, since lock ordering should keep the
 * ledger's at zero.
 */
export const lockConflictRetries = () => retriedLockConflicts;

/**
 * Runs `transaction` (one whole database transaction), again from the start when InnoDB picks
 * it as a deadlock victim or a lock wait times out. The whole transaction was rolled back in
 * both cases (a lock wait timeout rolls back only its statement, but the transaction's runner
 * rolls back the rest as it fails), so a retry cannot double anything. Bounded: past the limit
 * the caller gets a retryable TransientError (an activity retry or the client tries again later).
 */
export async function retryOnLockConflict<T>(transaction: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await transaction();
    } catch (err) {
      const errno = sqlErrno(err);
      if (errno !== DEADLOCK && errno !== LOCK_WAIT_TIMEOUT) throw err;
      retriedLockConflicts++;
      if (attempt >= MAX_ATTEMPTS) {
        throw new TransientError(`transaction gave up after ${attempt} lock conflicts`, { errno });
      }
      // Jittered exponential backoff so the contenders do not collide again in lockstep.
      const delay = Math.min(200, 5 * 2 ** attempt) * (0.5 + Math.random());
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

/** One statement with `?` placeholders; the driver's result (rows, or the OK packet). */
async function execute<T>(db: Db, sql: string, values: unknown[]): Promise<T> {
  if (db instanceof SqlTransaction) {
    if (!db.isOpen) throw new Error(`statement on a finished transaction: ${sql.slice(0, 80)}`);
    return run<T>(db.connection, sql, values);
  }
  if (!(db as Knex.Transaction).isTransaction) {
    // A pooled connection borrowed for one statement, as knex.raw would (same pool, same
    // acquire timeout, same validation on the next acquire), without its builder and runner:
    // every authenticated request runs one of these.
    const client = (db as Knex).client as PoolClient;
    const conn = await client.acquireConnection();
    try {
      return await run<T>(conn, sql, values);
    } finally {
      void client.releaseConnection(conn);
    }
  }
  const trx = db as Knex.Transaction;
  // As knex does: once committed or rolled back, the connection is back in the pool and may
  // be another caller's; a late statement must fail, not run outside its transaction.
  if (trx.isCompleted()) throw new Error(`statement on a finished transaction: ${sql.slice(0, 80)}`);
  return run<T>(await transactionConnection(trx), sql, values);
}

const quoted = (name: string) => `\`${name.replace(/`/g, '``')}\``;

/**
 * Statement texts by shape (table, columns, rows), each built once: spelling them out (quoting,
 * joins) on every call was a fifth of a posting's own JavaScript (docs/performance.md, "The
 * twelfth session"). Shapes come from code, not data, so they are few; the bound only guards
 * against a caller that breaks that.
 */
const texts = new Map<string, string>();
const MAX_TEXTS = 1000;

export function textOf(shape: string, build: () => string): string {
  let sql = texts.get(shape);
  if (sql === undefined) {
    if (texts.size >= MAX_TEXTS) texts.clear();
    sql = build();
    texts.set(shape, sql);
  }
  return sql;
}

/** The keys of `row` whose value is not undefined, in order. */
const definedKeys = (row: Row): string[] => Object.keys(row).filter((c) => row[c] !== undefined);

function valuesOf(row: Row, cols: string[], into: unknown[] = []): unknown[] {
  for (const c of cols) into.push(row[c]);
  return into;
}

/** INSERT of one row; keys whose value is undefined are left to their column defaults, as knex does. */
export async function insertRow(db: Db, table: string, row: Row): Promise<number> {
  const cols = definedKeys(row);
  const sql = textOf(
    `insert\0${table}\0${cols.join('\0')}`,
    () => `INSERT INTO ${quoted(table)} (${cols.map(quoted).join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`,
  );
  const result = await execute<{ insertId: number }>(db, sql, valuesOf(row, cols));
  return result.insertId;
}

/** INSERT of several rows with the same columns in one statement (one round trip). */
export async function insertRows(db: Db, table: string, rows: Row[]): Promise<void> {
  await execute(db, ...multiRowInsert(table, rows, ''));
}

/** The text and values of one INSERT of `rows`, followed by `tail`. */
function multiRowInsert(table: string, rows: Row[], tail: string): [sql: string, values: unknown[]] {
  const cols = Object.keys(rows[0]!);
  const values: unknown[] = [];
  for (const r of rows)
    for (const c of cols) {
      const v = r[c];
      // One column list for every row: a missing value cannot fall back to its default here.
      if (v === undefined) throw new Error(`insert into ${table}: every row needs a value for every column`);
      values.push(v);
    }
  const sql = textOf(`insert\0${table}\0${cols.join('\0')}\0${rows.length}\0${tail}`, () => {
    const tuple = `(${cols.map(() => '?').join(', ')})`;
    return `INSERT INTO ${quoted(table)} (${cols.map(quoted).join(', ')}) VALUES ${rows.map(() => tuple).join(', ')}${tail}`;
  });
  return [sql, values];
}

/**
 * INSERT of several rows with the same columns; their auto-increment ids, in row order. One
 * statement (`INSERT … RETURNING id`) where the server returns inserted rows (MariaDB 10.5 and
 * later): a posting writes a statement row per user and needs each row's id for its entries, and
 * the round trip this saves was 7% of a two-user posting's CPU (docs/performance.md, "The
 * thirteenth session"). Elsewhere (MySQL) one INSERT per row, in the same transaction: the ids of one
 * multi-row INSERT are not guaranteed consecutive there, so they are never computed from the first.
 */
export async function insertRowsReturningIds(trx: SqlTransaction, table: string, rows: Row[]): Promise<number[]> {
  if (rows.length < 2 || !(await returnsInsertedRows(trx))) {
    // The same statement for each row alone, so both paths take and refuse the same rows.
    const ids: number[] = [];
    for (const row of rows)
      ids.push((await execute<{ insertId: number }>(trx, ...multiRowInsert(table, [row], ''))).insertId);
    return ids;
  }
  const inserted = await execute<Array<{ id: number }>>(trx, ...multiRowInsert(table, rows, ' RETURNING id'));
  if (inserted.length !== rows.length)
    throw new Error(`${table}: inserted ${rows.length} rows, ${inserted.length} returned`);
  return inserted.map((r) => r.id);
}

/** Whether the server of this version answers `INSERT … RETURNING`: MariaDB from 10.5; MySQL never. */
export function serverReturnsInsertedRows(version: string): boolean {
  const m = /^(\d+)\.(\d+)\.\d+-MariaDB/i.exec(version);
  return m !== null && (Number(m[1]) > 10 || (Number(m[1]) === 10 && Number(m[2]) >= 5));
}

/** Per connection, asked once: a connection lives for many transactions, and every one is the same server. */
const returningOn = new WeakMap<DriverConnection, boolean>();

async function returnsInsertedRows(trx: SqlTransaction): Promise<boolean> {
  let returns = returningOn.get(trx.connection);
  if (returns === undefined) {
    const [row] = await execute<Array<{ version: string }>>(trx, 'SELECT VERSION() AS version', []);
    returns = serverReturnsInsertedRows(row!.version);
    returningOn.set(trx.connection, returns);
  }
  return returns;
}

/** UPDATE … SET the given columns WHERE every column of `where` equals its value; the number of rows matched. */
export async function updateWhere(db: Db, table: string, where: Row, set: Row): Promise<number> {
  const cols = definedKeys(set);
  const keys = Object.keys(where);
  const sql = textOf(
    `update\0${table}\0${cols.join('\0')}\0where\0${keys.join('\0')}`,
    () =>
      `UPDATE ${quoted(table)} SET ${cols.map((c) => `${quoted(c)} = ?`).join(', ')} WHERE ${keys.map((c) => `${quoted(c)} = ?`).join(' AND ')}`,
  );
  return update(db, sql, valuesOf(where, keys, valuesOf(set, cols)));
}

/** UPDATE … SET the given columns WHERE id = ?; the number of rows matched. */
export const updateById = (db: Db, table: string, id: number, set: Row): Promise<number> =>
  updateWhere(db, table, { id }, set);

/** An UPDATE written out in SQL; the number of rows matched. */
export async function update(db: Db, sql: string, values: unknown[]): Promise<number> {
  return (await execute<{ affectedRows: number }>(db, sql, values)).affectedRows;
}

/** The rows of a SELECT written out in SQL. */
export async function selectRows<T = Row>(db: Db, sql: string, values: unknown[]): Promise<T[]> {
  return execute<T[]>(db, sql, values);
}

/** Text matched literally by LIKE: its own `%`, `_` and backslash escaped (MySQL's default escape). */
export const escapeLike = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);
