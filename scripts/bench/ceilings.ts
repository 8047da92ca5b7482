/**
 * The ceilings every figure is compared with, measured on the same machine in the same run:
 * a bare Koa + mysql2 point select, a bare two-account posting transaction (and the same posting
 * with the ledger's own statements and tables), and trivial workflows on the same Temporal
 * server (empty; one local activity; three regular ones; a top-up's path; a held payment's path).
 */
import path from 'node:path';
import { Client, WithStartWorkflowOperation, type WorkflowHandle } from '@temporalio/client';
import type { ExecuteValues } from 'mysql2';
import mysql from 'mysql2/promise';
import { freePort, portOpen, startProcess, Started, waitFor } from '../stack/processes';
import { REPORT_TRIGGERS } from '../../db/migrations/020_report_rollups';
import { serverReturnsInsertedRows } from '../../db/sql';
import { connectAsTheEngine } from './engineConnection';
import { Beside, closedLoop, closedLoopsTakingTurns, Figure } from './load';
import { acceptedUpdate, heldPaymentShape, providerEventSignal, topUpShape } from './trivialWorkflows';

const here = __dirname;
const tsx = (script: string) => [process.execPath, ['--import', 'tsx', path.join(here, script)]] as const;

/** Starts the bare Koa + mysql2 server; the caller stops it. */
export async function startBareServer(databaseUrl: string, logDir: string): Promise<{ url: string; proc: Started }> {
  const port = await freePort();
  const [cmd, args] = tsx('bareServer.ts');
  const proc = startProcess(cmd, [...args], {
    env: { ...process.env, DATABASE_URL: databaseUrl, PORT: String(port) },
    logFile: path.join(logDir, 'bare-server.log'),
  });
  await waitFor('the bare Koa server', () => portOpen(port), 30_000);
  return { url: `http://127.0.0.1:${port}`, proc };
}

/** The bare server's point select of one user row. */
export const bareSelectUrl = (url: string, userId: number) => `${url}/row/${userId}`;

/**
 * One transaction on its own pooled connection, as a bare client would run it. The ceilings'
 * statements run prepared (`execute`), as the engine's own hot statements do (db/sql.ts): a
 * ceiling is the best a bare client could do, so it gets every technique the engine uses.
 */
async function inBareTransaction(pool: mysql.Pool, fn: (conn: mysql.PoolConnection) => Promise<void>): Promise<void> {
  const conn = await pool.getConnection();
  try {
    await conn.beginTransaction();
    await fn(conn);
    await conn.commit();
  } catch (err) {
    await conn.rollback();
    throw err;
  } finally {
    conn.release();
  }
}

/** A posting load opened on its own tables: one closed-loop operation per account choice, then closed. */
export interface PostingLoads {
  /** Client `c`'s next posting: between its own two accounts, or from its first to the one hot account. */
  post(hot: boolean): (client: number, i: number) => Promise<void>;
  /** Drops the load's tables and ends its pool. */
  close(): Promise<void>;
}

/**
 * A pool for a posting load on scratch tables (children first, the order they drop in): the
 * tables dropped, then `setup` run; a failure there drops them again and ends the pool, as
 * `close` does once the load is done.
 */
async function openScratchPool<T>(
  databaseUrl: string,
  o: { clients: number; tables: readonly string[] },
  setup: (pool: mysql.Pool) => Promise<T>,
): Promise<{ pool: mysql.Pool; ready: T; close: () => Promise<void> }> {
  const pool = mysql.createPool({ uri: databaseUrl, connectionLimit: o.clients + 2 });
  const dropTables = () => pool.query(`DROP TABLE IF EXISTS ${o.tables.join(', ')}`);
  const close = async () => {
    await dropTables().catch(() => undefined);
    await pool.end();
  };
  try {
    await dropTables();
    return { pool, ready: await setup(pool), close };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * The least a posting must do, on scratch tables shaped like the ledger's: insert the journal,
 * lock both accounts in id order, update both balances (in one statement), insert two entries,
 * commit. Account 2c+1 pays 2c+2 (distinct) or the hot account, 2·clients+1.
 */
export async function openBarePostings(databaseUrl: string, o: { clients: number }): Promise<PostingLoads> {
  const tables = ['bench_entries', 'bench_journals', 'bench_accounts'];
  const { pool, close } = await openScratchPool(databaseUrl, { clients: o.clients, tables }, async (db) => {
    await db.query('CREATE TABLE bench_accounts (id INT PRIMARY KEY, balance BIGINT NOT NULL) ENGINE=InnoDB');
    await db.query(
      'CREATE TABLE bench_journals (id BIGINT AUTO_INCREMENT PRIMARY KEY, reference VARCHAR(120) NOT NULL UNIQUE, created_at DATETIME(3) NOT NULL) ENGINE=InnoDB',
    );
    await db.query(
      'CREATE TABLE bench_entries (id BIGINT AUTO_INCREMENT PRIMARY KEY, journal_id BIGINT NOT NULL, account_id INT NOT NULL, debit BIGINT NOT NULL, credit BIGINT NOT NULL, balance_after BIGINT NOT NULL, KEY (account_id, id)) ENGINE=InnoDB',
    );
    const accounts = Array.from({ length: o.clients * 2 + 1 }, (_, i) => [i + 1, 1_000_000_000]);
    await db.query('INSERT INTO bench_accounts (id, balance) VALUES ?', [accounts]);
  });
  const run = Date.now();
  return {
    post: (hot) => async (c, i) => {
      const from = 2 * c + 1;
      const to = hot ? o.clients * 2 + 1 : 2 * c + 2;
      await inBareTransaction(pool, async (conn) => {
        const [j] = await conn.execute('INSERT INTO bench_journals (reference, created_at) VALUES (?, NOW(3))', [
          `bench:${run}:${hot ? 'hot' : 'distinct'}:${i}`,
        ]);
        const journalId = (j as { insertId: number }).insertId;
        await conn.execute('SELECT id, balance FROM bench_accounts WHERE id IN (?, ?) ORDER BY id FOR UPDATE', [
          from,
          to,
        ]);
        // Both balances in one statement, as the ledger saves a posting's users (db/ledger/accounts.ts).
        await conn.execute(
          'UPDATE bench_accounts SET balance = balance + CASE id WHEN ? THEN -100 ELSE 100 END WHERE id IN (?, ?)',
          [from, from, to],
        );
        await conn.execute(
          'INSERT INTO bench_entries (journal_id, account_id, debit, credit, balance_after) VALUES (?, ?, 100, 0, 0), (?, ?, 0, 100, 0)',
          [journalId, from, journalId, to],
        );
      });
    },
    close,
  };
}

const STATEMENT_COLUMNS = [
  'user_id',
  'reference_number',
  'transaction_type',
  'amount',
  'fee_amount',
  'description',
  'payment_method',
  'status',
  'processed_at',
  'recipient_id',
  'from_account_id',
  'to_account_id',
  'opening_balance',
  'closing_balance',
  'ledger_date',
  'user_code',
  'ledger_type',
  'remarks',
  'debit_amount',
  'credit_amount',
];

/** The ledger's tables the statements write, and their scratch copies; children first (the order they drop in). */
const LEDGER_COPIES = [
  ['bench_ledger_entries', 'ledger_entries'],
  ['bench_transactions', 'transactions'],
  ['bench_ledger_journals', 'ledger_journals'],
  ['bench_users', 'users'],
] as const;

/** The triggers that may sit on the ledger's tables (db/migrations); each found on one is copied onto its copy. */
const LEDGER_TRIGGERS = [
  ...REPORT_TRIGGERS,
  'ledger_entries_no_update',
  'ledger_entries_no_delete',
  'ledger_journals_no_update',
  'ledger_journals_no_delete',
];

/**
 * Scratch copies of the ledger's tables with what a posting pays for on the real ones: columns,
 * indexes and checks (`CREATE TABLE … LIKE`), the foreign keys of the tables a posting inserts
 * into (a posting writes none of `users`' own), pointed at the copies, and the triggers.
 */
async function createLedgerCopies(pool: mysql.Pool): Promise<void> {
  const copyOf = new Map<string, string>(LEDGER_COPIES.map(([copy, table]) => [table, copy]));
  for (const [copy, table] of [...LEDGER_COPIES].reverse()) await pool.query(`CREATE TABLE ${copy} LIKE ${table}`);
  for (const [copy, table] of LEDGER_COPIES) {
    if (table === 'users') continue;
    const [[created]] = (await pool.query(`SHOW CREATE TABLE ${table}`)) as unknown as [[Record<string, string>]];
    const keys = [
      ...created!['Create Table']!.matchAll(
        /CONSTRAINT `(\w+)` FOREIGN KEY \(([^)]*)\) REFERENCES `(\w+)` \(([^)]*)\)([^,\n]*)/g,
      ),
    ];
    for (const [, name, columns, parent, parentColumns, actions] of keys)
      await pool.query(
        `ALTER TABLE ${copy} ADD CONSTRAINT bench_${name} FOREIGN KEY (${columns}) REFERENCES ${copyOf.get(parent!) ?? parent} (${parentColumns})${actions}`,
      );
  }
  for (const name of LEDGER_TRIGGERS) {
    const [[trigger]] = (await pool.query(`SHOW CREATE TRIGGER ${name}`)) as unknown as [[Record<string, string>]];
    const statement = trigger!['SQL Original Statement']!;
    const table = /\bON `?(\w+)`? FOR EACH ROW/i.exec(statement)?.[1];
    const copy = table && copyOf.get(table);
    if (!copy) continue;
    await pool.query(
      statement
        .replace(/DEFINER=\S+ /, '')
        .replace(new RegExp(`TRIGGER \`?${name}\`?`), `TRIGGER bench_${name}`)
        .replace(/\bON `?\w+`? FOR EACH ROW/i, `ON ${copy} FOR EACH ROW`),
    );
  }
}

/**
 * What the ledger's own schema costs, with no framework around it: the statements a two-user
 * transfer posting runs (journal; both users locked in one statement; both users' balances and
 * limit counters in one update; a statement row each in the seed schema's `transactions`, both
 * in one insert that returns their ids where the server can; both entries in one insert), by
 * bare mysql2, on scratch copies of the ledger's tables that keep their indexes, checks, foreign
 * keys and triggers (`createLedgerCopies`). `userIds[2c]` pays `userIds[2c+1]` (distinct) or the
 * hot account, `userIds[2·clients]`.
 */
export async function openLedgerStatementPostings(
  databaseUrl: string,
  userIds: number[],
  o: { clients: number },
): Promise<PostingLoads> {
  const tables = LEDGER_COPIES.map(([copy]) => copy);
  const {
    pool,
    ready: returning,
    close,
  } = await openScratchPool(databaseUrl, { clients: o.clients, tables }, async (db) => {
    await createLedgerCopies(db);
    await db.query('INSERT INTO bench_users SELECT * FROM users WHERE id IN (?)', [userIds]);
    await db.query('UPDATE bench_users SET wallet_balance = 100000000, held_balance = 0');
    const [[{ version }]] = (await db.query('SELECT VERSION() AS version')) as unknown as [[{ version: string }]];
    return serverReturnsInsertedRows(version);
  });
  const run = Date.now();
  const statementTuple = `(${STATEMENT_COLUMNS.map(() => '?').join(', ')})`;
  const statementSql = `INSERT INTO bench_transactions (${STATEMENT_COLUMNS.join(', ')}) VALUES ${statementTuple}`;
  return {
    post: (hot) => async (c, i) => {
      const from = userIds[2 * c]!;
      const to = hot ? userIds[2 * o.clients]! : userIds[2 * c + 1]!;
      const reference = `bench:${run}:${hot ? 'hot' : 'distinct'}:${c}:${i}`;
      const now = new Date();
      await inBareTransaction(pool, async (conn) => {
        // The rows' values come back untyped; the driver takes them as they are.
        const execute = (sql: string, values: unknown[]) => conn.execute(sql, values as ExecuteValues[]);
        const [j] = await execute(
          `INSERT INTO bench_ledger_journals (reference, ledger_type, description, fingerprint, counts_toward_limits,
           reverses_journal_id, hold_id, created_at) VALUES (?, 'Transfer', ?, ?, 1, NULL, NULL, ?)`,
          [reference, `Transfer ${reference}`, 'f'.repeat(64), now],
        );
        const journalId = (j as { insertId: number }).insertId;
        const [locked] = await execute(
          `SELECT id, user_code, wallet_balance, held_balance, is_active, kyc_status, daily_limit, monthly_limit,
                limit_day, limit_day_used, limit_month, limit_month_used
           FROM bench_users WHERE id IN (?, ?) ORDER BY id FOR UPDATE`,
          [from, to],
        );
        const [u, v] = [from, to].map((id) =>
          (locked as Array<Record<string, string | number | null>>).find((r) => r.id === id)!,
        );
        await execute(
          `UPDATE bench_users SET wallet_balance = wallet_balance + CASE id WHEN ? THEN -1 ELSE 1 END,
             limit_day_used = limit_day_used + CASE id WHEN ? THEN 1 ELSE 0 END,
             limit_month_used = limit_month_used + CASE id WHEN ? THEN 1 ELSE 0 END
           WHERE id IN (?, ?)`,
          [from, from, from, from, to],
        );
        const statementValues = (
          [
            [u!, '1.00', '0.00', to, null, to],
            [v!, '0.00', '1.00', null, from, null],
          ] as const
        ).map(([row, debit, credit, recipient, fromAccount, toAccount]) => [
          row.id,
          `${reference}:${row.id}`,
          'transfer',
          '1.00',
          '0.00',
          `Transfer ${reference}`,
          'wallet',
          'completed',
          now,
          recipient,
          fromAccount,
          toAccount,
          row.wallet_balance,
          row.wallet_balance,
          now.toISOString().slice(0, 10),
          row.user_code,
          'Transfer',
          'bench',
          debit,
          credit,
        ]);
        // Both rows in one insert where the server returns their ids, as the ledger sends them (db/sql.ts).
        const statementIds: number[] = [];
        if (returning) {
          const [rows] = await execute(`${statementSql}, ${statementTuple} RETURNING id`, statementValues.flat());
          for (const r of rows as Array<{ id: number }>) statementIds.push(r.id);
        } else {
          for (const values of statementValues) {
            const [t] = await execute(statementSql, values);
            statementIds.push((t as { insertId: number }).insertId);
          }
        }
        await execute(
          `INSERT INTO bench_ledger_entries (journal_id, user_id, debit, credit, balance_after, transaction_id, created_at)
           VALUES (?, ?, 1, 0, 0, ?, ?), (?, ?, 0, 1, 0, ?, ?)`,
          [journalId, from, statementIds[0], now, journalId, to, statementIds[1], now],
        );
      });
    },
    close,
  };
}

export interface TrivialCeilings {
  empty1: Figure;
  oneLocal1: Figure;
  regular1: Figure;
  regular16: Figure;
}

/** Runs `measure` against trivial workflows served by their own worker process on the engine's Temporal server. */
async function withTrivialWorker<T>(
  temporalAddress: string,
  logDir: string,
  measure: (client: Client, taskQueue: string, workflowId: () => string, workerPid: number | undefined) => Promise<T>,
): Promise<T> {
  const taskQueue = `bench-trivial-${Date.now()}`;
  const [cmd, args] = tsx('trivialWorker.ts');
  const proc = startProcess(cmd, [...args], {
    env: { ...process.env, TEMPORAL_ADDRESS: temporalAddress, TASK_QUEUE: taskQueue },
    logFile: path.join(logDir, 'trivial-worker.log'),
  });
  // The API's kind of connection (api/temporalLink.ts): the ceiling's client costs what the API's does.
  const connection = await connectAsTheEngine(temporalAddress);
  const client = new Client({ connection });
  try {
    let n = 0;
    const workflowId = () => `${taskQueue}-${n++}`;
    // The worker bundles its workflows first; the first execution waits for it.
    await waitFor(
      'the trivial worker',
      () => client.workflow.execute('emptyWorkflow', { taskQueue, workflowId: workflowId() }).then(() => true),
      120_000,
    );
    return await measure(client, taskQueue, workflowId, proc.child.pid);
  } finally {
    await connection.close();
    await proc.stop();
  }
}

/** Trivial workflows started and awaited on the engine's Temporal server, by their own worker process. */
export function trivialWorkflows(
  temporalAddress: string,
  logDir: string,
  o: { iterations: number; seconds: number },
): Promise<TrivialCeilings> {
  return withTrivialWorker(temporalAddress, logDir, async (client, taskQueue, workflowId) => {
    const run = (type: string) => async () => {
      await client.workflow.execute(type, { taskQueue, workflowId: workflowId(), args: [] });
    };
    const one = { clients: 1, iterations: o.iterations, warmup: 5 };
    const many = { clients: 16, durationMs: o.seconds * 1000, warmup: 1 };
    return {
      empty1: await closedLoop(one, run('emptyWorkflow')),
      oneLocal1: await closedLoop(one, run('oneLocalActivity')),
      regular1: await closedLoop(one, run('threeRegularActivities')),
      regular16: await closedLoop(many, run('threeRegularActivities')),
    };
  });
}

/**
 * The 16-client ceiling of a payment that completes in its workflow (the trivial workflow with
 * one local activity, as a transfer has) and that payment's own load, taking turns on the same
 * server, the trivial worker running throughout: [ceiling, figure]. Measured one after the other,
 * the two windows' ratio moved between 46% and 91% across a day's runs of the same code. `around`
 * runs each measured window (k = 0: the ceiling's), given the trivial worker's pid, to count what
 * it used.
 */
export function againstTrivialWorkflows(
  temporalAddress: string,
  logDir: string,
  o: { seconds: number },
  figure: (client: number, i: number) => Promise<void>,
  around?: (k: number, window: () => Promise<number>, trivialWorkerPid: number | undefined) => Promise<void>,
): Promise<[Figure, Figure]> {
  return withTrivialWorker(temporalAddress, logDir, (client, taskQueue, workflowId, workerPid) =>
    closedLoopsTakingTurns(
      { clients: 16, seconds: 2 * o.seconds, rounds: 4 },
      [
        async () => {
          await client.workflow.execute('oneLocalActivity', { taskQueue, workflowId: workflowId(), args: [] });
        },
        figure,
      ],
      around && ((k, window) => around(k, window, workerPid)),
    ),
  );
}

/**
 * The answers at 202's ceiling: a workflow with a held payment's path and nothing in its steps
 * (trivialWorkflows.ts, heldPaymentShape), started by update-with-start as the API starts a
 * recharge and timed to the update's answer, one client, each started when the last answered:
 * the previous one's order, signal, status check and settling run beside it, as a recharge's do.
 */
export function heldPaymentShapeCeiling(
  temporalAddress: string,
  logDir: string,
  o: { iterations: number },
  around?: AroundPayments,
): Promise<Figure> {
  return shapeCeiling(temporalAddress, logDir, o, heldPaymentShape, () => undefined, around);
}

/**
 * The top-up's ceiling: a workflow with a top-up's path and nothing in its steps
 * (trivialWorkflows.ts, topUpShape), answered at its update as a top-up is with its page; the
 * client then signals it without waiting, as the bench pays each page, so the previous one's
 * status check and credit run beside the next, as a top-up's do.
 */
export function topUpShapeCeiling(temporalAddress: string, logDir: string, o: { iterations: number }): Promise<Figure> {
  return shapeCeiling(temporalAddress, logDir, o, topUpShape, (handle) => handle.signal(providerEventSignal));
}

/**
 * Runs `window` (the loop and the settling of every workflow it started, warm-ups included),
 * which resolves to how many it started, given the trivial worker's pid: to count what they used.
 */
export type AroundPayments = (window: () => Promise<number>, trivialWorkerPid: number | undefined) => Promise<void>;

/** A payment-shaped trivial workflow started by update-with-start and timed to its answer, one client. */
function shapeCeiling(
  temporalAddress: string,
  logDir: string,
  o: { iterations: number },
  shape: (id: string) => Promise<void>,
  afterAnswer: (handle: WorkflowHandle) => Promise<void> | undefined,
  around: AroundPayments = async (window) => {
    await window();
  },
): Promise<Figure> {
  return withTrivialWorker(temporalAddress, logDir, async (client, taskQueue, workflowId, workerPid) => {
    let figure!: Figure;
    await around(async () => {
      const started: string[] = [];
      const after = new Beside();
      figure = await closedLoop({ clients: 1, iterations: o.iterations, warmup: 5 }, async () => {
        const id = workflowId();
        started.push(id);
        await client.workflow.executeUpdateWithStart(acceptedUpdate, {
          startWorkflowOperation: new WithStartWorkflowOperation(shape, {
            taskQueue,
            workflowId: id,
            args: [id],
            workflowIdConflictPolicy: 'FAIL',
          }),
        });
        after.add(Promise.resolve(afterAnswer(client.workflow.getHandle(id))));
      });
      const failed = await after.firstError();
      // The last ones are still settling when the loop ends: stopping their worker then would
      // leave them open on the server for good (one whose signal failed waits out its timer).
      await Promise.all(started.map((id) => client.workflow.getHandle(id).result()));
      if (failed) throw failed;
      return started.length;
    }, workerPid);
    return figure;
  });
}
