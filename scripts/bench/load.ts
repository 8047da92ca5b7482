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
  /**
   * For a figure pooled from windows taken in turns with others: each window's rate, round by
   * round, so that a comparison can show how far its rounds spread.
   */
  windowRates?: number[];
  /**
   * For an HTTP load: the mean latency, connections over the rate (Little's law: each connection
   * always has one request out). autocannon records whole milliseconds, so a read's p50 of 4 or
   * 5 ms moves by a quarter on one tick; the mean carries the rate's resolution.
   */
  meanMs?: number;
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
 * Closed loops compared with each other (figures and their ceilings), taking turns in `rounds`
 * windows in `balancedOrders` after a warm-up of each and one uncounted round (`warmUps`). One
 * window each would compare different moments of a machine whose speed moves by tens of percent
 * within minutes, and the loop measured first would run code the JIT has not compiled yet (in a
 * fresh process the ledger's postings ran 16% slower in their first 5 s than after 15 s;
 * docs/performance.md).
 * `rounds` must be a multiple of the design's length. Each figure is every sample of its
 * windows: the rate over their time, exact percentiles. `around`, if given, runs each measured
 * window of loop `k`, which resolves to the operations it completed, to count what it used.
 */
export async function closedLoopsTakingTurns<Loops extends Array<(client: number, i: number) => Promise<void>>>(
  o: { clients: number; seconds: number; rounds: number },
  loops: [...Loops],
  around: (k: number, window: () => Promise<number>) => Promise<void> = async (_k, window) => {
    await window();
  },
): Promise<{ [K in keyof Loops]: Figure }> {
  const orders = balancedOrders(loops.length);
  if (o.rounds % orders.length !== 0)
    throw new Error(`${loops.length} loops take turns in a multiple of ${orders.length} rounds, not ${o.rounds}`);
  const runs: LoopRun[][] = loops.map(() => []);
  const issued = loops.map(() => 0);
  const measureWindow = async (k: number, durationMs: number) => {
    const run = await runClosedLoop({ clients: o.clients, durationMs, warmup: 0, firstIndex: issued[k] }, loops[k]!);
    issued[k] = run.issued;
    return run;
  };
  for (const [k, seconds] of warmUps(orders, o.seconds / o.rounds)) await measureWindow(k, seconds * 1000);
  for (let r = 0; r < o.rounds; r++) {
    for (const k of orders[r % orders.length]!)
      await around(k, async () => {
        const run = await measureWindow(k, (o.seconds * 1000) / o.rounds);
        runs[k]!.push(run);
        return run.samples.length;
      });
  }
  // One figure per loop, in the loops' order: the tuple the caller passed, as figures.
  return runs.map((rs) => ({
    ...figureOf(
      rs.flatMap((r) => r.samples),
      rs.reduce((t, r) => t + r.seconds, 0),
      rs.reduce((n, r) => n + r.errors, 0),
    ),
    windowRates: rs.map((r) => r.samples.length / r.seconds),
  })) as { [K in keyof Loops]: Figure };
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

/** One HTTP load: a URL and its headers. */
export interface HttpTarget {
  url: string;
  headers?: Record<string, string>;
}

/**
 * What runs, uncounted, before the first measured round of loads taking turns in `orders`, as
 * [load, seconds]: each load for WARMUP_SECONDS, then one round like the measured ones, so that
 * each load's first measured window follows what its later ones follow. The first window
 * measured after the warm-ups is always the same load's (the bare select's, first in the reads'
 * design); in a pass at `b769541` it ran a third slower than that load's other nine, which
 * lowered the ceiling and lifted every read's share by about two points. Slow windows come at
 * other places too; this keeps the first from being one more often than chance.
 */
export function warmUps(orders: number[][], windowSeconds: number): Array<[number, number]> {
  return [
    ...orders[0]!.map((_, k): [number, number] => [k, WARMUP_SECONDS]),
    ...orders[0]!.map((k): [number, number] => [k, windowSeconds]),
  ];
}

/**
 * The orders of a set of rounds in which, within the rounds, every load follows every other
 * equally often (a Williams design): n rounds for an even number of loads, 2n for an odd one.
 * Measured twice in a row in the same turns, one API ran 7% faster in the window right after the
 * bare select's than in the next (docs/performance.md), so a load that always had that place
 * would be flattered. The first round's order is 0, 1, n-1, 2, n-2, …; each next round adds 1
 * (mod n); for an odd n the same rounds reversed complete the balance.
 */
export function balancedOrders(n: number): number[][] {
  if (n === 1) return [[0]];
  const first = [0];
  for (let lo = 1, hi = n - 1; first.length < n;) {
    first.push(lo++);
    if (first.length < n) first.push(hi--);
  }
  const rows = Array.from({ length: n }, (_, r) => first.map((k) => (k + r) % n));
  return n % 2 === 0 ? rows : [...rows, ...rows.map((row) => [...row].reverse())];
}

/** autocannon's own merge of runs it did not aggregate (its README; absent from its typings). */
const aggregateResult = (
  autocannon as unknown as {
    aggregateResult(results: unknown[], opts: { url: string; connections: number }): autocannon.Result;
  }
).aggregateResult;

/** autocannon's unaggregated result (`skipAggregateResult`): the fields read here. */
interface RawWindow {
  totalCompletedRequests: number;
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
}

function figureOfWindows(target: HttpTarget, connections: number, windows: RawWindow[]): Figure {
  const all = aggregateResult(windows, { url: target.url, connections });
  const count = windows.reduce((n, w) => n + w.totalCompletedRequests, 0);
  const rate = count / windows.reduce((t, w) => t + w.duration, 0);
  return {
    rate,
    meanMs: (1000 * connections) / rate,
    p50: all.latency.p50,
    p99: all.latency.p99,
    count,
    errors: all.errors + all.timeouts + all.non2xx,
  };
}

/**
 * HTTP loads compared with each other, taking turns in `rounds` short windows after a warm-up of
 * each, rather than at once, where a shared queue would blur the difference, or one window each,
 * which would compare different moments of a machine whose speed moves by tens of percent within
 * minutes. The rounds follow `balancedOrders`, so `rounds` must be a multiple of its length.
 * `around`, if given, runs each measured window of load `k` (to count what it used). Each
 * figure: requests over its windows' time, and percentiles over every request of its windows
 * (their histograms merged, not a window's worst or median).
 */
export async function httpLoadsTakingTurns<Loads extends HttpTarget[]>(
  o: { connections: number; seconds: number; rounds: number },
  loads: [...Loads],
  around: (k: number, window: () => Promise<Figure>) => Promise<Figure> = (_k, window) => window(),
): Promise<{ [K in keyof Loads]: Figure }> {
  const orders = balancedOrders(loads.length);
  if (o.rounds % orders.length !== 0)
    throw new Error(`${loads.length} loads take turns in a multiple of ${orders.length} rounds, not ${o.rounds}`);
  // Only the target's URL and headers reach autocannon: callers' targets carry their own fields.
  const load = (x: HttpTarget, duration: number) =>
    autocannon({
      url: x.url,
      headers: x.headers,
      connections: o.connections,
      duration,
      // autocannon ends a run at its next sample: at the default of a second, a window of 1.2 s
      // ran 2 s. Sampled every 100 ms, a window lasts what it was asked to.
      sampleInt: 100,
      skipAggregateResult: true,
    });
  const windows: RawWindow[][] = loads.map(() => []);
  for (const [k, seconds] of warmUps(orders, o.seconds / o.rounds)) await load(loads[k]!, seconds);
  for (let r = 0; r < o.rounds; r++) {
    for (const k of orders[r % orders.length]!) {
      const window = async () => {
        const raw = (await load(loads[k]!, o.seconds / o.rounds)) as unknown as RawWindow;
        windows[k]!.push(raw);
        return figureOfWindows(loads[k]!, o.connections, [raw]);
      };
      await around(k, window);
    }
  }
  // One figure per load, in the loads' order: the tuple the caller passed, as figures.
  return windows.map((ws, k) => ({
    ...figureOfWindows(loads[k]!, o.connections, ws),
    windowRates: ws.map((w) => w.totalCompletedRequests / w.duration),
  })) as { [K in keyof Loads]: Figure };
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
function cpuMicros(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return NaN;
  }
}

/**
 * The CPU time every CPU of the machine spent busy (not idle or waiting for I/O), in
 * microseconds (Linux: /proc/stat's first line, in clock ticks of 1/100 s); NaN when unreadable.
 */
export function machineBusyMicros(): number {
  try {
    const ticks = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, , , irq, softirq, steal] = ticks;
    return (user! + nice! + system! + irq! + softirq! + steal!) * 10_000;
  } catch {
    return NaN;
  }
}

/**
 * The CPU that some processes (by pid), this one (the load generator) and the whole machine used
 * over measured windows, per operation the windows completed, in µs: on a machine they share, a
 * load's rate is about the inverse of their sum, so this shows where an operation's time goes.
 * The machine's share beyond the processes named is everything else on it (the kernel, other
 * processes, and time a virtual machine's CPUs were taken by its host: steal).
 */
export class CpuMeter<Name extends string> {
  private readonly used = new Map<Name | 'load' | 'machine', number>();
  private operations = 0;
  private seconds = 0;

  constructor(private readonly pids: Record<Name, number | undefined>) {}

  /** Runs `window`, which resolves to the operations it completed, counting what it used. */
  async measure(window: () => Promise<number>): Promise<void> {
    const names = Object.keys(this.pids) as Name[];
    const from = names.map((n) => cpuMicros(this.pids[n]));
    const self = process.cpuUsage();
    const machine = machineBusyMicros();
    const started = performance.now();
    this.operations += await window();
    this.seconds += (performance.now() - started) / 1000;
    names.forEach((n, i) => this.add(n, cpuMicros(this.pids[n]) - from[i]!));
    const load = process.cpuUsage(self);
    this.add('load', load.user + load.system);
    this.add('machine', machineBusyMicros() - machine);
  }

  private add(name: Name | 'load' | 'machine', us: number): void {
    this.used.set(name, (this.used.get(name) ?? 0) + us);
  }

  /** µs per operation of `name` (NaN if its pid is unknown or nothing was measured). */
  perOperation(name: Name | 'load' | 'machine'): number {
    return (this.used.get(name) ?? NaN) / this.operations;
  }

  /** Whether `name` is one of the processes this meter counts. */
  counts(name: string): name is Name {
    return Object.hasOwn(this.pids, name);
  }

  /** How many of the machine's CPUs were busy on average over the windows. */
  busyCores(): number {
    return (this.used.get('machine') ?? NaN) / 1e6 / this.seconds;
  }
}

/**
 * Work left running beside a loop, kept as what it settles to: undefined, or its error. One that
 * rejected while nothing awaited it would end the process.
 */
export class Beside {
  private readonly settling: Array<Promise<Error | undefined>> = [];

  add(work: Promise<unknown>): void {
    this.settling.push(
      work.then(
        () => undefined,
        (err: Error) => err,
      ),
    );
  }

  /** Once all have settled, the first error, if any. */
  async firstError(): Promise<Error | undefined> {
    return (await Promise.all(this.settling)).find((err) => err !== undefined);
  }
}
