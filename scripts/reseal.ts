/**
 * `npm run reseal`: seals every sealed column again with the current keys (the second half of a
 * key rotation: docs/security.md), against DATABASE_URL or the running dev stack's database.
 */
import { loadConfigOrExit } from '../config';
import { beneficiaryKeysOf } from '../db/beneficiaries';
import { createKnex } from '../db/knex';
import { resealAll } from '../db/reseal';
import { twoFactorKeysOf } from '../db/twoFactor';
import { kycKeysOf } from '../db/userAdmin';
import { envWithDevStack } from './stack/devEnv';

async function main() {
  const config = loadConfigOrExit(envWithDevStack());
  const knex = createKnex({ url: config.DATABASE_URL, poolMax: 2 });
  try {
    const counts = await resealAll(knex, {
      beneficiaries: beneficiaryKeysOf(config),
      twoFactor: twoFactorKeysOf(config),
      kyc: kycKeysOf(config),
    });
    for (const c of counts) console.log(`${c.column.padEnd(32)} ${c.rows} rows, ${c.resealed} sealed again`);
    console.log('done: every sealed value opens with the current keys; the *_PREVIOUS keys can go.');
  } finally {
    await knex.destroy();
  }
}

main().catch((err) => {
  console.error(`nexaspay: reseal failed: ${(err as Error).message}`);
  process.exit(1);
});
