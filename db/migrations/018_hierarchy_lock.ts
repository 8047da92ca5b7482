/**
 * A row to lock while the distributor hierarchy changes shape (db/userAdmin.ts). Checking that
 * a new parent does not sit below the user walks up the chain; two admins re-parenting two users
 * under each other at once would each see no loop and together make one. Holding this row while
 * checking and writing makes such changes one at a time; they are rare, and no payment takes it.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`CREATE TABLE app_locks (
    name VARCHAR(50) NOT NULL PRIMARY KEY
  ) ENGINE=InnoDB`);
  await knex('app_locks').insert({ name: 'hierarchy' });
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE app_locks');
}
