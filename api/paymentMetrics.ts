/**
 * Payment metrics for Prometheus, read from the ledger's database at scrape time rather than
 * counted in process memory: a count kept in one process would be lost at a restart, doubled
 * when an activity retries, and split across replicas. Read from the rollups (db/reports/totals.ts)
 * every replica reports the same exact figures, so dashboards and alerts take `max` over the
 * replicas, never `sum`. Counters only grow: a payment is counted as started once, as settled once
 * (settled_at is stamped once), and FAILED and REVERSED are final.
 */
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { Metric, Registry } from 'prom-client';
import { PAYMENT_KINDS, PAYMENT_STATUSES, PaymentKind } from '../domain/payments';
import { cumulativeSettleCounts, PROVIDER_OF_KIND } from '../domain/reports';
import { paymentTotals, PaymentTotals } from '../db/reports/totals';

/** Histogram bounds (ms) wanted; each becomes the nearest rollup bucket bound below it. */
const SETTLE_BOUNDS_MS = [250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000, 120_000, 300_000, 900_000].concat([
  1_800_000,
  3_600_000,
  6 * 3_600_000,
  86_400_000,
  3 * 86_400_000,
]);

/** Scrapes from several Prometheus servers within this window share one read. */
const READ_FRESH_MS = 1_000;

type Labels = Record<string, string>;
interface Sample {
  labels: Labels;
  value: number;
  /** A histogram's series: `<name>_bucket`, `_sum`, `_count`. */
  metricName?: string;
}

const labelsOf = (kind: PaymentKind): Labels => ({ kind, provider: PROVIDER_OF_KIND[kind] });
const perKind = (count: (kind: PaymentKind) => number): Sample[] =>
  PAYMENT_KINDS.map((kind) => ({ labels: labelsOf(kind), value: count(kind) }));
/** Every kind and status, zeros included, so a series reads 0 rather than vanishing when it empties. */
const perKindAndStatus = (t: PaymentTotals, value: (r: PaymentTotals['byKindStatus'][number]) => number): Sample[] =>
  PAYMENT_KINDS.flatMap((kind) =>
    PAYMENT_STATUSES.map((status) => {
      const r = t.byKindStatus.find((x) => x.kind === kind && x.status === status);
      return { labels: { ...labelsOf(kind), status }, value: r ? value(r) : 0 };
    }),
  );
/** The kinds that place holds, zeros included (and any other a hold's reference names). */
const HOLDING_KINDS = ['payout', 'recharge', 'bill', 'refund'];
const perHeldKind = (t: PaymentTotals, value: (h: PaymentTotals['held'][number]) => number): Sample[] =>
  [...new Set([...HOLDING_KINDS, ...t.held.map((h) => h.kind)])].map((kind) => {
    const h = t.held.find((x) => x.kind === kind);
    return { labels: { kind }, value: h ? value(h) : 0 };
  });
const withStatus = (t: PaymentTotals, kind: PaymentKind, status?: string) =>
  t.byKindStatus.filter((r) => r.kind === kind && (!status || r.status === status)).reduce((n, r) => n + r.payments, 0);

/**
 * The metrics, each a function of one read. A metric with no sample (nothing read, or nothing
 * to say, like a reconciliation that never ran) is left out of the scrape rather than shown as 0.
 */
const METRICS: Array<{
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  samples(t: PaymentTotals): Sample[];
}> = [
  {
    name: 'nexaspay_payments_started_total',
    help: 'Payments created',
    type: 'counter',
    samples: (t) => perKind((k) => withStatus(t, k)),
  },
  {
    name: 'nexaspay_payments_settled_total',
    help: 'Payments that reached a settled status (completed or failed) for the first time',
    type: 'counter',
    samples: (t) => perKind((k) => t.settle.get(k)?.payments ?? 0),
  },
  {
    name: 'nexaspay_payments_failed_total',
    help: 'Payments now FAILED',
    type: 'counter',
    samples: (t) => perKind((k) => withStatus(t, k, 'FAILED')),
  },
  {
    name: 'nexaspay_payments_reversed_total',
    help: 'Payments now REVERSED',
    type: 'counter',
    samples: (t) => perKind((k) => withStatus(t, k, 'REVERSED')),
  },
  {
    name: 'nexaspay_payments',
    help: 'Payments by their status now',
    type: 'gauge',
    samples: (t) => perKindAndStatus(t, (r) => r.payments),
  },
  {
    name: 'nexaspay_payments_amount_paise',
    help: 'Amount of the payments by their status now, in paise',
    type: 'gauge',
    samples: (t) => perKindAndStatus(t, (r) => r.amount),
  },
  {
    name: 'nexaspay_payments_needs_attention',
    help: 'Payments in NEEDS_ATTENTION: an operator has to recheck or resolve them',
    type: 'gauge',
    samples: (t) => perKind((k) => t.open.find((g) => g.kind === k && g.status === 'NEEDS_ATTENTION')?.payments ?? 0),
  },
  {
    name: 'nexaspay_payments_open_oldest_age_seconds',
    help: 'Age of the oldest payment not settled yet, by kind and status',
    type: 'gauge',
    samples: (t) =>
      t.open.map((g) => ({
        labels: { ...labelsOf(g.kind), status: g.status },
        value: Math.max(0, (Date.now() - g.oldestCreatedAt.getTime()) / 1000),
      })),
  },
  {
    name: 'nexaspay_holds_outstanding',
    help: 'Holds placed and neither captured nor released',
    type: 'gauge',
    samples: (t) => perHeldKind(t, (h) => h.holds),
  },
  {
    name: 'nexaspay_holds_outstanding_paise',
    help: 'Money in those holds, in paise',
    type: 'gauge',
    samples: (t) => perHeldKind(t, (h) => h.amount),
  },
  {
    name: 'nexaspay_report_deltas_unfolded',
    help: 'Report deltas the report-rollup schedule has not folded yet (grows when the schedule stops)',
    type: 'gauge',
    samples: (t) => [{ labels: {}, value: t.unfoldedDeltas }],
  },
  {
    name: 'nexaspay_reconciliation_last_ok',
    help: '1 when the last daily reconciliation passed, 0 when it failed (absent before the first run)',
    type: 'gauge',
    samples: (t) => (t.lastReconciliation ? [{ labels: {}, value: t.lastReconciliation.ok ? 1 : 0 }] : []),
  },
  {
    name: 'nexaspay_reconciliation_last_finished_timestamp_seconds',
    help: 'When the last reconciliation finished, in unix seconds (absent before the first run)',
    type: 'gauge',
    samples: (t) =>
      t.lastReconciliation ? [{ labels: {}, value: t.lastReconciliation.finishedAt.getTime() / 1000 }] : [],
  },
  {
    name: 'nexaspay_payment_settle_seconds',
    help: 'Time from a payment being created to its settlement (completed or failed)',
    type: 'histogram',
    samples: (t) =>
      PAYMENT_KINDS.flatMap((kind) => {
        const h = t.settle.get(kind) ?? { buckets: new Map<number, number>(), payments: 0, totalMs: 0 };
        const labels = labelsOf(kind);
        const bucket = 'nexaspay_payment_settle_seconds_bucket';
        return [
          ...cumulativeSettleCounts(h, SETTLE_BOUNDS_MS).map((c) => ({
            metricName: bucket,
            labels: { ...labels, le: String(c.upToMs / 1000) },
            value: c.payments,
          })),
          { metricName: bucket, labels: { ...labels, le: '+Inf' }, value: h.payments },
          { metricName: 'nexaspay_payment_settle_seconds_sum', labels, value: h.totalMs / 1000 },
          { metricName: 'nexaspay_payment_settle_seconds_count', labels, value: h.payments },
        ];
      }),
  },
];

export function registerPaymentMetrics(registry: Registry, knex: Knex, logger: Logger): void {
  let last: { at: number; read: Promise<PaymentTotals | null> } | null = null;
  const totals = (): Promise<PaymentTotals | null> => {
    if (!last || Date.now() - last.at > READ_FRESH_MS) {
      const read = paymentTotals(knex).catch((err: unknown) => {
        logger.error({ err }, 'payment metrics: reading the totals failed');
        return null;
      });
      last = { at: Date.now(), read };
    }
    return last.read;
  };
  // prom-client's own metric classes count in memory (a histogram only one observation at a
  // time); these are computed whole from a read, so each is an object the registry asks for its
  // values, which is all a registered metric has to be.
  const register = (name: string, help: string, type: string, samples: (t: PaymentTotals | null) => Sample[]) =>
    registry.registerMetric({
      name,
      help,
      type,
      aggregator: 'max',
      get: async () => ({ name, help, type, aggregator: 'max', values: samples(await totals()) }),
    } as unknown as Metric);

  register(
    'nexaspay_payment_metrics_up',
    '1 when the payment metrics were read from the database on this scrape, 0 when the read failed',
    'gauge',
    (t) => [{ labels: {}, value: t ? 1 : 0 }],
  );
  for (const m of METRICS) register(m.name, m.help, m.type, (t) => (t ? m.samples(t) : []));
}
