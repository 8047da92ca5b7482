import fc from 'fast-check';
import { nextPoll, paymentDeadlineMs, PHONEPE_POLLING, scalePlan } from '../../domain/polling';

/** Every check the plan makes from creation to the end, by repeatedly asking for the next. */
function schedule(expiryMs: number, plan = PHONEPE_POLLING): number[] {
  const out: number[] = [];
  let t = 0;
  for (let n = nextPoll(plan, t, expiryMs); n; n = nextPoll(plan, t, expiryMs)) {
    out.push(n.atMs);
    t = n.atMs;
  }
  return out;
}

describe('PhonePe polling schedule', () => {
  const fifteenMinutes = 15 * 60_000;
  const s = schedule(fifteenMinutes);

  it('first checks between 20 and 25 seconds', () => {
    expect(s[0]).toBeGreaterThanOrEqual(20_000);
    expect(s[0]).toBeLessThanOrEqual(25_000);
  });

  it('then every 3 s for 30 s, 6 s for 60 s, 10 s for 60 s, 30 s for 60 s, then every minute', () => {
    const gaps = s.slice(1, 40).map((t, i) => t - s[i]!);
    expect(gaps.slice(0, 10)).toEqual(Array(10).fill(3_000));
    expect(gaps.slice(10, 20)).toEqual(Array(10).fill(6_000));
    expect(gaps.slice(20, 26)).toEqual(Array(6).fill(10_000));
    expect(gaps.slice(26, 28)).toEqual(Array(2).fill(30_000));
    expect(gaps[28]).toBe(60_000);
  });

  it('polls every minute until expiry plus grace, then every 5 minutes for 48 hours, then stops', () => {
    const deadline = paymentDeadlineMs(PHONEPE_POLLING, fifteenMinutes);
    expect(deadline).toBe(fifteenMinutes + 5 * 60_000);
    expect(s).toContain(deadline);
    const late = s.filter((t) => t > deadline);
    expect(late.every((t, i) => t - (i === 0 ? deadline : late[i - 1]!) === 5 * 60_000)).toBe(true);
    expect(s[s.length - 1]).toBe(deadline + 48 * 3_600_000);
    expect(nextPoll(PHONEPE_POLLING, s[s.length - 1]!, fifteenMinutes)).toBeNull();
    expect(nextPoll(PHONEPE_POLLING, deadline - 1, fifteenMinutes)!.phase).toBe('waiting');
    expect(nextPoll(PHONEPE_POLLING, deadline, fifteenMinutes)!.phase).toBe('late');
  });

  it('from any moment, the next check is later and is the one the full schedule has', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3_600_000 }),
        fc.integer({ min: 0, max: 50 * 3_600_000 }),
        (expiry, elapsed) => {
          const plan = PHONEPE_POLLING;
          const next = nextPoll(plan, elapsed, expiry);
          if (!next) return elapsed >= paymentDeadlineMs(plan, expiry) + plan.lateWindowMs;
          // Resuming after a restart or an early webhook wake-up lands back on the schedule.
          const resumed = nextPoll(plan, next.atMs - 1, expiry);
          return next.atMs > elapsed && resumed !== null && resumed.atMs === next.atMs;
        },
      ),
    );
  });

  it('scales for tests without changing the shape', () => {
    const fast = scalePlan(PHONEPE_POLLING, 1 / 1000);
    expect(fast.firstCheckMs).toBe(22);
    expect(schedule(900, fast).length).toBe(schedule(900_000).length);
  });
});
