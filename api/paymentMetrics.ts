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
import { Counter, Gauge, Metric, Registry } from 'prom-client';
import { PAYMENT_KINDS, PaymentKind } from '../domain/payments';
import { cumulativeSettleCounts, PROVIDER_OF_KIND, SettleHistogram } from '../domain/reports';
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

type Labels = { kind: PaymentKind; provider: string };
const labelsOf = (kind: PaymentKind): Labels => ({ kind, provider: PROVIDER_OF_KIND[kind] });

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
  const registers = [registry];

  new Gauge({
    name: 'nexaspay_payment_metrics_up',
    help: '1 when the payment metrics below were read from the database on this scrape, 0 when the read failed',
    registers,
    async collect() {
      this.set((await totals()) ? 1 : 0);
    },
  });

  const perKindCounter = (name: string, help: string, count: (t: PaymentTotals, kind: PaymentKind) => number) =>
    new Counter({
      name,
      help,
      labelNames: ['kind', 'provider'] as const,
      registers,
      async collect() {
        const t = await totals();
        this.reset();
        if (!t) return;
        for (const kind of PAYMENT_KINDS) this.inc(labelsOf(kind), count(t, kind));
      },
    });
  const withStatus = (t: PaymentTotals, kind: PaymentKind, status?: string) =>
    t.byKindStatus
      .filter((r) => r.kind === kind && (!status || r.status === status))
      .reduce((n, r) => n + r.payments, 0);
  perKindCounter('nexaspay_payments_started_total', 'Payments created', (t, k) => withStatus(t, k));
  perKindCounter(
    'nexaspay_payments_settled_total',
    'Payments that reached a settled status (completed or failed) for the first time',
    (t, k) => t.settle.get(k)?.payments ?? 0,
  );
  perKindCounter('nexaspay_payments_failed_total', 'Payments now FAILED', (t, k) => withStatus(t, k, 'FAILED'));
  perKindCounter('nexaspay_payments_reversed_total', 'Payments now REVERSED', (t, k) => withStatus(t, k, 'REVERSED'));

  const byStatus = (name: string, help: string, value: (r: PaymentTotals['byKindStatus'][number]) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['kind', 'provider', 'status'] as const,
      registers,
      async collect() {
        const t = await totals();
        this.reset();
        for (const r of t?.byKindStatus ?? []) this.set({ ...labelsOf(r.kind), status: r.status }, value(r));
      },
    });
  byStatus('nexaspay_payments', 'Payments by their status now', (r) => r.payments);
  byStatus('nexaspay_payments_amount_paise', 'Amount of the payments by their status now, in paise', (r) => r.amount);

  new Gauge({
    name: 'nexaspay_payments_needs_attention',
    help: 'Payments in NEEDS_ATTENTION: an operator has to recheck or resolve them',
    labelNames: ['kind', 'provider'] as const,
    registers,
    async collect() {
      const t = await totals();
      this.reset();
      if (!t) return;
      for (const kind of PAYMENT_KINDS) {
        const group = t.open.find((g) => g.kind === kind && g.status === 'NEEDS_ATTENTION');
        this.set(labelsOf(kind), group?.payments ?? 0);
      }
    },
  });
  new Gauge({
    name: 'nexaspay_payments_open_oldest_age_seconds',
    help: 'Age of the oldest payment not settled yet, by kind and status',
    labelNames: ['kind', 'provider', 'status'] as const,
    registers,
    async collect() {
      const t = await totals();
      this.reset();
      for (const g of t?.open ?? [])
        this.set(
          { ...labelsOf(g.kind), status: g.status },
          Math.max(0, (Date.now() - g.oldestCreatedAt.getTime()) / 1000),
        );
    },
  });
  const held = (name: string, help: string, value: (h: PaymentTotals['held'][number]) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['kind'] as const,
      registers,
      async collect() {
        const t = await totals();
        this.reset();
        for (const h of t?.held ?? []) this.set({ kind: h.kind }, value(h));
      },
    });
  held('nexaspay_holds_outstanding', 'Holds placed and neither captured nor released', (h) => h.holds);
  held('nexaspay_holds_outstanding_paise', 'Money in those holds, in paise', (h) => h.amount);

  new Gauge({
    name: 'nexaspay_report_deltas_unfolded',
    help: 'Report deltas the report-rollup schedule has not folded yet (grows when the schedule stops)',
    registers,
    async collect() {
      const t = await totals();
      this.reset();
      if (t) this.set(t.unfoldedDeltas);
    },
  });
  new Gauge({
    name: 'nexaspay_reconciliation_last_ok',
    help: '1 when the last daily reconciliation passed, 0 when it failed (absent before the first run)',
    registers,
    async collect() {
      const t = await totals();
      this.reset();
      if (t?.lastReconciliation) this.set(t.lastReconciliation.ok ? 1 : 0);
    },
  });
  new Gauge({
    name: 'nexaspay_reconciliation_last_finished_timestamp_seconds',
    help: 'When the last reconciliation finished (unix seconds)',
    registers,
    async collect() {
      const t = await totals();
      this.reset();
      if (t?.lastReconciliation) this.set(t.lastReconciliation.finishedAt.getTime() / 1000);
    },
  });

  registry.registerMetric(settleHistogram(totals) as unknown as Metric);
}

/**
 * prom-client's Histogram only counts observations one by one; this one is read whole from the
 * rollups' buckets, so it is a metric of its own that the registry asks for its values.
 */
function settleHistogram(totals: () => Promise<PaymentTotals | null>) {
  const name = 'nexaspay_payment_settle_seconds';
  return {
    name,
    help: 'Time from a payment being created to its settlement (completed or failed)',
    type: 'histogram',
    aggregator: 'sum',
    async get() {
      const t = await totals();
      const values: Array<{ metricName: string; labels: Record<string, string>; value: number }> = [];
      for (const kind of t ? PAYMENT_KINDS : []) {
        const h: SettleHistogram = t!.settle.get(kind) ?? { buckets: new Map(), payments: 0, totalMs: 0 };
        const labels = labelsOf(kind);
        for (const c of cumulativeSettleCounts(h, SETTLE_BOUNDS_MS))
          values.push({
            metricName: `${name}_bucket`,
            labels: { ...labels, le: String(c.upToMs / 1000) },
            value: c.payments,
          });
        values.push({ metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: h.payments });
        values.push({ metricName: `${name}_sum`, labels, value: h.totalMs / 1000 });
        values.push({ metricName: `${name}_count`, labels, value: h.payments });
      }
      return { name, help: this.help, type: this.type, aggregator: this.aggregator, values };
    },
  };
}
