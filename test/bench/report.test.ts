/**
 * The benchmark's tables: a figure's share of its ceiling, how far its rounds spread, the
 * flat-cost verdict, and how far answers sent back to back ran above the cores' floor.
 */
import type { Figure } from '../../scripts/bench/load';
import { answerFloors, CpuRow, met, Row, shareText } from '../../scripts/bench/report';

const figure = (rate: number, windowRates?: number[]): Figure => ({
  rate,
  p50: 1,
  p99: 2,
  count: 100,
  errors: 0,
  ...(windowRates ? { windowRates } : {}),
});

it("shows the pooled share, and the lowest and highest of the rounds' own shares", () => {
  // Rounds at 60/100, 70/100 and 66/110: 60%, 70% and 60%.
  expect(shareText(figure(65, [60, 70, 66]), figure(103, [100, 100, 110]))).toBe('63% (60–70)');
});

it('shows the share alone when the two do not have the same two or more rounds', () => {
  expect(shareText(figure(50), figure(100))).toBe('50%');
  expect(shareText(figure(50, [50, 50]), figure(100))).toBe('50%');
  expect(shareText(figure(50, [50, 50]), figure(100, [100, 100, 100]))).toBe('50%');
  // One round is no spread.
  expect(shareText(figure(50, [50]), figure(100, [100]))).toBe('50%');
});

describe('the flat-cost target (latency within 20% of the fresh figure)', () => {
  const flat = (figure: Partial<Figure>, fresh: Partial<Figure>): Row => ({
    what: 'flat',
    figure: { ...figureOf(), ...figure },
    vs: { ...figureOf(), ...fresh },
    target: { latencyWithin: 0.2 },
  });
  const figureOf = (): Figure => ({ rate: 100, p50: 4, p99: 9, count: 100, errors: 0 });

  it('compares HTTP loads by their mean: a whole-millisecond p50 of 5 against 4 is one tick, not a quarter slower', () => {
    expect(met(flat({ p50: 5, meanMs: 5.2 }, { p50: 4, meanMs: 5.0 }))).toBe(true);
    expect(met(flat({ p50: 4, meanMs: 6.1 }, { p50: 4, meanMs: 5.0 }))).toBe(false);
  });

  it('compares by the p50 when either figure has no mean (exact samples, as for postings)', () => {
    expect(met(flat({ p50: 2.5 }, { p50: 2.4, meanMs: 2.4 }))).toBe(true);
    expect(met(flat({ p50: 3.0 }, { p50: 2.4 }))).toBe(false);
  });
});

describe("answers sent back to back, against the cores' floor", () => {
  const row = (what: string, machineUs: number, answerMeanMs?: number): CpuRow => ({
    what,
    serverUs: 0,
    databaseUs: 0,
    loadUs: 0,
    machineUs,
    busyCores: 1.8,
    ...(answerMeanMs === undefined ? {} : { answerMeanMs }),
  });

  it("puts the floor at the machine's CPU per payment over its cores, and the mean against it", () => {
    // 153 ms of CPU a payment on 2 cores: no loop of one client answers faster than 76.5 ms on average.
    expect(answerFloors([row('recharge', 153_000, 86.1)], 2)).toEqual([
      "recharge: mean answer 86.1 ms, 1.13× its floor of 76.5 ms (the machine's CPU per payment over 2 cores)",
    ]);
    expect(answerFloors([row('recharge', 153_000, 86.1)], 4)[0]).toContain('2.25× its floor of 38.3 ms');
  });

  it('says nothing of rows without a mean answer, or whose CPU was not measured', () => {
    expect(answerFloors([row('GET /v1/me', 240), row('recharge', NaN, 90)], 2)).toEqual([]);
  });
});
