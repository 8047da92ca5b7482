/**
 * All-time payment figures for the metrics Prometheus scrapes (api/paymentMetrics.ts). They come
 * from the same rollups and pending deltas as the reports, read in one snapshot: a count here is
 * the reports' sum over every day, exact on any API replica, and it does not move when the fold
 * runs. Beside them, what is open now, the money held, the fold's backlog and the last
 * reconciliation.
 */
import type { Knex } from 'knex';
import { Paise } from '../../domain/money';
import { PaymentKind, PaymentStatus } from '../../domain/payments';
import type { DayRange, SettleHistogram } from '../../domain/reports';
import { fromDecimal } from '../money';
import { openGroups, OpenGroup, settleHistograms } from './admin';
import { grouped, inSnapshot, paymentRowsSql, query } from './snapshot';

const ALL_TIME: DayRange = { from: '1970-01-01', to: '9999-12-31' };

export interface PaymentTotals {
  byKindStatus: Array<{ kind: PaymentKind; status: PaymentStatus; payments: number; amount: Paise }>;
  settle: Map<PaymentKind, SettleHistogram>;
  open: OpenGroup[];
  held: Array<{ kind: string; holds: number; amount: Paise }>;
  unfoldedDeltas: number;
  lastReconciliation: { ok: boolean; finishedAt: Date } | null;
}

export function paymentTotals(knex: Knex): Promise<PaymentTotals> {
  return inSnapshot(knex, async (s) => {
    const byKindStatus = await grouped(
      s,
      paymentRowsSql(ALL_TIME),
      ['kind', 'status'],
      'SELECT kind, status, SUM(payments) AS payments, SUM(amount) AS amount FROM ({rows}) x GROUP BY kind, status',
    );
    // A hold's reference starts with its payment's kind (domain/references.ts).
    const held = await query<Record<string, any>>(
      s,
      `SELECT SUBSTRING_INDEX(reference, ':', 1) AS kind, COUNT(*) AS holds, SUM(amount) AS amount
         FROM holds WHERE status = 'active' GROUP BY 1 ORDER BY 1`,
      [],
    );
    const [backlog] = await query<{ n: string }>(
      s,
      `SELECT (SELECT COUNT(*) FROM report_payment_deltas) + (SELECT COUNT(*) FROM report_settle_deltas)
              + (SELECT COUNT(*) FROM report_commission_deltas) AS n`,
      [],
    );
    const [recon] = await query<{ ok: number; finished_at: Date }>(
      s,
      'SELECT ok, finished_at FROM reconciliation_reports ORDER BY id DESC LIMIT 1',
      [],
    );
    return {
      byKindStatus: byKindStatus
        .map((r) => ({
          kind: r.kind as PaymentKind,
          status: r.status as PaymentStatus,
          payments: Number(r.payments),
          amount: fromDecimal(r.amount),
        }))
        .filter((r) => r.payments !== 0),
      settle: await settleHistograms(s, ALL_TIME),
      open: await openGroups(s),
      held: held.map((h) => ({ kind: h.kind, holds: Number(h.holds), amount: fromDecimal(h.amount) })),
      unfoldedDeltas: Number(backlog?.n ?? 0),
      lastReconciliation: recon ? { ok: Boolean(recon.ok), finishedAt: recon.finished_at } : null,
    };
  });
}
