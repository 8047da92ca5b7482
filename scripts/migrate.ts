/** `npm run migrate`: applies pending migrations to DATABASE_URL (or the running dev stack's). */
import { loadConfigOrExit } from '../config';
import { createKnex } from '../db/knex';
import { migrateLatest } from '../db/migrations';
import { envWithDevStack } from './stack/devEnv';

async function main() {
  const config = loadConfigOrExit(envWithDevStack());
  const knex = createKnex({ url: config.DATABASE_URL, poolMax: 2 });
  try {
    const applied = await migrateLatest(knex);
    console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
  } finally {
    await knex.destroy();
  }
}

main().catch((err) => {
  console.error(`migrate failed: ${err instanceof Error ? err.message : err}`);
  process.exit(1);
});
