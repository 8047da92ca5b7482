/**
 * A realistic payment history for reports and benchmarks (`npm run seed:history`): a
 * distributor hierarchy with retailers at the bottom, and N payments spread over the last D days
 * (top-ups, transfers, recharges, bills, payouts; settled, failed, reversed, a few left open or
 * needing attention), every money movement made by the ledger's own code: holds, captures,
 * releases, credits, transfers, commissions, reversal refunds and claw-backs.
 *
 * The ledger here is built with a clock (db/ledger/index.ts) that dates each posting when its
 * simulated payment happened. Each lane owns its retailers and walks each one's payments in time
 * order, so a user's limit counters only ever move forward, as they do live. The payment records
 * are written in their final state with their timeline; the report triggers see them like any
 * other write. Workflows are not involved: this is history, not traffic.
 */
import type { Knex } from 'knex';
import { clawBackCommissions, payCommissions } from '../commissions';
import { createLedger, Ledger } from '../ledger';
import { hashPassword } from '../passwords';
import { toDecimal } from '../money';
import { sqlErrno } from '../sql';
import { istDate } from '../../domain/calendar';
import { Paise, paise, ZERO } from '../../domain/money';
import { PaymentKind, PaymentStatus, workflowIdFor } from '../../domain/payments';
import { heldPaymentCapture, reversalRefund, topUpCredit, transferPosting } from '../../domain/recipes';
import { holdReferenceOf } from '../../domain/references';
import { userCodeFor } from '../../domain/users';

export interface HistoryOptions {
  payments: number;
  days?: number;
  /** Default: one per thousand payments, at least 20. */
  retailers?: number;
  /** Parallel lanes (database connections). */
  lanes?: number;
  /** The same seed gives the same history shape (amounts, kinds, outcomes, times). */
  seed?: number;
  /** Usernames start with it, so several histories can share a database. */
  prefix?: string;
  /** The end of the history (default: now). */
  end?: Date;
  onProgress?: (done: number) => void;
}

export interface HistoryResult {
  payments: number;
  users: number;
  byKind: Record<string, number>;
  byStatus: Record<string, number>;
  distributors: number[];
  /** The top of each chain and the retailers' direct parents. */
  supers: number[];
  locals: number[];
  retailers: number[];
}

type HistoryKind = Exclude<PaymentKind, 'refund'>;

/** Mulberry32: small, fast, and the same sequence for the same seed. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
    pick<T>(weighted: ReadonlyArray<readonly [T, number]>): T {
      const total = weighted.reduce((s, [, w]) => s + w, 0);
      let r = next() * total;
      for (const [v, w] of weighted) if ((r -= w) < 0) return v;
      return weighted[weighted.length - 1]![0];
    },
    /** Log-normal around `median` ms: settle times have long tails. */
    lognormal(median: number, spread = 0.9): number {
      const u = Math.max(next(), 1e-9);
      const v = next();
      const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
      return Math.max(20, Math.round(median * Math.exp(spread * z)));
    },
  };
}
type Rng = ReturnType<typeof prng>;

const KIND_MIX: ReadonlyArray<readonly [HistoryKind, number]> = [
  ['recharge', 45],
  ['bill', 20],
  ['topup', 13],
  ['transfer', 12],
  ['payout', 10],
];

/** Rupees, as paise, by kind: small recharges, larger bills and payouts. */
function amountOf(kind: HistoryKind, r: Rng): Paise {
  const rupees: Record<HistoryKind, () => number> = {
    recharge: () =>
      r.pick([
        [r.int(10, 99), 3],
        [r.int(149, 399), 5],
        [r.int(449, 999), 2],
      ] as const),
    bill: () => r.int(150, 6_000),
    payout: () => r.int(500, 25_000),
    transfer: () => r.int(100, 5_000),
    topup: () => r.int(5, 50) * 1_000,
  };
  return paise(rupees[kind]() * 100 + (kind === 'bill' ? r.int(0, 99) : 0));
}

/** Median time to a final answer (ms): the provider's, or the customer's on PhonePe's page. */
const SETTLE_MEDIAN_MS: Record<HistoryKind, number> = {
  transfer: 60,
  recharge: 2_500,
  bill: 7_000,
  payout: 25_000,
  topup: 40_000,
};

type Outcome = 'COMPLETED' | 'FAILED' | 'REVERSED' | 'NEEDS_ATTENTION' | 'PROCESSING';

function outcomeOf(kind: HistoryKind, r: Rng, recent: boolean): Outcome {
  if (kind === 'transfer') return 'COMPLETED';
  if (kind === 'topup')
    return r.pick([
      ['COMPLETED', 82],
      ['FAILED', 18],
    ] as const);
  if (recent && r.next() < 0.02) return 'PROCESSING';
  return r.pick([
    ['COMPLETED', 93],
    ['FAILED', 5.4],
    ['REVERSED', 1.5],
    ['NEEDS_ATTENTION', 0.1],
  ] as const);
}

interface Member {
  id: number;
  code: string;
  parentId: number | null;
}

const LIMITS = { daily: '500000.00', monthly: '10000000.00' };

async function insertUsers(
  knex: Knex,
  prefix: string,
  role: 'distributor' | 'retailer',
  rows: Array<{ parentId: number | null; rate: string; name: string }>,
  passwordHash: string,
  offset: number,
): Promise<Member[]> {
  const out: Member[] = [];
  for (let i = 0; i < rows.length; i += 500) {
    const chunk = rows.slice(i, i + 500).map((r, j) => {
      const n = offset + i + j;
      return {
        email: `${prefix}${n}@history.example`,
        username: `${prefix}${n}`,
        phone: `5${String((Math.abs(hash(prefix)) * 100_000 + n) % 1e9).padStart(9, '0')}`,
        password: passwordHash,
        full_name: r.name,
        role,
        kyc_status: 'verified',
        is_active: true,
        commission_rate: r.rate,
        parent_distributor_id: r.parentId,
        daily_limit: LIMITS.daily,
        monthly_limit: LIMITS.monthly,
      };
    });
    await knex('users').insert(chunk);
    const made = await knex('users')
      .whereIn(
        'username',
        chunk.map((c) => c.username),
      )
      .orderBy('id')
      .select('id', 'username', 'parent_distributor_id');
    for (const m of made) {
      await knex('users')
        .where({ id: m.id })
        .update({ user_code: userCodeFor(m.id) });
      out.push({ id: m.id, code: userCodeFor(m.id), parentId: m.parent_distributor_id });
    }
  }
  return out;
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h | 0;
}

/** Supers (0.50%) → areas (1.00%) → locals (1.50%) → retailers: three commission levels. */
async function buildHierarchy(knex: Knex, prefix: string, retailers: number, r: Rng) {
  const passwordHash = await hashPassword(`${prefix}-${r.next()}-cannot-sign-in`);
  const locals = Math.max(1, Math.ceil(retailers / 20));
  const areas = Math.max(1, Math.ceil(locals / 5));
  const supers = Math.max(1, Math.ceil(areas / 5));
  const superRows = await insertUsers(
    knex,
    prefix,
    'distributor',
    Array.from({ length: supers }, (_, i) => ({ parentId: null, rate: '0.0050', name: `Super Distributor ${i + 1}` })),
    passwordHash,
    0,
  );
  const areaRows = await insertUsers(
    knex,
    prefix,
    'distributor',
    Array.from({ length: areas }, (_, i) => ({
      parentId: superRows[i % supers]!.id,
      rate: '0.0100',
      name: `Area Distributor ${i + 1}`,
    })),
    passwordHash,
    supers,
  );
  const localRows = await insertUsers(
    knex,
    prefix,
    'distributor',
    Array.from({ length: locals }, (_, i) => ({
      parentId: areaRows[i % areas]!.id,
      rate: '0.0150',
      name: `Distributor ${i + 1}`,
    })),
    passwordHash,
    supers + areas,
  );
  const retailerRows = await insertUsers(
    knex,
    prefix,
    'retailer',
    Array.from({ length: retailers }, (_, i) => ({
      parentId: localRows[i % locals]!.id,
      rate: '0.0000',
      name: `Retailer ${i + 1}`,
    })),
    passwordHash,
    supers + areas + locals,
  );
  return {
    distributors: [...superRows, ...areaRows, ...localRows],
    supers: superRows,
    locals: localRows,
    retailers: retailerRows,
  };
}

interface Lane {
  ledger: Ledger;
  at: Date;
}

function laneOf(knex: Knex): Lane {
  const lane: Lane = { ledger: undefined as unknown as Ledger, at: new Date() };
  lane.ledger = createLedger(knex, { clock: () => lane.at });
  return lane;
}

const after = (d: Date, ms: number) => new Date(d.getTime() + ms);

/**
 * A step again after a deadlock, as an activity would be retried: every step here is idempotent
 * (ledger references, commission decisions) or one transaction that rolled back whole.
 */
async function retrying<T>(step: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (err) {
      if (sqlErrno(err) !== 1213 || attempt >= 10) throw err;
    }
  }
}

/** The payment's record in its final state, with its timeline, in one transaction. */
async function record(
  knex: Knex,
  p: {
    id: string;
    kind: PaymentKind;
    userId: number;
    amount: Paise;
    status: PaymentStatus;
    createdAt: Date;
    timeline: Array<[PaymentStatus, Date, string?]>;
    settledAt: Date | null;
    transactionId?: number | null;
    gatewayPaymentId?: number | null;
    failureReason?: string;
    providerRef?: string;
    details?: Record<string, unknown>;
  },
): Promise<void> {
  const last = p.timeline[p.timeline.length - 1]![1];
  await retrying(() =>
    knex.transaction(async (trx) => {
      await trx('payment_records').insert({
        id: p.id,
        kind: p.kind,
        user_id: p.userId,
        amount: toDecimal(p.amount),
        status: p.status,
        workflow_id: workflowIdFor(p.kind, p.id),
        provider_ref: p.providerRef ?? null,
        failure_reason: p.failureReason ?? null,
        transaction_id: p.transactionId ?? null,
        gateway_payment_id: p.gatewayPaymentId ?? null,
        details: JSON.stringify({ ...(p.details ?? {}), history: true }),
        created_at: p.createdAt,
        updated_at: last,
        settled_at: p.settledAt,
      });
      // The CREATED entry, at the record's creation, is the record's insert's own (migration 025).
      const [first, ...rest] = p.timeline;
      if (first?.[0] !== 'CREATED' || first[1].getTime() !== p.createdAt.getTime())
        throw new Error(`payment ${p.id}: a timeline starts with CREATED at the record's creation`);
      if (rest.length > 0)
        await trx('payment_events').insert(
          rest.map(([status, at, note]) => ({ payment_id: p.id, status, note: note ?? null, created_at: at })),
        );
    }),
  );
}

class HistoryWriter {
  private n = 0;
  constructor(
    private readonly knex: Knex,
    private readonly prefix: string,
    private readonly end: Date,
  ) {}

  nextId(): string {
    return `pay_${this.prefix}${(++this.n).toString(36).padStart(6, '0')}`;
  }

  async topUp(lane: Lane, user: Member, amount: Paise, at: Date, outcome: 'COMPLETED' | 'FAILED', settleMs: number) {
    const id = this.nextId();
    const settled = after(at, settleMs);
    const [transactionId] = (await retrying(() =>
      this.knex('transactions').insert({
        user_id: user.id,
        transaction_type: 'deposit',
        amount: toDecimal(amount),
        reference_number: id,
        payment_method: 'phonepe',
        status: 'pending',
        ledger_type: 'TopIn',
        ledger_date: istDate(at),
        user_code: user.code,
        remarks: 'Top-up via PhonePe',
        created_at: at,
      }),
    )) as [number];
    const [gatewayPaymentId] = (await retrying(() =>
      this.knex('payments').insert({
        user_id: user.id,
        transaction_id: transactionId,
        phonepe_merchant_transaction_id: id,
        amount: toDecimal(amount),
        status: outcome === 'COMPLETED' ? 'success' : 'failed',
        payment_method: 'upi',
        created_at: at,
        completed_at: settled,
      }),
    )) as [number];
    if (outcome === 'COMPLETED') {
      lane.at = settled;
      await lane.ledger.post(topUpCredit({ paymentId: id, userId: user.id, amount, statementRowId: transactionId }));
    } else {
      await this.knex('transactions')
        .where({ id: transactionId })
        .update({ status: 'failed', failure_reason: 'expired unpaid', processed_at: settled });
    }
    await record(this.knex, {
      id,
      kind: 'topup',
      userId: user.id,
      amount,
      status: outcome,
      createdAt: at,
      settledAt: settled,
      transactionId,
      gatewayPaymentId,
      failureReason: outcome === 'FAILED' ? 'the checkout page expired unpaid' : undefined,
      timeline: [
        ['CREATED', at],
        ['AWAITING_PAYMENT', after(at, 300)],
        [outcome, settled],
      ],
    });
  }

  async transfer(lane: Lane, from: Member, to: Member, amount: Paise, at: Date, settleMs: number) {
    const id = this.nextId();
    lane.at = at;
    const posted = await lane.ledger.post(
      transferPosting(
        { paymentId: id, senderId: from.id, senderCode: from.code, recipientId: to.id, recipientCode: to.code, amount },
        ZERO,
      ),
    );
    const settled = after(at, settleMs);
    await record(this.knex, {
      id,
      kind: 'transfer',
      userId: from.id,
      amount,
      status: 'COMPLETED',
      createdAt: at,
      settledAt: settled,
      transactionId: posted.lines.find((l) => 'user' in l.account && l.account.user === from.id)?.transactionId ?? null,
      details: { toUserCode: to.code },
      timeline: [
        ['CREATED', at],
        ['COMPLETED', settled],
      ],
    });
  }

  async held(
    lane: Lane,
    kind: 'recharge' | 'bill' | 'payout',
    user: Member,
    amount: Paise,
    at: Date,
    outcome: Outcome,
    settleMs: number,
    r: Rng,
  ) {
    const id = this.nextId();
    const details = detailsOf(kind, r);
    lane.at = at;
    await lane.ledger.reserve({
      reference: holdReferenceOf(kind, id),
      userId: user.id,
      amount,
      rules: { requireActive: true, requireKyc: true, countTowardLimits: true },
    });
    const sent = after(at, 150);
    const settled = after(at, settleMs);
    const timeline: Array<[PaymentStatus, Date, string?]> = [
      ['CREATED', at],
      ['PROCESSING', sent],
    ];
    const providerRef = `H${id.slice(4)}`;
    let transactionId: number | null = null;
    let settledAt: Date | null = settled;
    if (outcome === 'COMPLETED' || outcome === 'REVERSED') {
      lane.at = settled;
      const posted = await lane.ledger.capture(
        heldPaymentCapture({
          kind,
          paymentId: id,
          details,
          outcome: { outcome: 'succeeded', providerState: 'SUCCESS', providerRef },
        }),
      );
      const statementRow = posted.lines.find((l) => 'user' in l.account)!.transactionId!;
      transactionId = statementRow;
      timeline.push(['COMPLETED', settled]);
      const margin = kind === 'payout' ? undefined : MARGIN[kind];
      if (margin !== undefined) {
        await retrying(() =>
          payCommissions(this.knex, lane.ledger, {
            paymentId: id,
            userId: user.id,
            transactionId: statementRow,
            amount,
            marginRate: margin,
            description: `${kind} ${id}`,
            decidedAt: settled,
          }),
        );
      }
      if (outcome === 'REVERSED') {
        const reversedAt = new Date(
          Math.min(after(settled, r.int(600_000, 36 * 3_600_000)).getTime(), this.end.getTime()),
        );
        lane.at = reversedAt;
        await lane.ledger.refund(reversalRefund({ kind, paymentId: id, reason: 'reversed by the provider' }));
        if (margin !== undefined) await retrying(() => clawBackCommissions(this.knex, lane.ledger, id));
        timeline.push(['REVERSED', reversedAt, 'reversed by the provider']);
      }
    } else if (outcome === 'FAILED') {
      lane.at = settled;
      await lane.ledger.release(holdReferenceOf(kind, id), 'the provider refused the order');
      timeline.push(['FAILED', settled, 'the provider refused the order']);
    } else {
      settledAt = null;
      if (outcome === 'NEEDS_ATTENTION') timeline.push(['NEEDS_ATTENTION', settled, 'no answer from the provider']);
    }
    await record(this.knex, {
      id,
      kind,
      userId: user.id,
      amount,
      status: timeline[timeline.length - 1]![0],
      createdAt: at,
      settledAt,
      transactionId,
      providerRef: outcome === 'PROCESSING' ? undefined : providerRef,
      failureReason: outcome === 'FAILED' ? 'the provider refused the order' : undefined,
      details,
      timeline,
    });
  }
}

/** The margins the live catalogues quote (1/10,000 of the amount), which cap commissions. */
const MARGIN = { recharge: 300, bill: 150 } as const;

function detailsOf(kind: 'recharge' | 'bill' | 'payout', r: Rng): Record<string, unknown> {
  if (kind === 'recharge')
    return {
      operator: r.pick([
        ['JIO', 4],
        ['AIRTEL', 3],
        ['VI', 2],
        ['BSNL', 1],
      ] as const),
      circle: 'MH',
      mobile: `9${String(r.int(0, 999_999_999)).padStart(9, '0')}`,
    };
  if (kind === 'bill')
    return {
      billerId: r.pick([
        ['MSEDCL', 3],
        ['BESCOM', 2],
        ['MAHANAGAR_GAS', 1],
      ] as const),
      billerName: 'Electricity board',
      fetchRef: null,
      billNumber: `B${r.int(100000, 999999)}`,
      customerName: 'Customer',
    };
  return {
    beneficiaryId: 0,
    beneficiaryName: 'Supplier',
    accountMasked: `XXXXXX${r.int(1000, 9999)}`,
    ifsc: 'HDFC0001234',
    bankName: 'HDFC Bank',
    mode: r.pick([
      ['IMPS', 3],
      ['NEFT', 1],
    ] as const),
  };
}

/**
 * For the length of a bulk import: commits reach the log at once but are flushed to disk about
 * once a second (innodb_flush_log_at_trx_commit = 2), as bulk loads are run; a crash mid-import
 * loses its last second, and an import is simply run again. Returns the undo; a server that
 * refuses (no privilege) keeps its setting, and the import is only slower.
 */
export async function relaxedDurability(knex: Knex): Promise<() => Promise<void>> {
  const [[row]] = await knex.raw('SELECT @@GLOBAL.innodb_flush_log_at_trx_commit AS v');
  const before = Number(row.v);
  if (before === 2 || before === 0) return async () => undefined;
  try {
    await knex.raw('SET GLOBAL innodb_flush_log_at_trx_commit = 2');
  } catch {
    return async () => undefined;
  }
  return async () => {
    await knex.raw('SET GLOBAL innodb_flush_log_at_trx_commit = ?', [before]);
  };
}

/** Writes the history; returns what it made. */
export async function seedHistory(knex: Knex, o: HistoryOptions): Promise<HistoryResult> {
  const r = prng(o.seed ?? 1);
  const days = o.days ?? 90;
  const end = o.end ?? new Date();
  const start = end.getTime() - days * 86_400_000;
  const retailerCount = o.retailers ?? Math.max(20, Math.round(o.payments / 1000));
  const prefix = o.prefix ?? `h${Date.now().toString(36)}`;
  const { distributors, supers, locals, retailers } = await buildHierarchy(knex, prefix, retailerCount, r);
  const writer = new HistoryWriter(knex, prefix, end);
  const byKind: Record<string, number> = {};
  const byStatus: Record<string, number> = {};
  let done = 0;
  const count = (kind: string, status: string) => {
    byKind[kind] = (byKind[kind] ?? 0) + 1;
    byStatus[status] = (byStatus[status] ?? 0) + 1;
    done++;
    if (done % 250 === 0) o.onProgress?.(done);
  };

  // Each retailer's share of the payments, as a plan of (time, kind, amount, outcome).
  const plans = retailers.map((u, i) => {
    const n = Math.floor(o.payments / retailers.length) + (i < o.payments % retailers.length ? 1 : 0);
    const rr = prng((o.seed ?? 1) * 1_000_003 + u.id);
    const times = Array.from({ length: n }, () => start + Math.floor(rr.next() * (end.getTime() - start - 120_000)));
    times.sort((a, b) => a - b);
    return { user: u, rng: rr, times };
  });

  const lanes = Math.max(1, o.lanes ?? 8);
  let nextPlan = 0;
  let failed = false;
  const results = await Promise.allSettled(
    Array.from({ length: lanes }, async () => {
      const lane = laneOf(knex);
      for (;;) {
        const plan = failed ? undefined : plans[nextPlan++];
        if (!plan) return;
        const { user, rng } = plan;
        let balance = 0;
        let clock = plan.times[0] ?? start;
        for (const t0 of plan.times) {
          const kind = rng.pick(KIND_MIX);
          const amount = amountOf(kind, rng);
          // A payment starts after the retailer's previous one settled: one counter timeline per user.
          const at = new Date(Math.max(t0, clock + 1_000));
          const recent = end.getTime() - at.getTime() < 3_600_000;
          const outcome = outcomeOf(kind, rng, recent);
          const settleMs = Math.min(
            rng.lognormal(SETTLE_MEDIAN_MS[kind] * (outcome === 'FAILED' ? 0.6 : 1)),
            Math.max(1_000, end.getTime() - at.getTime() - 1_000),
          );
          if (kind === 'topup') {
            await writer.topUp(lane, user, amount, at, outcome as 'COMPLETED' | 'FAILED', settleMs);
            if (outcome === 'COMPLETED') balance += amount;
          } else {
            if (balance < amount) {
              // Short of money: the retailer tops up first, as they would.
              const need = paise(Math.ceil((amount - balance) / 2_000_000) * 2_000_000 + 1_000_000);
              const fundedAt = new Date(at.getTime() - 120_000);
              await writer.topUp(lane, user, need, fundedAt, 'COMPLETED', 60_000);
              count('topup', 'COMPLETED');
              balance += need;
            }
            if (kind === 'transfer') {
              const to = retailers[rng.int(0, retailers.length - 1)]!;
              if (to.id === user.id) continue; // no one pays themselves
              await writer.transfer(lane, user, to, amount, at, settleMs);
              balance -= amount;
            } else {
              await writer.held(lane, kind, user, amount, at, outcome, settleMs, rng);
              if (outcome === 'COMPLETED' || outcome === 'PROCESSING' || outcome === 'NEEDS_ATTENTION')
                balance -= amount;
            }
          }
          clock = at.getTime() + settleMs;
          count(kind, outcome);
        }
      }
    }).map((lane) => lane.catch((err) => ((failed = true), Promise.reject(err)))),
  );
  const failure = results.find((x) => x.status === 'rejected');
  if (failure) throw (failure as PromiseRejectedResult).reason;
  o.onProgress?.(done);
  return {
    payments: done,
    users: distributors.length + retailers.length,
    byKind,
    byStatus,
    distributors: distributors.map((d) => d.id),
    supers: supers.map((d) => d.id),
    locals: locals.map((d) => d.id),
    retailers: retailers.map((u) => u.id),
  };
}
