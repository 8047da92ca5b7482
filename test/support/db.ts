import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { createKnex } from '../../db/knex';
import { migrateLatest } from '../../db/migrations';
import { testEnv } from './env';

export interface TestDatabase {
  name: string;
  url: string;
  knex: Knex;
  drop(): Promise<void>;
}

/** How many rows of `table` match `where`. */
export async function rowCount(knex: Knex, table: string, where: Record<string, unknown>): Promise<number> {
  return Number((await knex(table).where(where).count({ c: '*' }))[0]!.c);
}

/** A fresh, migrated database of its own for one suite, so suites can run in parallel. */
export async function createTestDatabase(opts: { migrate?: boolean; poolMax?: number } = {}): Promise<TestDatabase> {
  const name = `t_${randomBytes(6).toString('hex')}`;
  const admin = createKnex({ url: testEnv.dbAdminUrl, poolMax: 2 });
  await admin.raw(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await admin.destroy();
  const url = `${testEnv.dbAdminUrl.replace(/\/$/, '')}/${name}`;
  const knex = createKnex({ url, poolMax: opts.poolMax ?? 30 });
  if (opts.migrate !== false) await migrateLatest(knex);
  return {
    name,
    url,
    knex,
    async drop() {
      await knex.destroy();
      const a = createKnex({ url: testEnv.dbAdminUrl, poolMax: 1 });
      await a.raw(`DROP DATABASE IF EXISTS \`${name}\``);
      await a.destroy();
    },
  };
}

/**
 * Runs `read` on a connection of its own and counts the temporary tables MariaDB put on disk
 * meanwhile (its session counter). On-disk ones are Aria tables, and MariaDB 10.11 crashes when
 * one fails to open (db/triggers.ts), so the reads run after every test or by ops avoid them.
 */
export async function temporaryTablesOnDisk<T>(
  url: string,
  read: (knex: Knex) => Promise<T>,
): Promise<{ result: T; onDisk: number }> {
  const one = createKnex({ url, poolMax: 1 });
  try {
    const counter = async () =>
      Number((await one.raw("SHOW SESSION STATUS LIKE 'Created_tmp_disk_tables'"))[0][0].Value);
    const before = await counter();
    const result = await read(one);
    return { result, onDisk: (await counter()) - before };
  } finally {
    await one.destroy();
  }
}
