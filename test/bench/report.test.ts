/** The benchmark's table: a figure's share of its ceiling, how far its rounds spread, and the flat-cost verdict. */
import type { Figure } from '../../scripts/bench/load';
import { met, Row, shareText } from '../../scripts/bench/report';

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
