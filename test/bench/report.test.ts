/** The benchmark's table: a figure's share of its ceiling, and how far its rounds spread. */
import type { Figure } from '../../scripts/bench/load';
import { shareText } from '../../scripts/bench/report';

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
