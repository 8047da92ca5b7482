/** The benchmark's table: every figure with its ceiling, the ratio, the target and whether it is met. */
import type { Figure } from './load';

export interface Row {
  what: string;
  figure: Figure;
  /** A ceiling row: what others are compared with. */
  ceiling?: boolean;
  /** The ceiling this figure's rate is compared with. */
  vs?: Figure;
  /**
   * rateRatio: at least this share of the ceiling's rate; latencyWithin: latency at most this
   * fraction above the ceiling's (flat cost; `latencyOf`); p50, p99: below these milliseconds.
   */
  target?: { rateRatio?: number; latencyWithin?: number; p50?: number; p99?: number };
}

const num = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : '—');

/**
 * The latency a flat-cost target compares: both figures' mean where both have one (HTTP loads,
 * whose p50 is in whole milliseconds), else their p50 (exact, from every sample).
 */
function latencyOf(r: Row): { name: 'mean' | 'p50'; figure: number; ceiling: number } | undefined {
  if (!r.vs) return undefined;
  const { figure: f, vs } = r;
  return f.meanMs !== undefined && vs.meanMs !== undefined
    ? { name: 'mean', figure: f.meanMs, ceiling: vs.meanMs }
    : { name: 'p50', figure: f.p50, ceiling: vs.p50 };
}

function targetText(r: Row): string {
  const t = r.target;
  if (!t) return '';
  return [
    t.rateRatio !== undefined ? `≥ ${Math.round(t.rateRatio * 100)}% of ceiling` : '',
    t.latencyWithin !== undefined
      ? `${latencyOf(r)?.name ?? 'p50'} ≤ ceiling's + ${Math.round(t.latencyWithin * 100)}%`
      : '',
    t.p50 !== undefined ? `p50 < ${t.p50} ms` : '',
    t.p99 !== undefined ? `p99 < ${t.p99} ms` : '',
  ]
    .filter(Boolean)
    .join(', ');
}

/**
 * A figure's share of its ceiling's rate over all their windows and, for loads that took turns,
 * the lowest and highest of the rounds' own shares: within one pass a share moves by several
 * points from round to round, which a figure near its target needs said beside it. Rounds pair
 * by index, so a row's figure and ceiling with window rates must come from the same turns.
 */
export function shareText(figure: Figure, vs: Figure): string {
  const share = `${num((100 * figure.rate) / vs.rate)}%`;
  const [mine, theirs] = [figure.windowRates, vs.windowRates];
  if (!mine || !theirs || mine.length < 2 || mine.length !== theirs.length) return share;
  const rounds = mine.map((rate, i) => (100 * rate) / theirs[i]!);
  return `${share} (${num(Math.min(...rounds))}–${num(Math.max(...rounds))})`;
}

export function met(r: Row): boolean | undefined {
  const t = r.target;
  if (!t) return undefined;
  if (r.figure.errors > 0) return false;
  if (t.rateRatio !== undefined && (!r.vs || r.figure.rate / r.vs.rate < t.rateRatio)) return false;
  if (t.latencyWithin !== undefined) {
    const l = latencyOf(r);
    if (!l || !(l.figure <= l.ceiling * (1 + t.latencyWithin))) return false;
  }
  if (t.p50 !== undefined && !(r.figure.p50 < t.p50)) return false;
  if (t.p99 !== undefined && !(r.figure.p99 < t.p99)) return false;
  return true;
}

export interface Memory {
  apiMb: number;
  workerMb: number;
  limitMb: number;
}

/**
 * Prints the table; returns what missed its target. With `footer`, the memory and invariants
 * rows close it (the main table; the reports' table has only its own rows).
 */
export function printTable(rows: Row[], footer?: { memory: Memory; invariantsOk: boolean }): string[] {
  const header = ['figure', 'ops/s', 'p50 ms', 'p99 ms', 'errors', 'vs ceiling', 'target', 'met'];
  const lines = rows.map((r) => {
    const m = met(r);
    return [
      r.ceiling ? `${r.what} [ceiling]` : r.what,
      num(r.figure.rate, r.figure.rate < 100 ? 1 : 0),
      num(r.figure.p50, 1),
      num(r.figure.p99, 1),
      String(r.figure.errors),
      r.vs ? shareText(r.figure, r.vs) : '',
      targetText(r),
      m === undefined ? '' : m ? 'yes' : 'NO',
    ];
  });
  const missed = rows.filter((r) => met(r) === false).map((r) => r.what);
  if (footer) {
    const { memory, invariantsOk } = footer;
    const memMet = memory.apiMb < memory.limitMb && memory.workerMb < memory.limitMb;
    // A stack given by --api may run elsewhere (or in containers): its processes cannot be read here.
    const memMeasured = Number.isFinite(memory.apiMb) && Number.isFinite(memory.workerMb);
    lines.push(
      [
        'resident memory, API / worker (MB)',
        `${num(memory.apiMb)} / ${num(memory.workerMb)}`,
        '',
        '',
        '',
        '',
        `< ${memory.limitMb} MB each`,
        !memMeasured ? 'not measured' : memMet ? 'yes' : 'NO',
      ],
      [
        'ledger invariants after the run',
        invariantsOk ? 'all pass' : 'FAIL',
        '',
        '',
        '',
        '',
        'all pass',
        invariantsOk ? 'yes' : 'NO',
      ],
    );
    if (!memMet)
      missed.push(
        memMeasured
          ? 'resident memory'
          : 'resident memory (not measured: the API or worker is not a process on this machine)',
      );
    if (!invariantsOk) missed.push('ledger invariants');
  }
  printAligned(header, lines);
  console.log(missed.length ? `\nmissed targets: ${missed.join('; ')}` : '\nevery target in this table met');
  return missed;
}

function printAligned(header: string[], lines: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(`\n${fmt(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  for (const l of lines) console.log(fmt(l));
}

/**
 * The project's figures after a load against the same figures fresh. A figure with a ceiling is
 * compared as its share of the ceiling measured in the same pass (the machine itself drifts
 * between passes); one without, by its p50. Each must stay within `within`. Returns what drifted.
 * With `control` (the same figures measured a second time before the load, nothing driven
 * between), each row also shows how far the figure moved without any load: the machine's own
 * noise between two passes, to read the drift against.
 */
export function printDrift(
  fresh: Row[],
  later: Row[],
  within: number,
  { control, laterPass = 'after' }: { control?: Row[]; laterPass?: string } = {},
): string[] {
  const header = [
    'figure',
    'compared',
    'fresh',
    laterPass,
    'change',
    ...(control ? ['control change'] : []),
    `within ${Math.round(within * 100)}%`,
  ];
  const drifted: string[] = [];
  const signed = (x: number) => `${x >= 0 ? '+' : ''}${num(100 * x)}%`;
  const lines = later
    .filter((r) => !r.ceiling)
    .flatMap((r) => {
      const f = fresh.find((x) => x.what === r.what);
      if (!f) return [];
      const { compared, before, now, worse } = driftOf(f, r);
      const change = now / before - 1;
      const ok = r.figure.errors === 0 && (worse ? change <= within : change >= -within);
      if (!ok) drifted.push(`${r.what} (${laterPass} vs fresh)`);
      const show = (x: number) => (worse ? num(x, 1) : `${num(100 * x)}%`);
      const again = control?.find((x) => x.what === r.what);
      const controlCell = control ? [again ? signed(driftOf(f, again).now / before - 1) : '—'] : [];
      return [[r.what, compared, show(before), show(now), signed(change), ...controlCell, ok ? 'yes' : 'NO']];
    });
  printAligned(header, lines);
  return drifted;
}

/** What a figure's drift is measured on: its share of its ceiling if it has one, else its p50. */
function driftOf(fresh: Row, later: Row) {
  return later.vs && fresh.vs
    ? {
        compared: 'share of ceiling',
        before: fresh.figure.rate / fresh.vs.rate,
        now: later.figure.rate / later.vs.rate,
        worse: false,
      }
    : { compared: 'p50 ms', before: fresh.figure.p50, now: later.figure.p50, worse: true };
}

/** CPU per request (a read) or per workflow, by process: where its time goes on a machine they share. */
export interface CpuRow {
  what: string;
  /** The API (or the bare server), MariaDB and the bench itself (the load generator), in µs. */
  serverUs: number;
  databaseUs: number;
  loadUs: number;
  /** For workflows: the worker serving them and the Temporal server. */
  workerUs?: number;
  temporalUs?: number;
  /** The whole machine's busy CPU per operation (the processes above and everything else), and its busy cores. */
  machineUs: number;
  busyCores: number;
  /** For one client sending each payment as the last is answered: its mean answer, in ms. */
  answerMeanMs?: number;
}

/**
 * One client sending each payment as soon as the last is answered runs at one payment per mean
 * answer, and every payment's CPU, its settling included, has to fit in the machine's cores: the
 * mean answer cannot be below the whole machine's CPU per payment over the cores. A line for each
 * row that carries its loop's mean answer: how far above that floor it ran.
 */
export function answerFloors(rows: CpuRow[], cores: number): string[] {
  return rows
    .filter((r) => r.answerMeanMs !== undefined && Number.isFinite(r.machineUs))
    .map((r) => {
      const floorMs = r.machineUs / 1000 / cores;
      return `${r.what}: mean answer ${r.answerMeanMs!.toFixed(1)} ms, ${(r.answerMeanMs! / floorMs).toFixed(2)}× its floor of ${floorMs.toFixed(1)} ms (the machine's CPU per payment over ${cores} cores)`;
    });
}

export function printCpu(rows: CpuRow[], cores: number): void {
  const header = [
    'CPU per request or workflow (µs)',
    'API or server',
    'worker',
    'Temporal',
    'MariaDB',
    'load generator',
    'total',
    'whole machine',
    'cores busy',
  ];
  const us = (v: number | undefined) => (v === undefined ? '–' : Number.isFinite(v) ? num(v) : 'not measured');
  const lines = rows.map((r) => [
    r.what,
    us(r.serverUs),
    us(r.workerUs),
    us(r.temporalUs),
    us(r.databaseUs),
    us(r.loadUs),
    us(r.serverUs + (r.workerUs ?? 0) + (r.temporalUs ?? 0) + r.databaseUs + r.loadUs),
    us(r.machineUs),
    Number.isFinite(r.busyCores) ? r.busyCores.toFixed(2) : 'not measured',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(['', line(header), line(widths.map((w) => '-'.repeat(w))), ...lines.map(line)].join('\n'));
  const floors = answerFloors(rows, cores);
  if (floors.length) console.log(['', `answers back to back, against the ${cores} cores:`, ...floors].join('\n'));
}
