/**
 * `npm run seed:history -- --payments 1000000 [--days 90] [--retailers N] [--lanes 8] [--seed 1] [--check]`:
 * writes a realistic payment history (db/seed/history.ts) into DATABASE_URL or the running dev
 * stack's database, with a progress bar, then folds the report rollups. While it writes, the
 * server flushes its log once a second instead of at every commit (db/seed/history.ts
 * relaxedDurability; restored after). `--check` runs the
 * ledger invariant checker afterwards (every check, rollups included; minutes at a million).
 */
import { SingleBar } from 'cli-progress';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { loadConfigOrExit } from '../config';
import { createKnex } from '../db/knex';
import { checkInvariants } from '../db/ledger/invariants';
import { migrateLatest } from '../db/migrations';
import { foldReportDeltas } from '../db/reports/fold';
import { relaxedDurability, seedHistory } from '../db/seed/history';
import { formatReport } from './ledger-check';
import { envWithDevStack } from './stack/devEnv';

const options = z.object({
  payments: z.coerce.number().int().min(1).max(20_000_000),
  days: z.coerce.number().int().min(1).max(400).default(90),
  retailers: z.coerce.number().int().min(1).max(1_000_000).optional(),
  lanes: z.coerce.number().int().min(1).max(64).default(8),
  seed: z.coerce.number().int().default(1),
  check: z.boolean().default(false),
});

function bar(title: string, total: number): SingleBar {
  const b = new SingleBar({
    format: `${title.padEnd(16)} [{bar}] {percentage}% | {value}/{total} | {rate}/s | ETA {eta_formatted}`,
    hideCursor: true,
    noTTYOutput: true,
    notTTYSchedule: 10_000,
  });
  b.start(total, 0, { rate: '0' });
  return b;
}

async function main() {
  const { values } = parseArgs({
    options: {
      payments: { type: 'string' },
      days: { type: 'string' },
      retailers: { type: 'string' },
      lanes: { type: 'string' },
      seed: { type: 'string' },
      check: { type: 'boolean' },
    },
  });
  const parsed = options.safeParse(values);
  if (!parsed.success) {
    console.error(`nexaspay: ${parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('; ')}`);
    process.exit(2);
  }
  const o = parsed.data;
  const config = loadConfigOrExit(envWithDevStack());
  const knex = createKnex({ url: config.DATABASE_URL, poolMax: o.lanes + 2 });
  try {
    await migrateLatest(knex);
    const started = Date.now();
    const progress = bar('payments', o.payments);
    const restoreDurability = await relaxedDurability(knex);
    const result = await seedHistory(knex, {
      payments: o.payments,
      days: o.days,
      retailers: o.retailers,
      lanes: o.lanes,
      seed: o.seed,
      onProgress: (done) => {
        progress.setTotal(Math.max(o.payments, done));
        progress.update(done, { rate: Math.round(done / ((Date.now() - started) / 1000)).toLocaleString('en-IN') });
      },
    }).finally(restoreDurability);
    progress.stop();
    console.log(
      `nexaspay: ${result.payments.toLocaleString('en-IN')} payments (funding top-ups included) for ${result.users} users in ${Math.round((Date.now() - started) / 1000)} s`,
    );
    console.log(`  by kind:   ${JSON.stringify(result.byKind)}`);
    console.log(`  by status: ${JSON.stringify(result.byStatus)}`);

    const [[pending]] = await knex.raw(
      `SELECT (SELECT COUNT(*) FROM report_payment_deltas) + (SELECT COUNT(*) FROM report_settle_deltas)
            + (SELECT COUNT(*) FROM report_commission_deltas) AS n`,
    );
    const folding = bar('report rollups', Number(pending.n));
    const foldStarted = Date.now();
    await foldReportDeltas(knex, {
      onBatch: (r) => {
        const n = r.payments + r.settlements + r.commissions;
        folding.update(n, { rate: Math.round(n / ((Date.now() - foldStarted) / 1000 || 1)).toLocaleString('en-IN') });
      },
    });
    folding.stop();

    if (o.check) {
      const report = await checkInvariants(knex);
      console.log(formatReport(report));
      process.exitCode = report.ok ? 0 : 1;
    }
  } finally {
    await knex.destroy();
  }
}

main().catch((err) => {
  console.error(`nexaspay: seed:history failed: ${err instanceof Error ? (err.stack ?? err.message) : err}`);
  process.exit(1);
});
