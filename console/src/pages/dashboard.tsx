/**
 * The business at a glance, from the reports API only: every figure shown is one the API gave
 * (amounts as its rupee strings), so the dashboard and the reports always agree.
 */
import { useMemo, useState } from 'preact/hooks';
import { ChartSeries, LineChart } from '../chart';
import { download } from '../api';
import { count, duration, inr, inrFromPaise, istDay, ms, paiseOf, wholeRupees } from '../format';
import { errorText, Loading, useApi, useFilterForm } from '../ui';

interface Figures {
  payments: number;
  amount: string;
  fee: string;
}
interface Summary {
  from: string;
  to: string;
  kinds: Array<{
    kind: string;
    provider: string;
    total: Figures;
    byStatus: Record<string, Figures>;
    successRate: string | null;
    settle: { payments: number; p50Ms: number | null; p95Ms: number | null };
  }>;
  series: Array<{ period: string; kind: string; total: Figures; completed: Figures; failed: number }>;
  openNow: Array<{ kind: string; status: string; payments: number; amount: string; oldestAgeSeconds: number }>;
  needsAttention: Array<{ paymentId: string }>;
  refunds: Figures;
  reversals: Figures;
  fees: string;
}
interface Providers {
  providers: Array<{
    provider: string;
    kinds: string[];
    payments: number;
    completed: number;
    failed: number;
    pending: number;
    failureRate: string | null;
    pendingRate: string | null;
    answer: { p50Ms: number | null; p95Ms: number | null };
  }>;
}

export function Dashboard() {
  const [csvError, setCsvError] = useState<string | null>(null);
  const form = useFilterForm({ from: istDay(-29), to: istDay(), granularity: 'day' });
  const range = form.applied;
  const q = `from=${range.from}&to=${range.to}&granularity=${range.granularity}`;
  const summary = useApi<Summary>(`/v1/admin/reports/summary?${q}`);
  const providers = useApi<Providers>(`/v1/admin/reports/providers?from=${range.from}&to=${range.to}`);

  const charts = useMemo(() => {
    const s = summary.data;
    if (!s) return null;
    const periods = [...new Set(s.series.map((p) => p.period))].sort();
    const kinds = [...new Set(s.series.map((p) => p.kind))].filter((k) =>
      s.series.some((p) => p.kind === k && p.total.payments),
    );
    const pick = (f: (p: Summary['series'][number]) => number): ChartSeries[] =>
      kinds.map((kind) => ({
        label: kind,
        values: periods.map((period) => {
          const point = s.series.find((p) => p.kind === kind && p.period === period);
          return point ? f(point) : 0;
        }),
      }));
    return { periods, volume: pick((p) => p.total.payments), amount: pick((p) => paiseOf(p.completed.amount)) };
  }, [summary.data]);

  const open = summary.data?.openNow ?? [];
  const stuck = open.filter((o) => o.status === 'NEEDS_ATTENTION').reduce((n, o) => n + o.payments, 0);
  return (
    <section aria-labelledby="dashboard-title">
      <h1 id="dashboard-title">Dashboard</h1>
      <form class="range" aria-label="Date range" onSubmit={form.onSubmit}>
        <label>
          From <input type="date" required {...form.field('from')} />
        </label>
        <label>
          To <input type="date" required {...form.field('to')} />
        </label>
        <label>
          By
          <select {...form.field('granularity')}>
            <option value="day">day</option>
            <option value="week">week</option>
            <option value="month">month</option>
          </select>
        </label>
        <button type="submit">Show</button>
        <button
          type="button"
          class="secondary"
          onClick={() =>
            void download(`/v1/admin/reports/summary.csv?${q}`).then(
              () => setCsvError(null),
              (err: unknown) => setCsvError(errorText(err)),
            )
          }
        >
          Download CSV
        </button>
      </form>
      {csvError && (
        <p role="alert" class="error">
          {csvError}
        </p>
      )}
      <Loading error={summary.error} loading={summary.loading && !summary.data} />
      {summary.data && (
        <>
          <ul class="tiles" aria-label="Headline figures">
            <li>
              <span>Payments</span>
              <strong data-figure="payments">
                {count(summary.data.kinds.reduce((n, k) => n + k.total.payments, 0))}
              </strong>
            </li>
            <li>
              <span>Open now</span>
              <strong data-figure="open">{count(open.reduce((n, o) => n + o.payments, 0))}</strong>
            </li>
            <li class={stuck ? 'alarm' : ''}>
              <span>Needs attention</span>
              <strong data-figure="needs-attention">
                <a href="#/stuck">{count(stuck)}</a>
              </strong>
            </li>
            <li>
              <span>Fees earned</span>
              <strong data-figure="fees">{inr(summary.data.fees)}</strong>
            </li>
            <li>
              <span>Reversals</span>
              <strong>
                {count(summary.data.reversals.payments)} · {inr(summary.data.reversals.amount)}
              </strong>
            </li>
          </ul>
          {charts && (
            <div class="charts">
              <LineChart title="Payments by kind" periods={charts.periods} series={charts.volume} format={count} />
              <LineChart
                title="Completed amount by kind"
                periods={charts.periods}
                series={charts.amount}
                format={inrFromPaise}
                axis={wholeRupees}
              />
            </div>
          )}
          <h2>By kind</h2>
          <table aria-label="Payments by kind">
            <thead>
              <tr>
                <th scope="col">Kind</th>
                <th scope="col">Provider</th>
                <th scope="col">Payments</th>
                <th scope="col">Amount</th>
                <th scope="col">Completed</th>
                <th scope="col">Success rate</th>
                <th scope="col">Settle p50</th>
                <th scope="col">Settle p95</th>
              </tr>
            </thead>
            <tbody>
              {summary.data.kinds.map((k) => (
                <tr data-kind={k.kind}>
                  <th scope="row">{k.kind}</th>
                  <td>{k.provider}</td>
                  <td class="num" data-figure="payments">
                    {count(k.total.payments)}
                  </td>
                  <td class="num" data-figure="amount">
                    {inr(k.total.amount)}
                  </td>
                  <td class="num">{inr(k.byStatus.COMPLETED?.amount ?? '0.00')}</td>
                  <td class="num" data-figure="success-rate">
                    {k.successRate === null ? '—' : `${k.successRate}%`}
                  </td>
                  <td class="num">{ms(k.settle.p50Ms)}</td>
                  <td class="num">{ms(k.settle.p95Ms)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <h2>Open now</h2>
          {open.length === 0 ? (
            <p>Nothing is open.</p>
          ) : (
            <table aria-label="Open payments">
              <thead>
                <tr>
                  <th scope="col">Kind</th>
                  <th scope="col">Status</th>
                  <th scope="col">Payments</th>
                  <th scope="col">Amount</th>
                  <th scope="col">Oldest</th>
                </tr>
              </thead>
              <tbody>
                {open.map((o) => (
                  <tr>
                    <th scope="row">{o.kind}</th>
                    <td>{o.status}</td>
                    <td class="num">{count(o.payments)}</td>
                    <td class="num">{inr(o.amount)}</td>
                    <td class="num">{duration(o.oldestAgeSeconds)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
      <h2>Provider health</h2>
      <Loading error={providers.error} loading={providers.loading && !providers.data} />
      {providers.data && (
        <table aria-label="Provider health">
          <thead>
            <tr>
              <th scope="col">Provider</th>
              <th scope="col">Kinds</th>
              <th scope="col">Payments</th>
              <th scope="col">Failure rate</th>
              <th scope="col">Pending rate</th>
              <th scope="col">Answer p50</th>
              <th scope="col">Answer p95</th>
            </tr>
          </thead>
          <tbody>
            {providers.data.providers.map((p) => (
              <tr data-provider={p.provider}>
                <th scope="row">{p.provider}</th>
                <td>{p.kinds.join(', ')}</td>
                <td class="num">{count(p.payments)}</td>
                <td class="num">{p.failureRate === null ? '—' : `${p.failureRate}%`}</td>
                <td class="num">{p.pendingRate === null ? '—' : `${p.pendingRate}%`}</td>
                <td class="num">{ms(p.answer.p50Ms)}</td>
                <td class="num">{ms(p.answer.p95Ms)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
