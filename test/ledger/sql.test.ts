import {
  insertRow,
  insertRows,
  insertRowsReturningIds,
  inSqlTransaction,
  isDuplicateKey,
  selectRows,
  serverReturnsInsertedRows,
  SqlTransaction,
  updateById,
  updateWhere,
} from '../../db/sql';
import type { Knex } from 'knex';
import { createKnex } from '../../db/knex';
import { createTestDatabase, TestDatabase } from '../support/db';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
  await db.knex.raw(
    'CREATE TABLE sql_probe (id INT PRIMARY KEY AUTO_INCREMENT, name VARCHAR(20) NOT NULL UNIQUE, n INT NOT NULL, at DATETIME(3) NULL)',
  );
});
afterAll(() => db.drop());

const names = async () =>
  (await db.knex('sql_probe').select('name').orderBy('id')).map((r: { name: string }) => r.name);

describe('plain SQL inside a knex transaction', () => {
  it('runs on the transaction itself: a rollback undoes it, and knex queries in it see its writes', async () => {
    const failed = db.knex.transaction(async (trx) => {
      const id = await insertRow(trx, 'sql_probe', { name: 'rolled-back', n: 1 });
      await insertRows(trx, 'sql_probe', [
        { name: 'rb-2', n: 2, at: null },
        { name: 'rb-3', n: 3, at: new Date('2026-01-02T03:04:05.678Z') },
      ]);
      expect(await updateById(trx, 'sql_probe', id, { n: 10 })).toBe(1);
      // The builder, on the same transaction, sees the uncommitted rows.
      expect(await trx('sql_probe').whereIn('name', ['rolled-back', 'rb-2', 'rb-3']).sum({ s: 'n' })).toEqual([
        { s: '15' },
      ]);
      // Other connections do not.
      expect(await names()).toEqual([]);
      throw new Error('roll back');
    });
    await expect(failed).rejects.toThrow('roll back');
    expect(await names()).toEqual([]);
  });

  it('commits with the transaction, with values escaped by the driver as knex would', async () => {
    const at = new Date('2026-01-02T03:04:05.678Z');
    await db.knex.transaction(async (trx) => {
      await insertRow(trx, 'sql_probe', { name: "o'brien; --", n: 7, at });
      const rows = await selectRows<{ name: string; at: Date }>(trx, 'SELECT name, at FROM sql_probe WHERE n = ?', [7]);
      expect(rows).toEqual([{ name: "o'brien; --", at }]);
    });
    expect(await names()).toEqual(["o'brien; --"]);
  });

  it('rejects with the driver error (errno kept) and leaves the transaction usable by knex', async () => {
    await db.knex.transaction(async (trx) => {
      const err = await insertRow(trx, 'sql_probe', { name: "o'brien; --", n: 8 }).catch((e: unknown) => e);
      expect(isDuplicateKey(err)).toBe(true);
      await trx('sql_probe').insert({ name: 'after-error', n: 9 });
    });
    expect(await names()).toEqual(["o'brien; --", 'after-error']);
  });

  it('refuses a statement on a transaction that has finished, and a row with a missing value', async () => {
    const trx = await db.knex.transaction();
    await trx.rollback();
    await expect(insertRow(trx, 'sql_probe', { name: 'late', n: 1 })).rejects.toThrow(/finished transaction/);
    await expect(insertRows(db.knex, 'sql_probe', [{ name: 'x', n: 1 }, { name: 'y' }])).rejects.toThrow(
      /every row needs a value/,
    );
    expect(await names()).not.toContain('late');
  });

  it('outside a transaction, borrows a connection from knex pool and always gives it back', async () => {
    expect(await updateById(db.knex, 'sql_probe', 999_999, { n: 1 })).toBe(0);
    expect(await selectRows(db.knex, 'SELECT COUNT(*) AS c FROM sql_probe', [])).toEqual([{ c: 2 }]);
    // A pool of one: a connection kept after an error would make the next statement time out.
    const one = createKnex({ url: db.url, poolMax: 1 });
    try {
      for (let i = 0; i < 3; i++) {
        const err = await insertRow(one, 'sql_probe', { name: 'after-error', n: 1 }).catch((e: unknown) => e);
        expect(isDuplicateKey(err)).toBe(true);
        await expect(selectRows(one, 'SELECT nope FROM sql_probe', [])).rejects.toThrow(/Unknown column/);
      }
      const at = new Date('2026-03-04T05:06:07.890Z');
      const id = await insertRow(one, 'sql_probe', { name: "d'arcy", n: 11, at });
      expect(await selectRows(one, 'SELECT name, n, at FROM sql_probe WHERE id = ?', [id])).toEqual([
        { name: "d'arcy", n: 11, at },
      ]);
      const pool = (one.client as { pool: { numUsed(): number; numFree(): number } }).pool;
      expect([pool.numUsed(), pool.numFree()]).toEqual([0, 1]);
      // knex's own queries share the pool and see the rows.
      expect(await one('sql_probe').where({ name: "d'arcy" }).first('n')).toEqual({ n: 11 });
    } finally {
      await one.destroy();
    }
  });

  it('prepares each statement once per connection, then sends only its values', async () => {
    const one = createKnex({ url: db.url, poolMax: 1 });
    try {
      const counters = async () =>
        Object.fromEntries(
          (
            await selectRows<{ Variable_name: string; Value: string }>(
              one,
              "SHOW SESSION STATUS WHERE Variable_name IN ('Com_stmt_prepare', 'Com_stmt_execute')",
              [],
            )
          ).map((r) => [r.Variable_name, Number(r.Value)]),
        );
      const before = await counters();
      for (let n = 0; n < 5; n++) await selectRows(one, 'SELECT name FROM sql_probe WHERE n = ?', [n]);
      const after = await counters();
      // The counters' own statement was prepared before the first reading: one prepare, for
      // the probe; six executions: five probes and the second reading.
      expect(after.Com_stmt_prepare! - before.Com_stmt_prepare!).toBe(1);
      expect(after.Com_stmt_execute! - before.Com_stmt_execute!).toBe(6);
    } finally {
      await one.destroy();
    }
  });

  it('builds each statement shape once, and keeps shapes that differ apart', async () => {
    await db.knex.raw(
      'CREATE TABLE sql_shapes (id INT PRIMARY KEY AUTO_INCREMENT, a INT NOT NULL, b INT NOT NULL DEFAULT 7)',
    );
    // The same call sites with other columns, other row counts, other filters, in turn.
    const one = await insertRow(db.knex, 'sql_shapes', { a: 1, b: 2 });
    const two = await insertRow(db.knex, 'sql_shapes', { a: 3, b: undefined });
    await insertRows(db.knex, 'sql_shapes', [{ a: 4, b: 4 }]);
    await insertRows(db.knex, 'sql_shapes', [
      { a: 5, b: 5 },
      { a: 6, b: 6 },
    ]);
    expect(await updateWhere(db.knex, 'sql_shapes', { id: one }, { b: 20 })).toBe(1);
    expect(await updateWhere(db.knex, 'sql_shapes', { id: two, a: 3 }, { a: 30, b: undefined })).toBe(1);
    expect(await updateWhere(db.knex, 'sql_shapes', { id: two, a: 3 }, { a: 31 })).toBe(0);
    expect(await selectRows(db.knex, 'SELECT a, b FROM sql_shapes ORDER BY id', [])).toEqual([
      { a: 1, b: 20 },
      { a: 30, b: 7 },
      { a: 4, b: 4 },
      { a: 5, b: 5 },
      { a: 6, b: 6 },
    ]);
  });

  it('reads and writes every ledger type as the text protocol did, and refuses a fraction', async () => {
    await db.knex.raw(
      'CREATE TABLE sql_types (id BIGINT PRIMARY KEY AUTO_INCREMENT, amount DECIMAL(15,2), rate DECIMAL(8,4), day DATE, at DATETIME(3), flag TINYINT(1), label VARCHAR(20))',
    );
    const at = new Date('2026-03-31T18:30:00.125Z');
    const row = { amount: '9999999999999.99', rate: '0.0125', day: '2026-04-01', at, flag: 1, label: null };
    const id = await insertRow(db.knex, 'sql_types', row);
    const viaPrepared = await selectRows(db.knex, 'SELECT * FROM sql_types WHERE id = ?', [id]);
    // DECIMALs as exact strings, a DATE as its calendar day (no time zone shift), DATETIME in UTC.
    expect(viaPrepared).toEqual([{ id, ...row }]);
    // knex's own text-protocol reading of the same row agrees, value for value.
    expect(await db.knex('sql_types').where({ id })).toEqual(viaPrepared);
    await expect(updateById(db.knex, 'sql_types', id, { amount: 0.1 + 0.2 })).rejects.toThrow(/safe integer/);
    expect((await db.knex('sql_types').where({ id }).first('amount')).amount).toBe('9999999999999.99');
  });
});

describe("the ledger's own transactions (inSqlTransaction: BEGIN and COMMIT on a pooled connection)", () => {
  // A pool of one connection: whatever a transaction leaves behind, the next one meets.
  let one: Knex;
  beforeAll(() => {
    one = createKnex({ url: db.url, poolMax: 1 });
  });
  afterAll(() => one.destroy());

  const inTransaction = async () => (await selectRows<{ t: number }>(one, 'SELECT @@in_transaction AS t', []))[0]!.t;
  const probe = async (name: string) =>
    selectRows<{ n: number }>(db.knex, 'SELECT n FROM sql_probe WHERE name = ?', [name]);

  it('commits when the function resolves; others see nothing before the COMMIT', async () => {
    const result = await inSqlTransaction(one, async (trx) => {
      const id = await insertRow(trx, 'sql_probe', { name: 'st-commit', n: 1 });
      expect(await updateWhere(trx, 'sql_probe', { id, name: 'st-commit' }, { n: 2 })).toBe(1);
      expect(await updateWhere(trx, 'sql_probe', { id, name: 'someone else' }, { n: 3 })).toBe(0);
      expect(await probe('st-commit')).toEqual([]);
      return id;
    });
    expect(typeof result).toBe('number');
    expect(await probe('st-commit')).toEqual([{ n: 2 }]);
    expect(await inTransaction()).toBe(0);
  });

  it('rolls every statement back when the function throws, keeps the driver error, and frees the connection', async () => {
    const err = await inSqlTransaction(one, async (trx) => {
      await insertRow(trx, 'sql_probe', { name: 'st-rolled-back', n: 1 });
      await insertRow(trx, 'sql_probe', { name: 'st-rolled-back', n: 2 });
    }).catch((e: unknown) => e);
    expect(isDuplicateKey(err)).toBe(true);
    expect(await probe('st-rolled-back')).toEqual([]);
    expect(await inTransaction()).toBe(0);
    const pool = (one.client as { pool: { numUsed(): number; numFree(): number } }).pool;
    expect([pool.numUsed(), pool.numFree()]).toEqual([0, 1]);
  });

  it('inserts several rows and returns their ids in row order, in one statement where the server can', async () => {
    const { version } = (await selectRows<{ version: string }>(one, 'SELECT VERSION() AS version', []))[0]!;
    const session = async (name: string) =>
      Number(
        (await selectRows<{ Value: string }>(one, 'SHOW SESSION STATUS WHERE Variable_name = ?', [name]))[0]!.Value,
      );
    const names = ['st-ids-c', 'st-ids-a', 'st-ids-b'];
    const before = await session('Com_insert');
    const ids = await inSqlTransaction(one, (trx) =>
      insertRowsReturningIds(
        trx,
        'sql_probe',
        names.map((name, n) => ({ name, n })),
      ),
    );
    const inserts = (await session('Com_insert')) - before;
    expect(inserts).toBe(serverReturnsInsertedRows(version) ? 1 : names.length);
    // The project's own stack runs MariaDB, so the one-statement path is the one these tests run.
    expect(version).toMatch(/MariaDB/);
    for (const [n, id] of ids.entries())
      expect(await selectRows(db.knex, 'SELECT name, n FROM sql_probe WHERE id = ?', [id])).toEqual([
        { name: names[n], n },
      ]);
    // A duplicate among them refuses them all, with the driver's error.
    const err = await inSqlTransaction(one, (trx) =>
      insertRowsReturningIds(trx, 'sql_probe', [
        { name: 'st-ids-new', n: 9 },
        { name: 'st-ids-a', n: 9 },
      ]),
    ).catch((e: unknown) => e);
    expect(isDuplicateKey(err)).toBe(true);
    expect(await probe('st-ids-new')).toEqual([]);
  });

  it('knows which servers return inserted rows: MariaDB from 10.5, MySQL never', () => {
    expect(serverReturnsInsertedRows('10.11.19-MariaDB-0+deb12u1')).toBe(true);
    expect(serverReturnsInsertedRows('10.5.0-MariaDB')).toBe(true);
    expect(serverReturnsInsertedRows('11.4.2-MariaDB-log')).toBe(true);
    expect(serverReturnsInsertedRows('10.4.34-MariaDB')).toBe(false);
    expect(serverReturnsInsertedRows('8.0.36')).toBe(false);
    expect(serverReturnsInsertedRows('8.4.3-log')).toBe(false);
    expect(serverReturnsInsertedRows('5.7.44-MariaDB-fake')).toBe(false);
  });

  it('refuses a statement once the transaction has ended', async () => {
    let kept: SqlTransaction | undefined;
    await inSqlTransaction(one, async (trx) => {
      kept = trx;
    });
    await expect(insertRow(kept!, 'sql_probe', { name: 'st-late', n: 1 })).rejects.toThrow(/finished transaction/);
    expect(await probe('st-late')).toEqual([]);
  });

  it('refuses a knex transaction (a BEGIN on its connection would commit it), and leaves it open', async () => {
    const outer = await db.knex.transaction();
    try {
      await insertRow(outer, 'sql_probe', { name: 'st-outer', n: 1 });
      await expect(
        inSqlTransaction(outer, (trx) => insertRow(trx, 'sql_probe', { name: 'st-nested', n: 1 })),
      ).rejects.toThrow(/needs the pool, not a transaction/);
    } finally {
      await outer.rollback();
    }
    expect(await probe('st-outer')).toEqual([]);
    expect(await probe('st-nested')).toEqual([]);
  });

  it('a lock wait timeout undoes the whole transaction, not only its statement (as InnoDB alone would)', async () => {
    await insertRow(db.knex, 'sql_probe', { name: 'st-locked', n: 1 });
    const holder = await db.knex.transaction();
    try {
      await holder('sql_probe').where({ name: 'st-locked' }).forUpdate();
      const err = await inSqlTransaction(one, async (trx) => {
        await selectRows(trx, 'SET SESSION innodb_lock_wait_timeout = 1', []);
        await insertRow(trx, 'sql_probe', { name: 'st-before-timeout', n: 1 });
        await selectRows(trx, "UPDATE sql_probe SET n = 2 WHERE name = 'st-locked'", []);
      }).catch((e: unknown) => e);
      expect((err as { errno?: number }).errno).toBe(1205);
    } finally {
      await holder.rollback();
      await selectRows(one, 'SET SESSION innodb_lock_wait_timeout = DEFAULT', []);
    }
    expect(await probe('st-before-timeout')).toEqual([]);
    expect(await inTransaction()).toBe(0);
  });

  it('a connection lost mid-transaction is not handed out again', async () => {
    const err = await inSqlTransaction(one, async (trx) => {
      await insertRow(trx, 'sql_probe', { name: 'st-killed', n: 1 });
      const [{ id }] = (await selectRows<{ id: number }>(trx, 'SELECT CONNECTION_ID() AS id', [])) as [{ id: number }];
      await db.knex.raw('KILL CONNECTION ?', [id]);
      await selectRows(trx, 'SELECT 1', []);
    }).catch((e: unknown) => e);
    expect(String(err)).toMatch(/closed|lost|ended|killed/i);
    // The server rolled the dead connection's transaction back; the pool opens a fresh one.
    expect(await probe('st-killed')).toEqual([]);
    await inSqlTransaction(one, (trx) => insertRow(trx, 'sql_probe', { name: 'st-after-kill', n: 1 }));
    expect(await probe('st-after-kill')).toEqual([{ n: 1 }]);
  });
});
