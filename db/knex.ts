import knexFactory, { Knex } from 'knex';

export interface DbOptions {
  url: string;
  poolMax?: number;
}

/**
 * One knex instance per process. DECIMAL columns come back as strings (mysql2's default) and
 * are converted to Paise only in `db/money.ts`; DATE columns come back as 'YYYY-MM-DD' strings,
 * so no time zone ever shifts a ledger date. Sessions run in UTC and strict SQL mode.
 */
export function createKnex({ url, poolMax = 20 }: DbOptions): Knex {
  return knexFactory({
    client: 'mysql2',
    connection: {
      uri: url,
      timezone: 'Z',
      dateStrings: ['DATE'],
      supportBigNumbers: true,
      charset: 'utf8mb4',
      // The plain-SQL statements run prepared (db/sql.ts): a bound on what each connection keeps
      // prepared on the server, well under MariaDB's max_prepared_stmt_count (16,382 for the
      // whole server) for every connection of every API and worker together.
      maxPreparedStatements: 64,
    } as unknown as Knex.MySql2ConnectionConfig,
    pool: {
      min: 0,
      max: poolMax,
      afterCreate(
        conn: { query: (sql: string, cb: (err: Error | null) => void) => void },
        done: (err: Error | null, conn: unknown) => void,
      ) {
        conn.query(
          "SET time_zone = '+00:00', sql_mode = 'STRICT_TRANS_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'",
          (err) => done(err, conn),
        );
      },
    },
    acquireConnectionTimeout: 30_000,
  });
}

/** Throws unless the database answers (readiness probes). */
export async function pingDatabase(knex: Knex): Promise<void> {
  await knex.raw('SELECT 1');
}
