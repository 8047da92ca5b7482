/**
 * How the benchmark measures: closed-loop clients (each sends its next request when the last is
 * answered) with exact percentiles from every sample, autocannon for HTTP reads, and a
 * process's resident memory from /proc.
 */
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

export interface Figure {
  /** Operations completed per second over the measured window. */
  rate: number;
  p50: number;
  p99: number;
  count: number;
  errors: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/**
 * `clients` loops call `op` until `durationMs` passes or `iterations` operations are done in
 * all; a thrown error counts as an error (its latency is not sampled). A few warm-up calls per
 * client run first and are not counted.
 */
export async function closedLoop(
  o: { clients: number; durationMs?: number; iterations?: number; warmup?: number },
  op: (client: number, i: number) => Promise<void>,
): Promise<Figure> {
  const run = await runClosedLoop(o, op);
  return figureOf(run.samples, run.seconds, run.errors);
}

/** What one closed loop measured; `issued` is the next operation's index. */
interface LoopRun {
  samples: number[];
  seconds: number;
  errors: number;
  issued: number;
}

async function runClosedLoop(
  o: { clients: number; durationMs?: number; iterations?: number; warmup?: number; firstIndex?: number },
  op: (client: number, i: number) => Promise<void>,
): Promise<LoopRun> {
  let next = o.firstIndex ?? 0;
  for (let c = 0; c < o.clients; c++) for (let w = 0; w < (o.warmup ?? 2); w++) await op(c, next++).catch(() => 0);
  const samples: number[] = [];
  let errors = 0;
  let firstError: unknown;
  const started = performance.now();
  const until = o.durationMs ? started + o.durationMs : Infinity;
  const limit = o.iterations ?? Infinity;
  let issued = 0;
  await Promise.all(
    Array.from({ length: o.clients }, async (_, c) => {
      while (performance.now() < until && issued < limit) {
        issued++;
        const t = performance.now();
        try {
          await op(c, next++);
          samples.push(performance.now() - t);
        } catch (err) {
          errors++;
          firstError ??= err;
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  if (errors > 0) console.error(`nexaspay bench: ${errors} errors; the first: ${(firstError as Error)?.message}`);
  return { samples, seconds, errors, issued: next };
}

/**
 * Two closed loops compared with each other (a figure and its ceiling), taking turns in `rounds`
 * windows (a, b, a, b, …) after a warm-up of each, where one window each would compare two
 * moments of a machine whose speed moves by tens of percent within minutes. Each figure is every
 * sample of its windows: the rate over their time, exact percentiles.
 */
export async function closedLoopsTakingTurns(
  o: { clients: number; seconds: number; rounds: number },
  a: (client: number, i: number) => Promise<void>,
  b: (client: number, i: number) => Promise<void>,
): Promise<[Figure, Figure]> {
  const ops = [a, b];
  const runs: LoopRun[][] = [[], []];
  const issued = [0, 0];
  const measureWindow = async (k: number, durationMs: number) => {
    const run = await runClosedLoop({ clients: o.clients, durationMs, warmup: 0, firstIndex: issued[k] }, ops[k]!);
    issued[k] = run.issued;
    return run;
  };
  for (const k of [0, 1]) await measureWindow(k, WARMUP_SECONDS * 1000);
  for (let r = 0; r < o.rounds; r++) {
    for (const k of [0, 1]) runs[k]!.push(await measureWindow(k, (o.seconds * 1000) / o.rounds));
  }
  const merged = (rs: LoopRun[]) =>
    figureOf(
      rs.flatMap((r) => r.samples),
      rs.reduce((t, r) => t + r.seconds, 0),
      rs.reduce((n, r) => n + r.errors, 0),
    );
  return [merged(runs[0]!), merged(runs[1]!)];
}

function figureOf(samples: number[], seconds: number, errors: number): Figure {
  samples.sort((a, b) => a - b);
  return {
    rate: samples.length / seconds,
    p50: percentile(samples, 50),
    p99: percentile(samples, 99),
    count: samples.length,
    errors,
  };
}

/**
 * One client that times `op` only, then waits (untimed) for `after` with its result before the
 * next call: the operation's own latency, without what its predecessor left running.
 */
export async function timedThenWait<T>(
  o: { iterations: number; warmup?: number },
  op: (i: number) => Promise<T>,
  after: (result: T) => Promise<void>,
): Promise<Figure> {
  const samples: number[] = [];
  let errors = 0;
  let busy = 0;
  for (let i = 0; i < o.iterations + (o.warmup ?? 2); i++) {
    const t = performance.now();
    let result: T;
    try {
      result = await op(i);
    } catch (err) {
      if (++errors === 1) console.error(`nexaspay bench: error: ${(err as Error).message}`);
      continue;
    }
    const took = performance.now() - t;
    if (i >= (o.warmup ?? 2)) {
      samples.push(took);
      busy += took;
    }
    await after(result);
  }
  return figureOf(samples, busy / 1000, errors);
}

/**
 * Two operations compared with each other, one client, taking turns (a, b, a, b, …) so that
 * whatever else the machine does at the moment (a flush after a bulk load) falls on both alike.
 * Each figure's rate is over the time spent in its own calls.
 */
export async function alternating(
  o: { iterations: number; warmup?: number },
  a: (i: number) => Promise<void>,
  b: (i: number) => Promise<void>,
): Promise<[Figure, Figure]> {
  const ops = [a, b];
  const samples: number[][] = [[], []];
  const errors = [0, 0];
  for (let i = 0; i < (o.warmup ?? 5); i++) for (const op of ops) await op(i).catch(() => 0);
  for (let i = o.warmup ?? 5; i < o.iterations + (o.warmup ?? 5); i++) {
    for (const [k, op] of ops.entries()) {
      const t = performance.now();
      try {
        await op(i);
        samples[k]!.push(performance.now() - t);
      } catch (err) {
        errors[k] = errors[k]! + 1;
        if (errors[k] === 1) console.error(`nexaspay bench: error: ${(err as Error).message}`);
      }
    }
  }
  const [fa, fb] = samples.map((s, k) => figureOf(s, s.reduce((x, y) => x + y, 0) / 1000, errors[k]!));
  return [fa!, fb!];
}

/**
 * Load before each measured HTTP window, not counted. A process that has been idle (the API
 * while the ceilings run) has let its pool's connections go and starts from a small heap that
 * V8 grows a quarter at a time (config/engineProcess.ts). One second of load did not reach the
 * steady state: the first read measured had up to twice the p99 of the same read measured again.
 */
const WARMUP_SECONDS = 3;

function figureOfHttp(r: autocannon.Result): Figure {
  return {
    rate: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    count: r.requests.total,
    errors: r.errors + r.timeouts + r.non2xx,
  };
}

/** One HTTP load: a URL and its headers. */
export interface HttpTarget {
  url: string;
  headers?: Record<string, string>;
}

/**
 * HTTP loads compared with each other, taking turns in `rounds` short windows (a, b, c, b, c, a,
 * …) after a warm-up of each, rather than at once, where a shared queue would blur the
 * difference, or one window each, which would compare different moments of a machine whose speed
 * moves by tens of percent within minutes. `around`, if given, runs each measured window of load
 * `k` (to count what it used). Each figure: requests over its windows' time, the median of its
 * windows' p50s, the worst of their p99s.
 */
export async function httpLoadsTakingTurns(
  o: { connections: number; seconds: number; rounds: number },
  loads: HttpTarget[],
  around: (k: number, window: () => Promise<Figure>) => Promise<Figure> = (_k, window) => window(),
): Promise<Figure[]> {
  // Only the target's URL and headers reach autocannon: callers' targets carry their own fields.
  const load = (x: HttpTarget, duration: number) =>
    autocannon({ url: x.url, headers: x.headers, connections: o.connections, duration });
  const windows: Figure[][] = loads.map(() => []);
  for (const x of loads) await load(x, WARMUP_SECONDS);
  for (let r = 0; r < o.rounds; r++) {
    // The order rotates each round (a, b, c; b, c, a; …): the same API measured twice in a row
    // ran 7% faster in the window after the bare select's than in the next (docs/performance.md).
    // Rotating changes only which load opens a round; within a round each load still follows
    // the same other, so with five loads in three rounds /v1/me follows the bare select in two.
    for (let j = 0; j < loads.length; j++) {
      const k = (r + j) % loads.length;
      const window = async () => figureOfHttp(await load(loads[k]!, o.seconds / o.rounds));
      windows[k]!.push(await around(k, window));
    }
  }
  const merged = (ws: Figure[]): Figure => {
    const p50s = ws.map((w) => w.p50).sort((x, y) => x - y);
    return {
      rate: ws.reduce((n, w) => n + w.rate, 0) / ws.length,
      p50: p50s[Math.floor(p50s.length / 2)]!,
      p99: Math.max(...ws.map((w) => w.p99)),
      count: ws.reduce((n, w) => n + w.count, 0),
      errors: ws.reduce((n, w) => n + w.errors, 0),
    };
  };
  return windows.map(merged);
}

/** Resident memory of a process, in MB (Linux). */
export function residentMb(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
    return kb / 1024;
  } catch {
    return NaN;
  }
}

/**
 * CPU time (user + system, every thread) a process has used, in microseconds (Linux: fields 14
 * and 15 of /proc/<pid>/stat, in clock ticks of 1/100 s). NaN when it cannot be read.
 */
export function cpuMicros(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return NaN;
  }
}
