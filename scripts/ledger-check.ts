/**
 * `npm run ledger:check [-- --recount-limits]`: runs the ledger invariant checker against
 * DATABASE_URL (or the running dev stack's database), prints each invariant with PASS/FAIL and
 * the offending rows, and exits 1 when any fails.
 *
 * `--recount-limits` first recounts the limit counters of every user the `limit_counters`
 * invariant names (db/ledger/recount.ts), printing each change: the repair after code from
 * before the counters posted beside the new code.
 */
import { loadConfigOrExit } from '../config';
import { createKnex } from '../db/knex';
import { checkInvariants, InvariantReport } from '../db/ledger/invariants';
import { recountLimitUsage } from '../db/ledger/recount';
import { envWithDevStack } from './stack/devEnv';

export function formatReport(report: InvariantReport): string {
  const lines = [`ledger invariants at ${report.checkedAt}: ${report.ok ? 'all pass' : 'FAILURES'}`];
  for (const c of report.checks) {
    lines.push(`${c.ok ? 'PASS' : 'FAIL'}  ${c.id}: ${c.title}`);
    for (const row of c.offending) lines.push(`        ${JSON.stringify(row)}`);
  }
  return lines.join('\n');
}

/** Recounts the users `limit_counters` names, 50 at a time, until it names none. */
async function recountFlaggedLimits(knex: ReturnType<typeof createKnex>): Promise<void> {
  const seen = new Set<number>();
  for (;;) {
    const check = (await checkInvariants(knex, ['limit_counters'])).checks[0]!;
    const users = check.offending.map((r) => Number(r.user_id)).filter((id) => !seen.has(id));
    if (users.length === 0) return;
    for (const id of users) {
      seen.add(id);
      const { before, after } = await recountLimitUsage(knex, id);
      console.log(`recounted user ${id}: ${JSON.stringify(before)} -> ${JSON.stringify(after)}`);
    }
  }
}

async function main() {
  const config = loadConfigOrExit(envWithDevStack());
  const knex = createKnex({ url: config.DATABASE_URL, poolMax: 2 });
  try {
    const unknown = process.argv.slice(2).filter((a) => a !== '--recount-limits');
    if (unknown.length > 0) throw new Error(`unknown option ${unknown[0]} (known: --recount-limits)`);
    if (process.argv.includes('--recount-limits')) await recountFlaggedLimits(knex);
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
