/**
 * `npm run chaos [-- --payments N] [--quick] [--report file.json]`: the proof a user can run.
 *
 * Starts its own stack (private MariaDB, Temporal dev server, simulators, two API instances
 * and two workers, all separate processes), drives N mixed payments of all five kinds with
 * scripted provider outcomes and injected provider faults, while it kill -9s workers, API
 * instances, the Temporal server and MariaDB and restarts them. Then it waits for every payment
 * to settle and audits (scripts/chaos/audit.ts): every payment ended or waits for an operator
 * with a reason, one payment per idempotency key, the invariant checker, an independent SQL
 * audit of the ledger, and the provider's record against ours. It prints a summary table and
 * exits 1 on any violation.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createKnex } from '../db/knex';
import { migrateLatest } from '../db/migrations';
import { audit, auditSelfTest, Violation } from './chaos/audit';
import { FullStack, startFullStack, Target } from './stack/fullStack';
import { Answered, Clients, plan, REVERSE_AFTER_MS } from './chaos/workload';
import { exitOnMissingPrerequisite, step, timed } from './stack/log';
import { ensureTemporalCli } from './stack/temporalCli';

interface Options {
  payments: number;
  quick: boolean;
  report?: string;
  concurrency: number;
  keep: boolean;
}

function options(argv: string[]): Options {
  const o: Options = { payments: 1000, quick: false, concurrency: 12, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--payments') o.payments = Number(argv[++i]);
    else if (a === '--quick') o.quick = true;
    else if (a === '--report') o.report = argv[++i];
    else if (a === '--concurrency') o.concurrency = Number(argv[++i]);
    else if (a === '--keep') o.keep = true;
    else throw new Error(`unknown option ${a} (known: --payments N, --quick, --report file, --concurrency N, --keep)`);
  }
  if (!Number.isInteger(o.payments) || o.payments < 20)
    throw new Error('--payments must be a whole number of at least 20');
  return o;
}

/** Twelve crashes for a full run, each kind at least once (six for --quick); spread over the load. */
const CRASHES: Target[] = [
  'worker-1',
  'api-1',
  'temporal',
  'worker-2',
  'mariadb',
  'api-2',
  'worker-1',
  'api-2',
  'temporal',
  'worker-2',
  'mariadb',
  'api-1',
];

type FaultKind =
  | 'provider 5xx burst'
  | 'provider timeout after effect'
  | 'provider slow answer'
  | 'PhonePe 5xx burst'
  | 'PhonePe lost answer';
const FAULTS: FaultKind[] = [
  'provider 5xx burst',
  'provider timeout after effect',
  'provider slow answer',
  'PhonePe 5xx burst',
  'PhonePe lost answer',
];

async function injectFault(clients: Clients, simUrl: string, kind: FaultKind, i: number): Promise<void> {
  const provider = (['recharge', 'payout', 'bbps'] as const)[i % 3]!;
  const endpoint = provider === 'bbps' ? 'pay' : 'create';
  switch (kind) {
    case 'provider 5xx burst':
      return clients.sim(provider, 'faults', { endpoint, kind: 'error_5xx', count: 3 });
    case 'provider timeout after effect':
      return clients.sim(provider, 'faults', { endpoint, kind: 'timeout_after_effect', delayMs: 4_000 });
    case 'provider slow answer':
      return clients.sim(provider, 'faults', { endpoint, kind: 'slow', delayMs: 1_500 });
    case 'PhonePe 5xx burst':
      await fetch(`${simUrl}/phonepe/__sim/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ httpErrors: { pay: { status: 503, times: 2 } } }),
      });
      return;
    case 'PhonePe lost answer':
      await fetch(`${simUrl}/phonepe/__sim/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ hang: { pay: 1 }, hangMs: 4_000 }),
      });
      return;
  }
}

async function main(): Promise<void> {
  const o = options(process.argv.slice(2));
  const started = Date.now();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nexaspay-chaos-'));
  const cli = await timed('finding the Temporal CLI', ensureTemporalCli);
  const stack: FullStack = await timed('starting MariaDB, Temporal, the simulators, 2 APIs and 2 workers', () =>
    startFullStack({
      dir,
      temporalCli: cli,
      env: {
        POLLING_TIME_SCALE: '0.01',
        REVERSAL_WATCH_HOURS: String(60 / 3600),
        REVERSAL_SWEEP_SECONDS: '5',
        TOPUP_EXPIRE_AFTER_SECONDS: '300',
        PROVIDER_TIMEOUT_MS: '3000',
        PHONEPE_TIMEOUT_MS: '3000',
        PROVIDER_CALL_BUDGET_SECONDS: '120',
        ACCESS_TOKEN_TTL_SECONDS: '3600',
        DB_POOL_MAX: '20',
      },
    }),
  );
  const stopAll = async () => {
    await stack.stop();
    if (!o.keep) rmSync(dir, { recursive: true, force: true });
  };
  process.on('SIGINT', () => void stopAll().then(() => process.exit(130)));

  const knex = createKnex({ url: stack.databaseUrl, poolMax: 4 });
  const clients = new Clients(stack.apiUrls, stack.simulatorUrl);
  const payers = Math.max(8, Math.min(60, Math.ceil(o.payments / 25)));
  await timed(`seeding ${payers} payers`, async () => {
    await migrateLatest(knex);
    await clients.seed(knex, payers);
    await clients.prepare();
  });

  const planned = plan(o.payments);
  const crashes = o.quick ? CRASHES.slice(0, 6) : CRASHES;
  const crashed: Record<string, number> = {};
  const faults: Record<string, number> = {};
  const answered: Answered[] = [];
  let submitted = 0;

  // Crashes and faults are spaced by payments submitted, so a run of any size sees all of them.
  const crashEvery = Math.floor((o.payments * 0.8) / (crashes.length + 1));
  const faultEvery = Math.max(5, Math.floor((o.payments * 0.8) / (FAULTS.length * 3)));
  const chaos = (async () => {
    let nextCrash = 0;
    let nextFault = 0;
    while (nextCrash < crashes.length || submitted < o.payments * 0.8) {
      if (nextCrash < crashes.length && submitted >= crashEvery * (nextCrash + 1)) {
        const target = crashes[nextCrash++]!;
        step(`kill -9 ${target} (after ${submitted} payments)`);
        await stack
          .crash(target, 1_000 + (nextCrash % 3) * 1_000)
          .catch((err) => console.error(`nexaspay: restarting ${target} failed: ${(err as Error).message}`));
        crashed[target] = (crashed[target] ?? 0) + 1;
      }
      if (submitted >= faultEvery * (nextFault + 1) && nextFault < FAULTS.length * 3) {
        const kind = FAULTS[nextFault % FAULTS.length]!;
        await injectFault(clients, stack.simulatorUrl, kind, nextFault).then(
          () => (faults[kind] = (faults[kind] ?? 0) + 1),
          () => undefined,
        );
        nextFault++;
      }
      if (submitted >= o.payments && nextCrash >= crashes.length) break;
      await new Promise((r) => setTimeout(r, 200));
    }
  })();

  await timed(`driving ${o.payments} payments (${o.concurrency} clients)`, async () => {
    const queue = [...planned];
    await Promise.all(
      Array.from({ length: o.concurrency }, async () => {
        for (let p = queue.shift(); p; p = queue.shift()) {
          submitted++;
          answered.push(await clients.pay(p));
          if (answered.length % 100 === 0) step(`${answered.length}/${o.payments} payments answered`);
        }
      }),
    );
    await chaos;
  });

  const settled = await timed('waiting for every payment to settle', async () => {
    const deadline = Date.now() + (o.quick ? 4 : 15) * 60_000;
    for (;;) {
      const [[{ open }]] = (await knex
        .raw(
          `SELECT COUNT(*) AS open FROM payment_records WHERE status IN ('CREATED', 'AWAITING_PAYMENT', 'PROCESSING')`,
        )
        .catch(() => [[{ open: -1 }]])) as [[{ open: number }]];
      if (Number(open) === 0) return true;
      if (Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 2_000));
    }
  });
  // A reversal reaches a settled payment by webhook, or, when the webhook was lost to a crash, by
  // the reversal sweep's next due check (every 10 s of its 60 s window here, swept every 5 s).
  // Give it that window before judging; the audit below still fails any reversal not booked.
  await timed('waiting for reversals the provider reported', async () => {
    // First, for the provider to make the reversals it was scripted to: a payment that settled
    // just now is reversed there up to REVERSE_AFTER_MS later, and judged before that it would
    // look done (this once let the audit find a reversal the wait had not waited for).
    await new Promise((r) => setTimeout(r, REVERSE_AFTER_MS + 1_000));
    const deadline = Date.now() + 70_000;
    const pendingReversal = (v: Violation) => / provider reversed, ours COMPLETED,/.test(v.detail);
    while (Date.now() < deadline && (await audit(knex, answered, stack.simulatorUrl)).some(pendingReversal))
      await new Promise((r) => setTimeout(r, 2_000));
  });

  const violations: Violation[] = settled
    ? []
    : [{ check: 'every payment settled', detail: 'payments still open after the settle deadline' }];
  violations.push(...(await timed('auditing', () => audit(knex, answered, stack.simulatorUrl))));
  const selfTest = await timed('proving the audit catches tampered books', () =>
    auditSelfTest(knex, answered, stack.simulatorUrl),
  );
  for (const missed of selfTest.missed)
    violations.push({ check: 'audit self-test', detail: `tampering not caught by "${missed}"` });
  const unanswered = answered.filter((a) => a.unanswered).length;

  const outcomes = (await knex('payment_records')
    .select('kind', 'status')
    .count({ n: '*' })
    .groupBy('kind', 'status')) as Array<{ kind: string; status: string; n: number }>;
  const summary = {
    payments: o.payments,
    durationSeconds: Math.round((Date.now() - started) / 1000),
    outcomes: Object.fromEntries(outcomes.map((r) => [`${r.kind} ${r.status}`, Number(r.n)])),
    refusedAtOnce: answered.filter((a) => a.status === 422 || a.status === 409).length,
    unanswered,
    crashes: crashed,
    faults,
    client: clients.stats,
    auditSelfTest: selfTest,
    violations,
  };
  printSummary(summary, outcomes);
  if (o.report) writeFileSync(o.report, JSON.stringify(summary, null, 2));
  await clients.close();
  await knex.destroy();
  await stopAll();
  process.exit(violations.length === 0 ? 0 : 1);
}

function printSummary(s: Record<string, any>, outcomes: Array<{ kind: string; status: string; n: number }>): void {
  const kinds = [...new Set(outcomes.map((r) => r.kind))].sort();
  const statuses = [
    'COMPLETED',
    'FAILED',
    'REVERSED',
    'NEEDS_ATTENTION',
    'PROCESSING',
    'AWAITING_PAYMENT',
    'CREATED',
  ].filter((st) => outcomes.some((r) => r.status === st));
  const cell = (k: string, st: string) => String(outcomes.find((r) => r.kind === k && r.status === st)?.n ?? 0);
  const line = (cols: string[]) =>
    `  ${cols[0]!.padEnd(10)}${cols
      .slice(1)
      .map((c) => c.padStart(17))
      .join('')}`;
  console.log(`\nChaos run: ${s.payments} payments in ${s.durationSeconds} s\n`);
  console.log(line(['kind', ...statuses, 'total']));
  for (const k of kinds)
    console.log(
      line([
        k,
        ...statuses.map((st) => cell(k, st)),
        String(outcomes.filter((r) => r.kind === k).reduce((a, r) => a + Number(r.n), 0)),
      ]),
    );
  console.log(
    `\n  crashes (kill -9, then restart): ${Object.entries(s.crashes)
      .map(([k, n]) => `${k} ×${n}`)
      .join(', ')}`,
  );
  console.log(
    `  provider faults injected:        ${Object.entries(s.faults)
      .map(([k, n]) => `${k} ×${n}`)
      .join(', ')}`,
  );
  console.log(
    `  client requests: ${s.client.requests}, retried ${s.client.retries} (transport errors ${s.client.transportErrors}, 5xx ${s.client.serverErrors}); refused at once (422/409): ${s.refusedAtOnce}; never answered: ${s.unanswered}`,
  );
  console.log(
    `  audit self-test: ${s.auditSelfTest.caught.length} tamperings caught (${s.auditSelfTest.caught.join('; ')})${s.auditSelfTest.missed.length ? `, MISSED: ${s.auditSelfTest.missed.join('; ')}` : ''}`,
  );
  if (s.violations.length === 0)
    console.log('\n  audit: PASS (settled, one payment per key, invariants, SQL audit, provider records)\n');
  else {
    console.log(`\n  audit: FAIL, ${s.violations.length} violation(s):`);
    for (const v of s.violations.slice(0, 50)) console.log(`    ${v.check}: ${v.detail}`);
    console.log('');
  }
}

main().catch(exitOnMissingPrerequisite);
