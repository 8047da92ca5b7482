/**
 * A line chart (uPlot) over report periods. Screen readers get the same figures as a table, which
 * sighted users can open too, so a chart never is the only place a number is shown.
 */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  label: string;
  values: number[];
}

const COLOURS = ['#1f6feb', '#d97706', '#15803d', '#b91c1c', '#7c3aed', '#0e7490'];

export function LineChart(props: {
  title: string;
  periods: string[];
  series: ChartSeries[];
  format: (v: number) => string;
  /** Shorter labels for the y axis (default: `format`). */
  axis?: (v: number) => string;
}) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!box.current) return;
    const xs = props.periods.map((_, i) => i);
    const plot = new uPlot(
      {
        width: Math.max(320, box.current.clientWidth),
        height: 240,
        series: [
          { label: 'period', value: (_u, i) => (i === null ? '' : (props.periods[i] ?? '')) },
          ...props.series.map((s, i) => ({
            label: s.label,
            stroke: COLOURS[i % COLOURS.length],
            width: 2,
            value: (_u: uPlot, v: number | null) => (v === null ? '—' : props.format(v)),
          })),
        ],
        axes: [
          { values: (_u, ticks) => ticks.map((t) => props.periods[t] ?? '') },
          { values: (_u, ticks) => ticks.map((t) => (props.axis ?? props.format)(t)), size: 90 },
        ],
        scales: { x: { time: false } },
      },
      [xs, ...props.series.map((s) => s.values)],
      box.current,
    );
    return () => plot.destroy();
  }, [props.periods, props.series]);
  return (
    <figure class="chart">
      <figcaption>{props.title}</figcaption>
      <div ref={box} role="img" aria-label={`${props.title}, chart; the figures are in the table below`} />
      <details>
        <summary>Figures</summary>
        <table>
          <thead>
            <tr>
              <th scope="col">Period</th>
              {props.series.map((s) => (
                <th scope="col">{s.label}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {props.periods.map((p, i) => (
              <tr>
                <th scope="row">{p}</th>
                {props.series.map((s) => (
                  <td class="num">{props.format(s.values[i] ?? 0)}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
