/**
 * Reports (docs/reports.md): the admin's summary and provider health, a distributor's network,
 * a user's own spending; each also as CSV. Days are IST calendar days, amounts rupee strings,
 * rates percentage strings; every figure comes from the rollups (db/reports/).
 */
import { z } from 'zod';
import { adminSummary, Figures, LevelCommission, ProviderHealth, providerReport } from '../../db/reports/admin';
import { networkReport, spendingByMonth } from '../../db/reports/network';
import { LIMIT_COLUMNS, limitsOf } from '../../db/ledger/limits';
import { addDays, istDate, istMonthStart, istTimestamp } from '../../domain/calendar';
import { ForbiddenError } from '../../domain/errors';
import { formatRupees } from '../../domain/money';
import {
  checkedRange,
  DayRange,
  formatRateBp,
  GRANULARITIES,
  SettleFigures,
  successRateBp,
} from '../../domain/reports';
import type { AppDeps } from '../deps';
import type { AuthUser } from '../auth/guards';
import type { AccountColumn } from '../../db/sessions';
import { csvTable } from '../http/csv';
import { defineRoute, RouteSpec } from '../http/route';
import { money } from '../schemas';

const DEFAULT_DAYS = 30;

const rangeQuery = z.strictObject({
  from: z.iso.date().optional().describe('First IST day (default: 29 days before `to`)'),
  to: z.iso.date().optional().describe('Last IST day, inclusive (default: today in IST)'),
  granularity: z.enum(GRANULARITIES).default('day'),
});
type RangeQuery = z.infer<typeof rangeQuery>;

function rangeOf(q: { from?: string; to?: string }): DayRange {
  const to = q.to ?? istDate(new Date());
  return checkedRange({ from: q.from ?? addDays(to, -(DEFAULT_DAYS - 1)), to });
}

const rate = z.string().nullable().describe('Percentage with two decimals');
const figures = z.object({ payments: z.number(), amount: money, fee: money });
const settle = z.object({
  payments: z.number(),
  meanMs: z.number().nullable(),
  p50Ms: z
    .number()
    .nullable()
    .describe('Upper bound of the histogram bucket holding the median (at most 10% above it)'),
  p95Ms: z.number().nullable(),
});
const levelCommission = z.object({
  level: z.number(),
  paid: z.number(),
  paidAmount: money,
  clawedBack: z.number(),
  clawbackAmount: money,
  net: money,
});

const figuresView = (f: Figures) => ({
  payments: f.payments,
  amount: formatRupees(f.amount),
  fee: formatRupees(f.fee),
});
const settleView = (s: SettleFigures) => ({ payments: s.payments, meanMs: s.meanMs, p50Ms: s.p50Ms, p95Ms: s.p95Ms });
const levelView = (l: LevelCommission) => ({
  level: l.level,
  paid: l.paid,
  paidAmount: formatRupees(l.paidAmount),
  clawedBack: l.clawedBack,
  clawbackAmount: formatRupees(l.clawbackAmount),
  net: formatRupees(l.net),
});

const providerView = (p: ProviderHealth) => ({
  provider: p.provider,
  kinds: p.kinds,
  payments: p.payments,
  completed: p.completed,
  failed: p.failed,
  reversed: p.reversed,
  pending: p.pending,
  failureRate: formatRateBp(p.failureRateBp),
  pendingRate: formatRateBp(p.pendingRateBp),
  answer: settleView(p.answer),
});

/** The JSON route and its CSV twin (`<path>.csv`), from one loader and one table layout. */
function withCsv<T extends { range: DayRange }, const A extends AccountColumn = never>(spec: {
  path: string;
  summary: string;
  access: 'user' | 'admin';
  /** The columns of the caller's row the loader reads (`account` in api/http/route.ts). */
  account?: readonly A[];
  query: z.ZodType<RangeQuery>;
  response: z.ZodType;
  load: (input: { user: AuthUser<NoInfer<A>>; query: RangeQuery }) => Promise<T>;
  view(report: T): unknown;
  csv: { name: string; columns: readonly string[]; rows(report: T): Array<Record<string, unknown>> };
}): RouteSpec[] {
  return [
    defineRoute({
      method: 'get',
      path: spec.path,
      summary: spec.summary,
      tag: 'reports',
      access: spec.access,
      account: spec.account,
      query: spec.query,
      responses: { 200: spec.response },
      handler: async ({ user, query }) => ({ body: spec.view(await spec.load({ user, query })) }),
    }),
    defineRoute({
      method: 'get',
      path: `${spec.path}.csv`,
      summary: `${spec.summary} (CSV)`,
      tag: 'reports',
      access: spec.access,
      account: spec.account,
      query: spec.query,
      responses: { 200: null },
      produces: 'text/csv',
      handler: async ({ user, query, ctx }) => {
        const report = await spec.load({ user, query });
        const r = report.range;
        ctx.status = 200;
        ctx.type = 'text/csv; charset=utf-8';
        ctx.set('Content-Disposition', `attachment; filename="${spec.csv.name}-${r.from}-${r.to}.csv"`);
        ctx.body = csvTable(spec.csv.columns, spec.csv.rows(report));
      },
    }),
  ];
}

export function reportRoutes(deps: AppDeps): RouteSpec[] {
  const { knex } = deps;
  return [
    ...withCsv({
      path: '/v1/admin/reports/summary',
      summary:
        'The business over a window: payments by kind and status, success, time to settle, commissions, open payments, top users',
      access: 'admin',
      query: rangeQuery,
      response: z.object({
        from: z.string(),
        to: z.string(),
        granularity: z.enum(GRANULARITIES),
        generatedAt: z.string(),
        kinds: z.array(
          z.object({
            kind: z.string(),
            provider: z.string(),
            total: figures,
            byStatus: z.record(z.string(), figures),
            successRate: rate,
            settle,
          }),
        ),
        series: z.array(
          z.object({ period: z.string(), kind: z.string(), total: figures, completed: figures, failed: z.number() }),
        ),
        refunds: figures,
        reversals: figures,
        fees: money,
        commissions: z.array(levelCommission),
        openNow: z.array(
          z.object({
            kind: z.string(),
            status: z.string(),
            payments: z.number(),
            amount: money,
            oldestAgeSeconds: z.number(),
          }),
        ),
        needsAttention: z.array(
          z.object({
            paymentId: z.string(),
            kind: z.string(),
            userCode: z.string().nullable(),
            amount: money,
            reason: z.string().nullable(),
            createdAt: z.string(),
            ageSeconds: z.number(),
          }),
        ),
        topUsers: z.array(
          z.object({
            userCode: z.string().nullable(),
            name: z.string().nullable(),
            role: z.string(),
            payments: z.number(),
            amount: money,
          }),
        ),
      }),
      load: ({ query }) => adminSummary(knex, rangeOf(query), query.granularity),
      view: (s) => {
        const now = Date.now();
        const age = (d: Date) => Math.max(0, Math.floor((now - new Date(d).getTime()) / 1000));
        return {
          from: s.range.from,
          to: s.range.to,
          granularity: s.granularity,
          generatedAt: istTimestamp(new Date(now)),
          kinds: s.kinds.map((k) => ({
            kind: k.kind,
            provider: k.provider,
            total: figuresView(k.total),
            byStatus: Object.fromEntries(Object.entries(k.byStatus).map(([st, f]) => [st, figuresView(f)])),
            successRate: formatRateBp(successRateBp(k.completed, k.failed + k.reversed)),
            settle: settleView(k.settle),
          })),
          series: s.series.map((p) => ({
            period: p.period,
            kind: p.kind,
            total: figuresView(p.total),
            completed: figuresView(p.completed),
            failed: p.failed,
          })),
          refunds: figuresView(s.refunds),
          reversals: figuresView(s.reversals),
          fees: formatRupees(s.fees),
          commissions: s.commissions.map(levelView),
          openNow: s.openNow.map((o) => ({
            kind: o.kind,
            status: o.status,
            payments: o.payments,
            amount: formatRupees(o.amount),
            oldestAgeSeconds: age(o.oldestCreatedAt),
          })),
          needsAttention: s.needsAttention.map((a) => ({
            paymentId: a.id,
            kind: a.kind,
            userCode: a.userCode,
            amount: formatRupees(a.amount),
            reason: a.reason,
            createdAt: istTimestamp(new Date(a.createdAt)),
            ageSeconds: age(a.createdAt),
          })),
          topUsers: s.topUsers.map((u) => ({
            userCode: u.userCode,
            name: u.name,
            role: u.role,
            payments: u.payments,
            amount: formatRupees(u.amount),
          })),
        };
      },
      csv: {
        name: 'summary',
        columns: ['period', 'kind', 'payments', 'amount', 'fee', 'completed', 'completedAmount', 'failed'],
        rows: (s) =>
          s.series.map((p) => ({
            period: p.period,
            kind: p.kind,
            payments: p.total.payments,
            amount: formatRupees(p.total.amount),
            fee: formatRupees(p.total.fee),
            completed: p.completed.payments,
            completedAmount: formatRupees(p.completed.amount),
            failed: p.failed,
          })),
      },
    }),
    ...withCsv({
      path: '/v1/admin/reports/providers',
      summary: 'Each provider over a window: answer times, failure and pending rates',
      access: 'admin',
      query: rangeQuery,
      response: z.object({
        from: z.string(),
        to: z.string(),
        providers: z.array(
          z.object({
            provider: z.string(),
            kinds: z.array(z.string()),
            payments: z.number(),
            completed: z.number(),
            failed: z.number(),
            reversed: z.number(),
            pending: z.number(),
            failureRate: rate,
            pendingRate: rate,
            answer: settle,
          }),
        ),
      }),
      load: async ({ query }) => {
        const range = rangeOf(query);
        return { range, providers: await providerReport(knex, range) };
      },
      view: (r) => ({
        from: r.range.from,
        to: r.range.to,
        providers: r.providers.map(providerView),
      }),
      csv: {
        name: 'providers',
        columns: [
          'provider',
          'kinds',
          'payments',
          'completed',
          'failed',
          'reversed',
          'pending',
          'failureRate',
          'pendingRate',
          'answerP50Ms',
          'answerP95Ms',
        ],
        rows: (r) =>
          r.providers.map(providerView).map((v) => ({
            ...v,
            kinds: v.kinds.join(' '),
            answerP50Ms: v.answer.p50Ms,
            answerP95Ms: v.answer.p95Ms,
          })),
      },
    }),
    ...withCsv({
      path: '/v1/reports/network',
      summary: 'My network (distributors): volume and commission by level and by member, and their trend',
      access: 'user',
      query: rangeQuery,
      response: z.object({
        from: z.string(),
        to: z.string(),
        granularity: z.enum(GRANULARITIES),
        members: z.number(),
        payments: z.number(),
        volume: money,
        commission: money,
        commissions: z.array(levelCommission),
        byMember: z.array(
          z.object({
            userCode: z.string().nullable(),
            name: z.string().nullable(),
            role: z.string(),
            depth: z.number(),
            payments: z.number(),
            volume: money,
            commission: money,
          }),
        ),
        trend: z.array(z.object({ period: z.string(), payments: z.number(), volume: money, commission: money })),
      }),
      load: async ({ user, query }) => {
        if (user.role !== 'distributor') throw new ForbiddenError('the network report is for distributors');
        return networkReport(knex, user.id, rangeOf(query), query.granularity);
      },
      view: (n) => ({
        from: n.range.from,
        to: n.range.to,
        granularity: n.granularity,
        members: n.members,
        payments: n.payments,
        volume: formatRupees(n.volume),
        commission: formatRupees(n.commission),
        commissions: n.commissions.map(levelView),
        byMember: n.byMember.map((m) => ({
          userCode: m.userCode,
          name: m.name,
          role: m.role,
          depth: m.depth,
          payments: m.payments,
          volume: formatRupees(m.volume),
          commission: formatRupees(m.commission),
        })),
        trend: n.trend.map((p) => ({
          period: p.period,
          payments: p.payments,
          volume: formatRupees(p.volume),
          commission: formatRupees(p.commission),
        })),
      }),
      csv: {
        name: 'network',
        columns: ['userCode', 'name', 'role', 'depth', 'payments', 'volume', 'commission'],
        rows: (n) =>
          n.byMember.map((m) => ({ ...m, volume: formatRupees(m.volume), commission: formatRupees(m.commission) })),
      },
    }),
    ...withCsv({
      path: '/v1/reports/me',
      summary: 'My completed payments by month and kind, and the limits I used',
      access: 'user',
      account: LIMIT_COLUMNS,
      query: rangeQuery,
      response: z.object({
        from: z.string(),
        to: z.string(),
        months: z.array(
          z.object({ month: z.string(), kind: z.string(), payments: z.number(), amount: money, fee: money }),
        ),
        limits: z.object({ dailyLimit: money, usedToday: money, monthlyLimit: money, usedThisMonth: money }),
      }),
      load: async ({ user: { id, account }, query }) => {
        // Months are whole: the default window is this month and the eleven before it.
        const r = query.from || query.to ? rangeOf(query) : rangeOf({ from: firstOfMonthsAgo(11) });
        const limits = limitsOf(account, new Date());
        return {
          range: r,
          months: await spendingByMonth(knex, id, r),
          limits: {
            dailyLimit: formatRupees(limits.dailyLimit),
            usedToday: formatRupees(limits.usedToday),
            monthlyLimit: formatRupees(limits.monthlyLimit),
            usedThisMonth: formatRupees(limits.usedThisMonth),
          },
        };
      },
      view: (m) => ({
        from: m.range.from,
        to: m.range.to,
        months: m.months.map((l) => ({ ...l, amount: formatRupees(l.amount), fee: formatRupees(l.fee) })),
        limits: m.limits,
      }),
      csv: {
        name: 'spending',
        columns: ['month', 'kind', 'payments', 'amount', 'fee'],
        rows: (m) => m.months.map((l) => ({ ...l, amount: formatRupees(l.amount), fee: formatRupees(l.fee) })),
      },
    }),
  ];
}

/** The first IST day of the month `n` months before this one. */
function firstOfMonthsAgo(n: number): string {
  const [y, m] = istMonthStart(new Date()).split('-').map(Number) as [number, number];
  const d = new Date(Date.UTC(y, m - 1 - n, 1));
  return d.toISOString().slice(0, 10);
}
