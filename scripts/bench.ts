/**
 * `npm run bench [-- --quick] [--after N] [--control] [--history N] [--json file.json] [--keep] [--profile dir] [--api URL]`: how fast
 * the engine answers, against ceilings measured on the same machine in the same run.
 *
 * Starts its own stack shaped like `npm run dev` (private MariaDB, Temporal dev server, the
 * simulators, one API, one worker; separate processes), or with `--api` measures one already
 * running (scripts/bench/runningStack.ts); seeds KYC-verified funded payers, then:
 *  1. reads through the API (`/v1/me`, `/v1/wallet`, a ledger page) at 32 connections, taking
 *     turns with their ceiling (scripts/bench/ceilings.ts), a bare Koa + mysql2 point select;
 *  2. postings through the project's ledger, on distinct accounts and on one hot account,
 *     taking turns in a balanced order with their ceilings: a bare two-account posting
 *     transaction, and the same posting's own statements on copies of the ledger's tables;
 *  3. transfers answered COMPLETED (1 client) right after trivial workflows on the same
 *     Temporal server, and 16 clients taking turns with the trivial workflow's 16 clients;
 *     payment initiations (1 client each), the answers at 202 right after a trivial workflow on
 *     a held payment's path answered the same way; then flat cost: a posting and
 *     `GET /v1/wallet` for a user with 100,000 entries this month against a fresh user's;
 *  4. the API's and worker's resident memory, and the ledger invariants afterwards.
 * With `--after N` it then drives N payments of the chaos run's mix (every kind and outcome:
 * settled payments listening for reversals, abandoned top-ups, ...), measures every figure again
 * and compares each with its fresh value (target: within 20%). `--control` measures every figure a
 * second time before that, with nothing driven between: how far the figures move on their own
 * between two passes on this machine, shown beside each drift.
 * Then reports at scale (scripts/bench/reports.ts): a history of `--history N` payments over 90
 * days (default 1,000,000; 100,000 with --quick; 0 skips it) written through the ledger, and each
 * report answered through the API.
 * Prints the tables (figure, ceiling, ratio, target) and writes them as JSON with `--json`.
 * Figures are from one machine at one moment: compare ratios, not absolute numbers.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import { createKnex } from '../db/knex';
import { createLedger } from '../db/ledger';
import { checkInvariants } from '../db/ledger/invariants';
import { migrateLatest } from '../db/migrations';
import { paise } from '../domain/money';
import { transferPosting } from '../domain/recipes';
import {
  againstTrivialWorkflows,
  bareSelectUrl,
  heldPaymentShapeCeiling,
  openBarePostings,
  openLedgerStatementPostings,
  startBareServer,
  topUpShapeCeiling,
  trivialWorkflows,
} from './bench/ceilings';
import { seedHeavyHistory } from './bench/heavyUser';
import { reportsAtScale } from './bench/reports';
import {
  alternating,
  balancedOrders,
  Beside,
  closedLoop,
  closedLoopsTakingTurns,
  CpuMeter,
  httpLoadsTakingTurns,
  residentMb,
  timedThenWait,
} from './bench/load';
import type { Figure, HttpTarget } from './bench/load';
import { CpuRow, Memory, printCpu, printDrift, printTable, Row } from './bench/report';
import { Clients, plan } from './chaos/workload';
import { startFullStack } from './stack/fullStack';
import { exitOnMissingPrerequisite, step, timed } from './stack/log';
import { ensureTemporalCli } from './stack/temporalCli';
import { BenchStack, connectToRunningStack } from './bench/runningStack';

interface Options {
  quick: boolean;
  json?: string;
  keep: boolean;
  /** Write V8 CPU profiles of the API and the worker here (open them in Chrome DevTools). */
  profile?: string;
  /** Then drive this many mixed payments (with whatever they leave open) and measure again. */
  after?: number;
  /** Measure every figure twice before the drive: the drift two passes show with nothing between. */
  control: boolean;
  /** Measure the stack running at this URL instead of starting one. */
  api?: string;
  /** Payments of history to measure the reports on (0: skip). */
  history?: number;
}

function options(argv: string[]): Options {
  const o: Options = { quick: false, keep: false, control: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') o.quick = true;
    else if (a === '--json') o.json = argv[++i];
    else if (a === '--keep') o.keep = true;
    else if (a === '--profile') o.profile = path.resolve(argv[++i] ?? 'profiles');
    else if (a === '--after') o.after = Number(argv[++i]);
    else if (a === '--control') o.control = true;
    else if (a === '--api') o.api = argv[++i];
    else if (a === '--history') o.history = Number(argv[++i]);
    else
      throw new Error(
        `unknown option ${a} (known: --quick, --json file, --keep, --profile dir, --after N, --control, --history N, --api URL)`,
      );
  }
  if (o.history !== undefined && !(Number.isInteger(o.history) && o.history >= 0))
    throw new Error('--history must be a whole number of payments (0 skips the reports)');
  if (o.after !== undefined && !(Number.isInteger(o.after) && o.after > 0))
    throw new Error('--after must be a positive whole number of payments');
  if (o.api !== undefined && !/^https?:\/\/[^/]+/.test(o.api))
    throw new Error('--api takes the API base URL, e.g. http://127.0.0.1:3000');
  if (o.api !== undefined && o.profile)
    throw new Error('--profile needs the stack the bench starts itself (not --api)');
  return o;
}

const PAYERS = 36;
/** Payers 0..31 post in pairs, 32 is the hot account, 33 makes payments, 34 gets a long month, 35 stays fresh. */
const HEAVY = 34;
const FRESH = 35;
const HEAVY_ENTRIES = 100_000;
/** The statement lines a ledger page read asks for. */
const LEDGER_PAGE = 20;

/** Until none of the bench's payments is PROCESSING (held payments answer within seconds here) or `ms` passes. */
async function settled(knex: Knex, clients: Clients, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  const payers = clients.seeded.payers.map((p) => p.id);
  for (;;) {
    const [[row]] = (await knex.raw(
      `SELECT COUNT(*) AS n FROM payment_records WHERE status = 'PROCESSING' AND user_id IN (?)`,
      [payers],
    )) as [[{ n: number }]];
    if (Number(row.n) === 0 || Date.now() > deadline) return;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Until the payment is no longer PROCESSING (or `ms` passes). */
async function settledPayment(knex: Knex, paymentId: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const row = await knex('payment_records').where({ id: paymentId }).first('status');
    if (row && row.status !== 'PROCESSING') return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`payment ${paymentId} still PROCESSING after ${ms} ms`);
}

interface Bench {
  stack: BenchStack;
  knex: Knex;
  clients: Clients;
  dir: string;
  seconds: number;
  iterations: number;
}

/** Posts a one-rupee transfer between two payers through the project's ledger. */
function transferPoster(b: Bench, pass: string) {
  const ledger = createLedger(b.knex);
  const { payers } = b.clients.seeded;
  const run = `${pass}-${Date.now()}`;
  return (from: number, to: number, label: string, i: number) =>
    ledger
      .post(
        transferPosting(
          {
            paymentId: `bench-${run}-${label}-${i}`,
            senderId: payers[from]!.id,
            senderCode: payers[from]!.userCode,
            recipientId: payers[to]!.id,
            recipientCode: payers[to]!.userCode,
            amount: paise(100),
          },
          paise(0),
        ),
      )
      .then(() => undefined);
}

/**
 * Ledger postings, 16 clients, taking turns with the bare posting and with the ledger's own
 * statements by bare mysql2: [bare, statements, ledger] on distinct accounts (payers 0..31 in
 * pairs), then on one hot account (payer 32).
 */
async function postingsTakingTurns(b: Bench, pass: string) {
  const { stack, seconds } = b;
  const postTransfer = transferPoster(b, pass);
  const bare = await openBarePostings(stack.databaseUrl, { clients: 16 });
  try {
    const ledgerUsers = b.clients.seeded.payers.slice(0, 33).map((p) => p.id);
    const statements = await openLedgerStatementPostings(stack.databaseUrl, ledgerUsers, { clients: 16 });
    try {
      const inTurns = (hot: boolean) =>
        timed(
          `postings, 16 clients, ${hot ? 'one hot account' : 'distinct accounts'}: the bare posting [ceiling], its statements by bare mysql2 and the ledger, taking turns`,
          () =>
            closedLoopsTakingTurns({ clients: 16, seconds: 2 * seconds, rounds: 6 }, [
              bare.post(hot),
              statements.post(hot),
              (c: number, i: number) => postTransfer(2 * c, hot ? 32 : 2 * c + 1, hot ? 'hot' : 'distinct', i),
            ]),
        );
      return { distinct: await inTurns(false), hot: await inTurns(true) };
    } finally {
      await statements.close();
    }
  } finally {
    await bare.close();
  }
}

/** A read, and the process that serves it (whose CPU is counted). */
interface Read extends HttpTarget {
  what: string;
  server: number | undefined;
}

/** A row of the CPU table from what `meter` counted; `server` is the API (or the bare server). */
function cpuRow(what: string, meter: CpuMeter<string>): CpuRow {
  const optional = (name: 'worker' | 'temporal') => (meter.counts(name) ? meter.perOperation(name) : undefined);
  return {
    what,
    serverUs: meter.perOperation('server'),
    databaseUs: meter.perOperation('database'),
    loadUs: meter.perOperation('load'),
    workerUs: optional('worker'),
    temporalUs: optional('temporal'),
    machineUs: meter.perOperation('machine'),
    busyCores: meter.busyCores(),
  };
}

/**
 * The reads and their ceiling taking turns (load.ts, httpLoadsTakingTurns), and the CPU time
 * each read's server, MariaDB and this process (the load generator) used per request over that
 * read's windows (CpuMeter).
 */
async function readsTakingTurns<Reads extends Read[]>(
  cpu: CpuRow[],
  o: { seconds: number; database: number | undefined },
  reads: [...Reads],
): Promise<{ [K in keyof Reads]: Figure }> {
  const meters = reads.map((read) => new CpuMeter({ server: read.server, database: o.database }));
  const figures = await httpLoadsTakingTurns(
    // One full balanced design: each read follows each other (and the bare select) once.
    { connections: 32, seconds: o.seconds, rounds: balancedOrders(reads.length).length },
    reads,
    async (k, window) => {
      let figure!: Figure;
      await meters[k]!.measure(async () => {
        figure = await window();
        return figure.count;
      });
      return figure;
    },
  );
  reads.forEach((read, k) => cpu.push(cpuRow(read.what, meters[k]!)));
  return figures;
}

/** One pass of every figure: the table's rows, the processes' memory, the reads' CPU. */
interface Pass {
  rows: Row[];
  memory: Memory;
  cpu: CpuRow[];
}

/** Every figure once, each against the ceilings measured just before it. */
async function measure(b: Bench, pass: string): Promise<Pass> {
  const { stack, clients, dir, seconds, iterations } = b;
  const cpu: CpuRow[] = [];
  const database = stack.pid('mariadb');
  await clients.logInAgain();
  const { payers, operator, biller } = clients.seeded;
  const api = stack.apiUrls[0]!;
  const auth = { authorization: `Bearer ${payers[0]!.token}` };
  // Each ceiling is measured right before the figures it is the ceiling of (the reads taking
  // turns with theirs): on a shared machine the load of neighbours moves by tens of percent
  // within minutes, and a ratio is only meaningful between figures taken under the same conditions.
  // 1. Reads through the API, taking turns with the bare select.
  const bare = await startBareServer(stack.databaseUrl, dir);
  const apiPid = stack.pid('api-1');
  const read = (p: string): Read => ({ what: `GET ${p}`, url: `${api}${p}`, headers: auth, server: apiPid });
  const [select, me, wallet, ledgerPage, healthz] = await timed(
    'the bare Koa + mysql2 point select and the reads, taking turns, 32 connections',
    () =>
      readsTakingTurns(cpu, { seconds, database }, [
        {
          what: 'bare Koa + mysql2 point select [ceiling]',
          url: bareSelectUrl(bare.url, payers[0]!.id),
          server: bare.proc.child.pid,
        },
        read('/v1/me'),
        read('/v1/wallet'),
        read(`/v1/wallet/ledger?limit=${LEDGER_PAGE}`),
        read('/healthz'),
      ]),
  );
  await bare.proc.stop();

  // 2. Postings through the project's ledger, taking turns with their ceilings.
  const postings = await postingsTakingTurns(b, pass);
  const [bareDistinct, schemaDistinct, ledgerDistinct] = postings.distinct;
  const [bareHot, schemaHot, ledgerHot] = postings.hot;

  // 3. Trivial workflows on the same Temporal server, before the payments they are the ceiling of.
  const trivial = await timed('ceiling: trivial workflows on the same Temporal server', () =>
    trivialWorkflows(stack.temporalAddress, dir, { iterations, seconds }),
  );

  // 4. Payments through the API.
  let key = 0;
  const pay = async (payer: number, p: string, body: object, want: number, status?: string) => {
    const res = await clients.call('POST', p, {
      token: payers[payer]!.token,
      key: `bench-${pass}-${Date.now()}-${key++}`,
      body,
    });
    if (res.status !== want || (status && res.body?.status !== status))
      throw new Error(`${p}: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
    return res.body;
  };
  const transfer = (c: number) =>
    pay(2 * c, '/v1/payments/transfers', { amount: '1.00', toUserCode: payers[2 * c + 1]!.userCode }, 201, 'COMPLETED');
  const transfer1 = await timed('transfers answered COMPLETED, 1 client', () =>
    closedLoop({ clients: 1, iterations }, transfer),
  );
  // What each process used per workflow in each load's windows; the worker is the one serving
  // that load's workflows (the trivial worker for the ceiling).
  let workflowCpu: Array<CpuMeter<'server' | 'worker' | 'temporal' | 'database'>> | undefined;
  const [local16, transfer16] = await timed(
    'transfers answered COMPLETED, 16 clients, taking turns with the trivial workflow (1 local activity)',
    () =>
      againstTrivialWorkflows(stack.temporalAddress, dir, { seconds }, transfer, (k, window, trivialWorkerPid) => {
        const meter = (worker: number | undefined) =>
          new CpuMeter({ server: apiPid, worker, temporal: stack.pid('temporal'), database });
        workflowCpu ??= [meter(trivialWorkerPid), meter(stack.pid('worker-1'))];
        return workflowCpu[k]!.measure(window);
      }),
  );
  if (!workflowCpu) throw new Error('the 16-client transfers and their ceiling measured no window');
  cpu.push(cpuRow('trivial wf, 1 local activity (16)', workflowCpu[0]!));
  cpu.push(cpuRow('transfers answered COMPLETED (16)', workflowCpu[1]!));
  // As many as the transfers: with fewer than 100 samples a p99 is only the slowest one.
  const oneClient = { clients: 1, iterations };
  // Each customer then pays on PhonePe's page, as most do, beside the next request (not timed).
  // Left abandoned, 200 orders would each poll PhonePe every 3 s from their 22nd second
  // (PhonePe's schedule, domain/polling.ts) and load the measurements after them.
  const payments = new Beside();
  // The top-up's ceiling, right before them.
  const topupShape = await timed(
    "ceiling: a trivial workflow on a top-up's path, answered at its update, 1 client",
    () => topUpShapeCeiling(stack.temporalAddress, dir, { iterations }),
  );
  const topup = await timed('top-ups answered with the PhonePe page, 1 client', async () => {
    const figure = await closedLoop(oneClient, async () => {
      const order = String((await pay(33, '/v1/payments/topups', { amount: '10.00' }, 201)).redirectUrl)
        .split('/')
        .pop();
      payments.add(
        fetch(`${stack.simulatorUrl}/phonepe/checkout/${order}/pay`, { method: 'POST', redirect: 'manual' }).then(
          (res) => {
            // The checkout page answers a payment with its redirect back to the merchant.
            if (res.status !== 303) throw new Error(`order ${order}: HTTP ${res.status}`);
          },
        ),
      );
    });
    const failed = await payments.firstError();
    if (failed) throw new Error(`paying a top-up's PhonePe page: ${failed.message}`);
    return figure;
  });
  // Each recharge to its own number: `series` keeps the two loops' numbers apart.
  const rechargeNo = (series: '97' | '98') => (i: number) =>
    pay(
      33,
      '/v1/payments/recharges',
      {
        operator: operator.code,
        circle: operator.circle,
        mobile: `${series}${String(10_000_000 + i).slice(-8)}`,
        amount: '10.00',
      },
      202,
    );
  // What each process used per payment, from its start to its settling (warm-ups included): the
  // answers at 202 share the two cores with the settling of the payment before them.
  const paymentMeter = (worker: number | undefined) =>
    new CpuMeter({ server: apiPid, worker, temporal: stack.pid('temporal'), database });
  let heldShapeCpu: ReturnType<typeof paymentMeter> | undefined;
  // The answers at 202's ceiling, right before them.
  const heldShape = await timed(
    "ceiling: a trivial workflow on a held payment's path, answered at its update, 1 client",
    () =>
      heldPaymentShapeCeiling(stack.temporalAddress, dir, { iterations }, (window, trivialWorkerPid) =>
        (heldShapeCpu = paymentMeter(trivialWorkerPid)).measure(window),
      ),
  );
  const rechargeCpu = paymentMeter(stack.pid('worker-1'));
  let recharge!: Figure;
  await rechargeCpu.measure(async () => {
    const started: string[] = [];
    recharge = await timed('recharges answered 202, 1 client', () =>
      closedLoop(oneClient, async (_c, i) => {
        started.push(String((await rechargeNo('98')(i)).paymentId));
      }),
    );
    for (const id of started) await settledPayment(b.knex, id, 30_000);
    return started.length;
  });
  // The same, each sent only once the one before has settled (the wait is not timed): the
  // answer's own latency, without the previous payment's settlement beside it.
  const rechargeAloneCpu = paymentMeter(stack.pid('worker-1'));
  let rechargeAlone!: Figure;
  await rechargeAloneCpu.measure(async () => {
    let answered = 0;
    rechargeAlone = await timed('recharges answered 202, each after the last settled, 1 client', () =>
      timedThenWait({ iterations }, rechargeNo('97'), (answer) => {
        answered++;
        return settledPayment(b.knex, String(answer.paymentId), 30_000);
      }),
    );
    return answered;
  });
  if (!heldShapeCpu) throw new Error("the held payment's path measured no window");
  cpu.push({
    ...cpuRow("trivial wf on a held payment's path (1), to settled", heldShapeCpu),
    answerMeanMs: 1000 / heldShape.rate,
  });
  cpu.push({ ...cpuRow('recharge (1), back to back, to settled', rechargeCpu), answerMeanMs: 1000 / recharge.rate });
  cpu.push(cpuRow('recharge (1), after the last settled', rechargeAloneCpu));
  const bill = await timed('bill payments answered 202 (bill fetched first, not timed), 1 client', async () => {
    const refs: string[] = [];
    for (let i = 0; i < oneClient.iterations + 2; i++) {
      const f = await clients.call('POST', '/v1/bills/fetch', {
        token: payers[33]!.token,
        body: { billerId: biller.billerId, customerParams: { [biller.param]: `${String(100_000_000 + i)}1` } },
      });
      refs.push(f.body.fetchRef);
    }
    return closedLoop(oneClient, (_c, i) =>
      pay(33, '/v1/payments/bills', { billerId: biller.billerId, fetchRef: refs[i]!, amount: '10.00' }, 202),
    );
  });
  const payout = await timed('payouts answered 202, 1 client', () =>
    closedLoop(oneClient, () =>
      pay(33, '/v1/payments/payouts', { amount: '10.00', beneficiaryId: payers[33]!.beneficiaries.success }, 202),
    ),
  );

  const apiMb = residentMb(stack.pid('api-1'));
  const workerMb = residentMb(stack.pid('worker-1'));
  const rows: Row[] = [
    { what: 'bare Koa + mysql2 point select (32 conn.)', figure: select, ceiling: true },
    { what: 'GET /healthz (no DB)', figure: healthz, vs: select },
    { what: 'GET /v1/me', figure: me, vs: select, target: { rateRatio: 0.5, p99: 15 } },
    { what: 'GET /v1/wallet', figure: wallet, vs: select, target: { rateRatio: 0.5, p99: 15 } },
    { what: `GET /v1/wallet/ledger?limit=${LEDGER_PAGE}`, figure: ledgerPage, vs: select, target: { p99: 25 } },
    { what: 'bare posting txn, distinct accounts (16)', figure: bareDistinct, ceiling: true },
    {
      what: 'ledger postings, distinct accounts (16)',
      figure: ledgerDistinct,
      vs: bareDistinct,
      target: { rateRatio: 0.5 },
    },
    { what: 'bare posting txn, one hot account (16)', figure: bareHot, ceiling: true },
    { what: 'ledger postings, one hot account (16)', figure: ledgerHot, vs: bareHot, target: { rateRatio: 0.5 } },
    { what: 'its statements by bare mysql2, distinct (16)', figure: schemaDistinct, vs: bareDistinct, ceiling: true },
    { what: 'ledger postings, distinct, vs its statements', figure: ledgerDistinct, vs: schemaDistinct },
    { what: 'its statements by bare mysql2, one hot (16)', figure: schemaHot, vs: bareHot, ceiling: true },
    { what: 'ledger postings, one hot, vs its statements', figure: ledgerHot, vs: schemaHot },
    { what: 'empty workflow started and awaited (1)', figure: trivial.empty1, ceiling: true },
    { what: 'trivial wf, 1 local activity (1)', figure: trivial.oneLocal1, ceiling: true },
    { what: 'trivial wf, 3 regular activities (1)', figure: trivial.regular1, ceiling: true },
    { what: 'transfer answered COMPLETED (1)', figure: transfer1, vs: trivial.empty1, target: { p50: 80, p99: 150 } },
    { what: 'trivial wf, 1 local activity (16)', figure: local16, ceiling: true },
    { what: 'trivial wf, 3 regular activities (16)', figure: trivial.regular16, ceiling: true },
    {
      what: 'transfers answered COMPLETED (16)',
      figure: transfer16,
      vs: local16,
      target: { rateRatio: 0.7 },
    },
    { what: "trivial wf on a top-up's path, answered (1)", figure: topupShape, ceiling: true },
    { what: 'top-up with PhonePe page (1)', figure: topup, vs: topupShape, target: { p99: 150 } },
    { what: "trivial wf on a held payment's path, answered (1)", figure: heldShape, ceiling: true },
    { what: 'recharge answered 202 (1)', figure: recharge, vs: heldShape, target: { p99: 150 } },
    { what: 'recharge answered 202, after the last settled (1)', figure: rechargeAlone },
    { what: 'bill payment answered 202 (1)', figure: bill, vs: heldShape, target: { p99: 150 } },
    { what: 'payout answered 202 (1)', figure: payout, vs: heldShape, target: { p99: 150 } },
  ];
  return { rows, memory: { apiMb, workerMb, limitMb: 300 }, cpu };
}

/**
 * Flat cost: the same posting and read for a fresh user and for one with 100,000 entries this
 * month (written in bulk first).
 */
async function flatCost(b: Bench): Promise<Row[]> {
  const { knex, clients, seconds, iterations, stack } = b;
  const { payers } = clients.seeded;
  const api = stack.apiUrls[0]!;
  const postTransfer = transferPoster(b, 'flat');
  await timed(`writing ${HEAVY_ENTRIES.toLocaleString('en')} entries this month for one user`, () =>
    seedHeavyHistory(knex, { userId: payers[HEAVY]!.id, sinkId: payers[32]!.id, count: HEAVY_ENTRIES }),
  );
  const postFrom = (payer: number) => (i: number) => postTransfer(payer, 32, `from-${payer}`, i);
  const [postingFresh, postingHeavy] = await timed(
    `postings by a fresh user and by the user with ${HEAVY_ENTRIES} entries, taking turns, 1 client`,
    () => alternating({ iterations }, postFrom(FRESH), postFrom(HEAVY)),
  );
  const walletOf = (payer: number) => ({
    url: `${api}/v1/wallet`,
    headers: { authorization: `Bearer ${payers[payer]!.token}` },
  });
  const [walletFresh, walletHeavy] = await timed(
    `GET /v1/wallet as a fresh user and as the user with ${HEAVY_ENTRIES} entries, taking turns, 32 connections`,
    () => httpLoadsTakingTurns({ connections: 32, seconds, rounds: 4 }, [walletOf(FRESH), walletOf(HEAVY)]),
  );

  return [
    { what: 'posting by a fresh user (1)', figure: postingFresh, ceiling: true },
    {
      what: `posting by a user with ${HEAVY_ENTRIES.toLocaleString('en')} entries this month (1)`,
      figure: postingHeavy,
      vs: postingFresh,
      target: { latencyWithin: 0.2 },
    },
    { what: 'GET /v1/wallet, fresh user', figure: walletFresh, ceiling: true },
    {
      what: `GET /v1/wallet, user with ${HEAVY_ENTRIES.toLocaleString('en')} entries`,
      figure: walletHeavy,
      vs: walletFresh,
      target: { latencyWithin: 0.2 },
    },
  ];
}

/** Drives `n` payments of the chaos run's mix (every kind and provider outcome), 12 at a time. */
async function drive(clients: Clients, n: number): Promise<void> {
  const planned = plan(n);
  let next = 0;
  let unanswered = 0;
  await Promise.all(
    Array.from({ length: 12 }, async () => {
      while (next < planned.length) {
        const i = next++;
        const answered = await clients.pay(planned[i]!);
        if (answered.unanswered || (answered.status ?? 500) >= 500) unanswered++;
        if ((i + 1) % 1000 === 0) step(`${(i + 1).toLocaleString('en')} payments sent`);
      }
    }),
  );
  if (unanswered > 0) step(`${unanswered} payments were not answered (see the API log)`);
}

const jsonRows = (rows: Row[]) =>
  rows.map((r) => ({
    what: r.what,
    ...r.figure,
    ...(r.vs ? { ratio: r.figure.rate / r.vs.rate, vsP50: r.vs.p50 } : {}),
    target: r.target,
  }));

async function main(): Promise<void> {
  const o = options(process.argv.slice(2));
  const seconds = o.quick ? 4 : 10;
  const iterations = o.quick ? 40 : 200;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nexaspay-bench-'));
  const stack: BenchStack = o.api
    ? await timed(`connecting to the stack at ${o.api}`, () => connectToRunningStack(o.api!))
    : await timed('starting MariaDB, Temporal, the simulators, the API and the worker', async () =>
        startFullStack({
          dir,
          temporalCli: await ensureTemporalCli(),
          apis: 1,
          workers: 1,
          env: { LOG_LEVEL: 'info' },
          nodeArgs: o.profile ? ['--cpu-prof', `--cpu-prof-dir=${o.profile}`] : [],
        }),
      );
  const knex = createKnex({ url: stack.databaseUrl, poolMax: 20 });
  const stopAll = async () => {
    await knex.destroy().catch(() => undefined);
    await stack.stop();
    if (!o.keep) rmSync(dir, { recursive: true, force: true });
  };
  process.on('SIGINT', () => void stopAll().then(() => process.exit(130)));

  try {
    const clients = new Clients(stack.apiUrls, stack.simulatorUrl, 1);
    await timed(`seeding ${PAYERS} payers`, async () => {
      await migrateLatest(knex);
      // Its own usernames: a stack given by --api may have met an earlier bench.
      await clients.seed(knex, PAYERS, `bench${Date.now().toString(36)}`);
      await clients.prepare();
    });
    const b: Bench = { stack, knex, clients, dir, seconds, iterations };
    // The reads are payer 0's, whose only statement line is its opening balance: without more, the
    // fresh pass would time a one-line ledger page and every later pass (after the postings below
    // add payer 0's lines) a full one, a drift of the bench's own making.
    await timed(`writing payer 0 a full ledger page (${LEDGER_PAGE + 1} lines)`, async () => {
      const postTransfer = transferPoster(b, 'page');
      for (let i = 0; i < LEDGER_PAGE + 1; i++) await postTransfer(0, 1, 'page', i);
    });
    const fresh = await measure(b, 'fresh');
    fresh.rows.push(...(await flatCost(b)));
    // A payment between its capture and its COMPLETED record is not a violation, only in flight.
    await timed('waiting for the payments in flight to settle', () => settled(knex, clients, 120_000));
    let control: Pass | undefined;
    if (o.control) {
      control = await measure(b, 'control');
      await timed('waiting for the payments in flight to settle', () => settled(knex, clients, 120_000));
    }
    let after: Pass | undefined;
    if (o.after) {
      await timed(`driving ${o.after.toLocaleString('en')} mixed payments of all kinds, 12 at a time`, () =>
        drive(clients, o.after!),
      );
      await timed('waiting for them to settle', () => settled(knex, clients, 300_000));
      after = await measure(b, 'after');
      await timed('waiting for the payments in flight to settle', () => settled(knex, clients, 120_000));
    }
    const history = o.history ?? (o.quick ? 100_000 : 1_000_000);
    const reports =
      history > 0
        ? await reportsAtScale({
            knex,
            api: stack.apiUrls[0]!,
            databaseUrl: stack.databaseUrl,
            payments: history,
            iterations: o.quick ? 20 : 50,
          })
        : [];
    const invariants = await timed('ledger invariants', () => checkInvariants(knex));
    for (const c of invariants.checks.filter((x) => !x.ok))
      console.error(`nexaspay bench: invariant ${c.id} fails: ${JSON.stringify(c.offending.slice(0, 3))}`);

    const missed = printTable(fresh.rows, { memory: fresh.memory, invariantsOk: invariants.ok });
    printCpu(fresh.cpu, os.availableParallelism());
    if (after) {
      console.log(`\nafter ${o.after!.toLocaleString('en')} payments (and the workflows they left open):`);
      missed.push(
        ...printTable(after.rows, { memory: after.memory, invariantsOk: invariants.ok }).map((m) => `${m} (after)`),
      );
      printCpu(after.cpu, os.availableParallelism());
      missed.push(...printDrift(fresh.rows, after.rows, 0.2, { control: control?.rows }));
    } else if (control) {
      // Not a target: with nothing driven between, what moves is the machine, not the engine.
      console.log('\ncontrol: every figure measured again, nothing driven between (not a target):');
      printDrift(fresh.rows, control.rows, 0.2, { laterPass: 'again' });
    }
    if (reports.length > 0) {
      console.log(`\nreports, with ${history.toLocaleString('en')} payments of history:`);
      missed.push(...printTable(reports));
    }
    // Each table says what it missed; this line is the whole run's verdict.
    console.log(missed.length ? `\n${missed.length} targets missed in all` : '\nevery target of the run met');
    if (o.json) {
      writeFileSync(
        o.json,
        JSON.stringify(
          {
            machine: {
              cpus: os.cpus().length,
              cpu: os.cpus()[0]?.model,
              memoryGb: Math.round(os.totalmem() / 2 ** 30),
            },
            at: new Date().toISOString(),
            quick: o.quick,
            rows: jsonRows(fresh.rows),
            memory: fresh.memory,
            cpuPerRequestUs: fresh.cpu,
            ...(control
              ? { control: { rows: jsonRows(control.rows), memory: control.memory, cpuPerRequestUs: control.cpu } }
              : {}),
            ...(after
              ? {
                  after: {
                    payments: o.after,
                    rows: jsonRows(after.rows),
                    memory: after.memory,
                    cpuPerRequestUs: after.cpu,
                  },
                }
              : {}),
            ...(reports.length > 0 ? { reports: { payments: history, rows: jsonRows(reports) } } : {}),
            invariantsOk: invariants.ok,
            missed,
          },
          null,
          2,
        ),
      );
      step(`results written to ${o.json}`);
    }
    if (!invariants.ok) process.exitCode = 1;
    await clients.close();
  } finally {
    await stopAll();
  }
}

main().catch(exitOnMissingPrerequisite);
