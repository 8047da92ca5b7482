/**
 * `npm run ledger:check`: runs the ledger invariant checker against DATABASE_URL (or the
 * running dev stack's database), prints each invariant with PASS/FAIL and the offending rows,
 * and exits 1 when any fails.
 */
import { loadConfigOrExit } from '../config';
import { createKnex } from '../db/knex';
import { checkInvariants, InvariantReport } from '../db/ledger/invariants';
import { envWithDevStack } from './stack/devEnv';

export function formatReport(report: InvariantReport): string {
  const lines = [`ledger invariants at ${report.checkedAt}: ${report.ok ? 'all pass' : 'FAILURES'}`];
  for (const c of report.checks) {
    lines.push(`${c.ok ? 'PASS' : 'FAIL'}  ${c.id}: ${c.title}`);
    for (const row of c.offending) lines.push(`        ${JSON.stringify(row)}`);
  }
  return lines.join('\n');
}

async function main() {
  const config = loadConfigOrExit(envWithDevStack());
  const knex = createKnex({ url: config.DATABASE_URL, poolMax: 2 });
  try {
    const report = await checkInvariants(knex);
    console.log(formatReport(report));
    process.exitCode = report.ok ? 0 : 1;
  } finally {
    await knex.destroy();
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(`ledger check failed to run: ${err instanceof Error ? err.message : err}`);
    process.exit(2);
  });
}
