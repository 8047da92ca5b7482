/** The benchmark's turns: every load in every round, in orders where each follows every other equally often. */
import http from 'node:http';
import os from 'node:os';
import type { AddressInfo } from 'node:net';
import {
  balancedOrders,
  Beside,
  closedLoopsTakingTurns,
  CpuMeter,
  httpLoadsTakingTurns,
  warmUps,
} from '../../scripts/bench/load';

const servers: http.Server[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
});

/** A server answering `body`, after `delayMs` for every `slowEvery`-th request. */
async function answering(body: string, slow?: { every: number; delayMs: number }): Promise<string> {
  let n = 0;
  const server = http.createServer((_req, res) => {
    if (slow && ++n % slow.every === 0) setTimeout(() => res.end(body), slow.delayMs);
    else res.end(body);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

describe('balancedOrders', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])(
    '%i loads: every round orders every load once, and each follows each other equally often',
    (n) => {
      const orders = balancedOrders(n);
      expect(orders).toHaveLength(n === 1 || n % 2 === 0 ? n : 2 * n);
      const follows = new Map<string, number>();
      for (const order of orders) {
        expect([...order].sort((a, b) => a - b)).toEqual([...Array(n).keys()]);
        for (let i = 1; i < order.length; i++) {
          const pair = `${order[i - 1]}→${order[i]}`;
          follows.set(pair, (follows.get(pair) ?? 0) + 1);
        }
      }
      // n(n-1) ordered pairs, each as often as any other.
      expect(follows.size).toBe(n * (n - 1));
      expect(new Set(follows.values()).size).toBeLessThanOrEqual(1);
    },
  );
});

it("warms every load, then runs one uncounted round in the first measured round's order", () => {
  // Five loads: the first round's order is 0, 1, 4, 2, 3.
  expect(warmUps(balancedOrders(5), 0.5)).toEqual([
    [0, 3],
    [1, 3],
    [2, 3],
    [3, 3],
    [4, 3],
    [0, 0.5],
    [1, 0.5],
    [4, 0.5],
    [2, 0.5],
    [3, 0.5],
  ]);
});

it('takes turns in a balanced order, and pools every window’s requests into one figure', async () => {
  // One request in 50 of the last load takes 300 ms: 2% of its requests, so its p99 (over every
  // request of its windows) is one of them, and its median is not.
  const targets = [
    { url: await answering('a') },
    { url: await answering('b') },
    { url: await answering('c', { every: 50, delayMs: 300 }) },
  ];
  const order: number[] = [];
  const windows: { count: number; wallSeconds: number }[][] = [[], [], []];
  const figures = await httpLoadsTakingTurns({ connections: 2, seconds: 6, rounds: 6 }, targets, async (k, window) => {
    order.push(k);
    const started = performance.now();
    const w = await window();
    windows[k]!.push({ count: w.count, wallSeconds: (performance.now() - started) / 1000 });
    return w;
  });
  expect(order).toEqual(balancedOrders(3).flat());
  figures.forEach((f, k) => {
    expect(f.errors).toBe(0);
    expect(f.count).toBe(windows[k]!.reduce((a, w) => a + w.count, 0));
    // Each window's rate, in the order the windows ran: its count over its own length, which is at
    // least the second asked for and at most the wall time around it (autocannon stops at its next
    // 100 ms sample, later on a busy machine, and rounds to 10 ms).
    expect(f.windowRates).toHaveLength(6);
    f.windowRates!.forEach((rate, i) => {
      const { count, wallSeconds } = windows[k]![i]!;
      expect(rate).toBeLessThanOrEqual(count / 0.99);
      expect(rate).toBeGreaterThanOrEqual(count / (wallSeconds + 0.01));
    });
  });
  expect(figures[2]!.p99).toBeGreaterThanOrEqual(250);
  expect(figures[2]!.p50).toBeLessThan(100);
  expect(figures[0]!.p99).toBeLessThan(100);
}, 90_000);

it('refuses a number of rounds that is not a whole balanced design', async () => {
  const targets = [{ url: await answering('a') }, { url: await answering('b') }, { url: await answering('c') }];
  await expect(httpLoadsTakingTurns({ connections: 1, seconds: 1, rounds: 3 }, targets)).rejects.toThrow(
    /multiple of 6 rounds/,
  );
});

it('takes turns between closed loops in a balanced order, each window counted by its own loop', async () => {
  const order: number[] = [];
  const counted: { count: number; wallSeconds: number }[][] = [[], []];
  const sleep = (ms: number) => () => new Promise<void>((resolve) => setTimeout(resolve, ms));
  const [a, b] = await closedLoopsTakingTurns(
    { clients: 2, seconds: 2, rounds: 4 },
    [sleep(5), sleep(20)],
    async (k, window) => {
      order.push(k);
      const started = performance.now();
      const count = await window();
      counted[k]!.push({ count, wallSeconds: (performance.now() - started) / 1000 });
    },
  );
  expect(order).toEqual([0, 1, 1, 0, 0, 1, 1, 0]);
  const sum = (ws: { count: number }[]) => ws.reduce((n, w) => n + w.count, 0);
  expect([a.count, b.count]).toEqual(counted.map(sum));
  // Each window's rate, in the order the windows ran: its count over its own length, which is at
  // least the half second asked for (the loop stops only after it) and at most the wall time
  // around it.
  [a, b].forEach((f, k) => {
    expect(f.windowRates).toHaveLength(4);
    f.windowRates!.forEach((rate, i) => {
      const { count, wallSeconds } = counted[k]![i]!;
      expect(rate).toBeLessThanOrEqual(count / 0.5);
      expect(rate).toBeGreaterThanOrEqual(count / wallSeconds);
    });
  });
  // Two clients sleeping 5 ms and 20 ms per operation: more a's (about four times as many).
  expect(a.count).toBeGreaterThan(b.count);
}, 60_000);

it('refuses closed loops in a number of rounds that is not a whole balanced design', async () => {
  const idle = () => Promise.resolve();
  await expect(closedLoopsTakingTurns({ clients: 1, seconds: 1, rounds: 4 }, [idle, idle, idle])).rejects.toThrow(
    /multiple of 6 rounds/,
  );
});

it("meters each process's CPU per operation over the measured windows only", async () => {
  // CPU time, not wall time: on a busy machine this process may get less than a core.
  const burn = (ms: number) => {
    const from = process.cpuUsage();
    while ((({ user, system }) => user + system)(process.cpuUsage(from)) < ms * 1000);
  };
  const meter = new CpuMeter({ self: process.pid, unknown: undefined });
  await meter.measure(async () => {
    burn(200);
    return 10;
  });
  burn(300); // between windows: not counted
  await meter.measure(async () => {
    burn(200);
    return 10;
  });
  // 400 ms of CPU over 20 operations: 20 ms each, read from /proc in 10 ms ticks and from
  // process.cpuUsage(); the 300 ms between the windows would make it 35.
  for (const name of ['self', 'load'] as const) {
    expect(meter.perOperation(name)).toBeGreaterThan(15_000);
    expect(meter.perOperation(name)).toBeLessThan(28_000);
  }
  expect(meter.perOperation('unknown')).toBeNaN();
  // The whole machine was busy at least with this process, and at most with every CPU it has.
  expect(meter.perOperation('machine')).toBeGreaterThan(15_000);
  expect(meter.busyCores()).toBeGreaterThan(0.5);
  expect(meter.busyCores()).toBeLessThanOrEqual(os.availableParallelism() + 0.1);
});

it('keeps work left running beside a loop as what it settles to, the first error after all', async () => {
  const beside = new Beside();
  let finished = 0;
  const later = (ms: number, fail?: string) =>
    new Promise<void>((resolve, reject) =>
      setTimeout(() => {
        finished++;
        if (fail) reject(new Error(fail));
        else resolve();
      }, ms),
    );
  beside.add(later(30));
  beside.add(later(10, 'first'));
  beside.add(later(20, 'second'));
  // Rejected while nothing awaits them: no unhandled rejection ends the test process.
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect((await beside.firstError())?.message).toBe('first');
  expect(finished).toBe(3);
  const none = new Beside();
  none.add(later(1));
  expect(await none.firstError()).toBeUndefined();
});
