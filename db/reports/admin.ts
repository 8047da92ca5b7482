/**
 * The admin's reports: the business over a window (payments by kind and status, success,
 * time to settle, refunds and reversals, commissions by level, fees, top users) and each
 * provider's health. Window figures come from the rollups; what is open is read live from the
 * payments' status index, which holds only the few payments not yet settled.
 */
import { add, Paise, subtract, ZERO } from '../../domain/money';
import { OPEN_STATUSES, PAYMENT_KINDS, PaymentKind, PaymentStatus } from '../../domain/payments';
import {
  DayRange,
  Granularity,
  periodOf,
  periodsOf,
  PROVIDER_OF_KIND,
  SettleFigures,
  settleFigures,
  SettleHistogram,
} from '../../domain/reports';
import { fromDecimal } from '../money';
import {
  commissionRowsSql,
  grouped,
  inSnapshot,
  paymentRowsSql,
  query,
  settleRowsSql,
  Snapshot,
  userTotalsSql,
} from './snapshot';
import type { Knex } from 'knex';

export interface Figures {
  payments: number;
  amount: Paise;
  fee: Paise;
}

const zero = (): Figures => ({ payments: 0, amount: ZERO, fee: ZERO });
function addTo(f: Figures, payments: number, amount: Paise, fee: Paise): void {
  f.payments += payments;
  f.amount = add(f.amount, amount);
  f.fee = add(f.fee, fee);
}

export interface KindSummary {
  kind: PaymentKind;
  provider: string;
  total: Figures;
  byStatus: Partial<Record<PaymentStatus, Figures>>;
  completed: number;
  failed: number;
  reversed: number;
  open: number;
  settle: SettleFigures;
}

export interface PeriodPoint {
  period: string;
  kind: PaymentKind;
  total: Figures;
  completed: Figures;
  failed: number;
}

export interface LevelCommission {
  level: number;
  paid: number;
  paidAmount: Paise;
  clawedBack: number;
  clawbackAmount: Paise;
  net: Paise;
}

export interface OpenGroup {
  kind: PaymentKind;
  status: PaymentStatus;
  payments: number;
  amount: Paise;
  oldestCreatedAt: Date;
}

export interface AttentionItem {
  id: string;
  kind: PaymentKind;
  userCode: string | null;
  amount: Paise;
  status: PaymentStatus;
  reason: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface TopUser {
  userId: number;
  userCode: string | null;
  name: string | null;
  role: string;
  payments: number;
  amount: Paise;
}

export interface AdminSummary {
  range: DayRange;
  granularity: Granularity;
  kinds: KindSummary[];
  series: PeriodPoint[];
  refunds: Figures;
  reversals: Figures;
  fees: Paise;
  commissions: LevelCommission[];
  openNow: OpenGroup[];
  needsAttention: AttentionItem[];
  topUsers: TopUser[];
}

interface PaymentRow {
  day: string;
  kind: PaymentKind;
  status: PaymentStatus;
  payments: string | number;
  amount: string;
  fee: string;
}

async function paymentRows(s: Snapshot, range: DayRange, g: Granularity): Promise<PaymentRow[]> {
  // Grouped by day here; periods are made in code (an IST week is not a MySQL WEEK()).
  const rows = await grouped(
    s,
    paymentRowsSql(range),
    ['day', 'kind', 'status'],
    `SELECT day, kind, status, SUM(payments) AS payments, SUM(amount) AS amount, SUM(fee) AS fee
       FROM ({rows}) x GROUP BY day, kind, status`,
  );
  return rows.map((r) => ({ ...(r as unknown as PaymentRow), day: periodOf(r.day!, g) }));
}

export async function settleHistograms(s: Snapshot, range: DayRange): Promise<Map<PaymentKind, SettleHistogram>> {
  const rows = await grouped(
    s,
    settleRowsSql(range),
    ['kind', 'bucket'],
    'SELECT kind, bucket, SUM(payments) AS payments, SUM(total_ms) AS total_ms FROM ({rows}) x GROUP BY kind, bucket',
  );
  const out = new Map<PaymentKind, SettleHistogram>();
  for (const r of rows as Array<{ kind: PaymentKind; bucket: string; payments: string; total_ms: string }>) {
    const h = out.get(r.kind) ?? { buckets: new Map(), payments: 0, totalMs: 0 };
    const n = Number(r.payments);
    if (n !== 0) h.buckets.set(Number(r.bucket), n);
    h.payments += n;
    h.totalMs += Number(r.total_ms);
    out.set(r.kind, h);
  }
  return out;
}

export async function commissionsByLevel(s: Snapshot, range: DayRange): Promise<LevelCommission[]> {
  const rows = await grouped(
    s,
    commissionRowsSql(range),
    ['level'],
    `SELECT level, SUM(paid_count) AS paid, SUM(paid_amount) AS paid_amount, SUM(clawback_count) AS clawed,
            SUM(clawback_amount) AS clawback_amount
       FROM ({rows}) x GROUP BY level`,
  );
  return rows.map((r) => levelCommission(r)).sort((a, b) => a.level - b.level);
}

export function levelCommission(r: Record<string, string | number>): LevelCommission {
  const paidAmount = fromDecimal(r.paid_amount as string);
  const clawbackAmount = fromDecimal(r.clawback_amount as string);
  return {
    level: Number(r.level),
    paid: Number(r.paid),
    paidAmount,
    clawedBack: Number(r.clawed),
    clawbackAmount,
    net: subtract(paidAmount, clawbackAmount),
  };
}

/** Two levels' (or two payers') commissions together. */
export function plusLevel(a: LevelCommission, b: LevelCommission): LevelCommission {
  return {
    level: a.level,
    paid: a.paid + b.paid,
    paidAmount: add(a.paidAmount, b.paidAmount),
    clawedBack: a.clawedBack + b.clawedBack,
    clawbackAmount: add(a.clawbackAmount, b.clawbackAmount),
    net: add(a.net, b.net),
  };
}

/** Payments not settled yet, by kind and status, read live from the payments' status index. */
export async function openGroups(s: Snapshot): Promise<OpenGroup[]> {
  const open = OPEN_STATUSES.map((st) => `'${st}'`).join(', ');
  const groups = await query<Record<string, any>>(
    s,
    `SELECT kind, status, COUNT(*) AS payments, SUM(amount) AS amount, MIN(created_at) AS oldest
       FROM payment_records WHERE status IN (${open}) GROUP BY kind, status ORDER BY kind, status`,
    [],
  );
  return groups.map((g) => ({
    kind: g.kind,
    status: g.status,
    payments: Number(g.payments),
    amount: fromDecimal(g.amount),
    oldestCreatedAt: g.oldest,
  }));
}

async function openNow(s: Snapshot): Promise<{ groups: OpenGroup[]; attention: AttentionItem[] }> {
  const groups = await openGroups(s);
  const attention = await query<Record<string, any>>(
    s,
    // Payments first (STRAIGHT_JOIN), in the status index's order: joined from the users'
    // side, the sort went through a temporary table, on disk for its long reason column
    // (db/triggers.ts says why those are avoided).
    `SELECT STRAIGHT_JOIN p.id, p.kind, p.amount, p.status, COALESCE(p.orphan_reason, p.failure_reason) AS reason,
            p.created_at, p.updated_at, u.user_code
       FROM payment_records p JOIN users u ON u.id = p.user_id
      WHERE p.status = 'NEEDS_ATTENTION' ORDER BY p.updated_at, p.id LIMIT 20`,
    [],
  );
  return {
    groups,
    attention: attention.map((a) => ({
      id: a.id,
      kind: a.kind,
      userCode: a.user_code,
      amount: fromDecimal(a.amount),
      status: a.status,
      reason: a.reason,
      createdAt: a.created_at,
      updatedAt: a.updated_at,
    })),
  };
}

async function topUsers(s: Snapshot, range: DayRange, limit: number): Promise<TopUser[]> {
  const byUser = await grouped(
    s,
    userTotalsSql(range),
    ['user_id'],
    'SELECT user_id, SUM(payments) AS payments, SUM(amount) AS amount FROM ({rows}) x GROUP BY user_id',
  );
  const top = byUser
    .map((r) => ({ userId: Number(r.user_id), payments: Number(r.payments), amount: fromDecimal(r.amount) }))
    .filter((u) => u.payments !== 0 || u.amount !== 0)
    .sort((a, b) => b.amount - a.amount || a.userId - b.userId)
    .slice(0, limit);
  if (top.length === 0) return [];
  const names = await query<{ id: number; user_code: string | null; full_name: string | null; role: string }>(
    s,
    `SELECT id, user_code, full_name, role FROM users WHERE id IN (${top.map(() => '?').join(', ')})`,
    top.map((u) => u.userId),
  );
  return top.map((u) => {
    const n = names.find((x) => x.id === u.userId);
    return { ...u, userCode: n?.user_code ?? null, name: n?.full_name ?? null, role: n?.role ?? '' };
  });
}

interface KindFigures {
  kinds: KindSummary[];
  series: PeriodPoint[];
  refunds: Figures;
  reversals: Figures;
  fees: Paise;
  histograms: Map<PaymentKind, SettleHistogram>;
}

const emptyHistogram = (): SettleHistogram => ({ buckets: new Map(), payments: 0, totalMs: 0 });

/** Payments of the window by kind, status and period, with their time to settle. */
async function kindFigures(s: Snapshot, range: DayRange, granularity: Granularity): Promise<KindFigures> {
  const rows = await paymentRows(s, range, granularity);
  const histograms = await settleHistograms(s, range);
  const kinds = new Map<PaymentKind, KindSummary>();
  for (const kind of PAYMENT_KINDS) {
    kinds.set(kind, {
      kind,
      provider: PROVIDER_OF_KIND[kind],
      total: zero(),
      byStatus: {},
      completed: 0,
      failed: 0,
      reversed: 0,
      open: 0,
      settle: settleFigures(histograms.get(kind) ?? emptyHistogram()),
    });
  }
  const series = new Map<string, PeriodPoint>();
  for (const period of periodsOf(range, granularity))
    for (const kind of PAYMENT_KINDS)
      series.set(`${period}|${kind}`, { period, kind, total: zero(), completed: zero(), failed: 0 });
  const refunds = zero();
  const reversals = zero();
  let fees = ZERO;
  for (const r of rows) {
    const n = Number(r.payments);
    const amount = fromDecimal(r.amount);
    const fee = fromDecimal(r.fee);
    const k = kinds.get(r.kind)!;
    const point = series.get(`${r.day}|${r.kind}`)!;
    addTo(k.total, n, amount, fee);
    addTo((k.byStatus[r.status] ??= zero()), n, amount, fee);
    addTo(point.total, n, amount, fee);
    if (r.status === 'COMPLETED') {
      k.completed += n;
      addTo(point.completed, n, amount, fee);
      fees = add(fees, fee);
      if (r.kind === 'refund') addTo(refunds, n, amount, fee);
    } else if (r.status === 'FAILED') {
      k.failed += n;
      point.failed += n;
    } else if (r.status === 'REVERSED') {
      k.reversed += n;
      addTo(reversals, n, amount, fee);
    } else k.open += n;
  }
  return { kinds: [...kinds.values()], series: [...series.values()], refunds, reversals, fees, histograms };
}

export async function adminSummary(knex: Knex, range: DayRange, granularity: Granularity): Promise<AdminSummary> {
  return inSnapshot(knex, async (s) => {
    const { histograms: _, ...figures } = await kindFigures(s, range, granularity);
    const open = await openNow(s);
    return {
      range,
      granularity,
      ...figures,
      commissions: await commissionsByLevel(s, range),
      openNow: open.groups,
      needsAttention: open.attention,
      topUsers: await topUsers(s, range, 10),
    };
  });
}

export interface ProviderHealth {
  provider: string;
  kinds: PaymentKind[];
  payments: number;
  completed: number;
  failed: number;
  reversed: number;
  pending: number;
  /** Basis points of the payments in the window. */
  failureRateBp: number | null;
  pendingRateBp: number | null;
  /** Time from the order to the provider's final answer. */
  answer: SettleFigures;
}

/** Each provider over the window: how often it fails, how much it leaves pending, how long it takes to answer. */
export async function providerReport(knex: Knex, range: DayRange): Promise<ProviderHealth[]> {
  const { kinds, histograms } = await inSnapshot(knex, (s) => kindFigures(s, range, 'month'));
  const byProvider = new Map<string, KindSummary[]>();
  for (const k of kinds) {
    if (k.kind === 'transfer') continue; // no provider: the ledger settles it
    byProvider.set(k.provider, [...(byProvider.get(k.provider) ?? []), k]);
  }
  return [...byProvider.entries()].map(([provider, ks]) => {
    const sum = (f: (k: KindSummary) => number) => ks.reduce((a, k) => a + f(k), 0);
    const payments = sum((k) => k.total.payments);
    const merged = emptyHistogram();
    for (const k of ks) {
      const h = histograms.get(k.kind) ?? emptyHistogram();
      for (const [b, n] of h.buckets) merged.buckets.set(b, (merged.buckets.get(b) ?? 0) + n);
      merged.payments += h.payments;
      merged.totalMs += h.totalMs;
    }
    const rate = (n: number) => (payments > 0 ? Math.round((n * 10_000) / payments) : null);
    return {
      provider,
      kinds: ks.map((k) => k.kind),
      payments,
      completed: sum((k) => k.completed),
      failed: sum((k) => k.failed),
      reversed: sum((k) => k.reversed),
      pending: sum((k) => k.open),
      failureRateBp: rate(sum((k) => k.failed)),
      pendingRateBp: rate(sum((k) => k.open)),
      answer: settleFigures(merged),
    };
  });
}
