/**
 * When to ask a provider for an order's status while waiting for it. PhonePe prescribes, for
 * Standard Checkout: first check 20–25 s after creation, then every 3 s for 30 s, every 6 s
 * for 60 s, every 10 s for 60 s, every 30 s for 60 s, then every minute until the order's
 * expiry (plus a grace period). After that we keep asking every few minutes for a long window
 * (late successes are real), then hand over to an operator.
 *
 * Pure and time-based: given how long we have waited, it says when to look next, so the same
 * answer comes back after a worker restart or an early wake-up by a webhook. Every duration is
 * data, so tests run the whole schedule in seconds.
 */
export interface PollingPlan {
  firstCheckMs: number;
  phases: ReadonlyArray<{ everyMs: number; forMs: number }>;
  /** Cadence from the end of the phases until expiry + grace. */
  steadyEveryMs: number;
  graceMs: number;
  /** After expiry + grace: slow polling for this long (status PROCESSING), then NEEDS_ATTENTION. */
  lateEveryMs: number;
  lateWindowMs: number;
}

export const PHONEPE_POLLING: PollingPlan = {
  firstCheckMs: 22_000,
  phases: [
    { everyMs: 3_000, forMs: 30_000 },
    { everyMs: 6_000, forMs: 60_000 },
    { everyMs: 10_000, forMs: 60_000 },
    { everyMs: 30_000, forMs: 60_000 },
  ],
  steadyEveryMs: 60_000,
  graceMs: 5 * 60_000,
  lateEveryMs: 5 * 60_000,
  lateWindowMs: 48 * 3_600_000,
};

/**
 * Payouts, recharges and bill payments: the provider usually answers within seconds and tells
 * us by webhook; checks are a safety net that slows down as the order ages. No customer-facing
 * expiry: after the phases, every 5 minutes for 48 h (BBPS allows pending payments that long),
 * then an operator looks at it. A pending order is never sent again.
 */
export const PROVIDER_ORDER_POLLING: PollingPlan = {
  firstCheckMs: 5_000,
  phases: [
    { everyMs: 5_000, forMs: 60_000 },
    { everyMs: 30_000, forMs: 10 * 60_000 },
    { everyMs: 60_000, forMs: 60 * 60_000 },
  ],
  steadyEveryMs: 5 * 60_000,
  graceMs: 0,
  lateEveryMs: 5 * 60_000,
  lateWindowMs: 48 * 3_600_000,
};

/** Scales every duration (tests use e.g. 1/1000 to run the plan in milliseconds). */
export function scalePlan(plan: PollingPlan, factor: number): PollingPlan {
  const s = (ms: number) => Math.max(1, Math.round(ms * factor));
  return {
    firstCheckMs: s(plan.firstCheckMs),
    phases: plan.phases.map((p) => ({ everyMs: s(p.everyMs), forMs: s(p.forMs) })),
    steadyEveryMs: s(plan.steadyEveryMs),
    graceMs: s(plan.graceMs),
    lateEveryMs: s(plan.lateEveryMs),
    lateWindowMs: s(plan.lateWindowMs),
  };
}

export type PollPhase = 'waiting' | 'late';

export interface NextPoll {
  /** Milliseconds after the start at which to check next. */
  atMs: number;
  phase: PollPhase;
}

/**
 * The next check strictly after `elapsedMs` (time since the order was created), or null when
 * the late window is over. `expiryMs` is the order's lifetime (from the provider's expireAt).
 */
export function nextPoll(plan: PollingPlan, elapsedMs: number, expiryMs: number): NextPoll | null {
  let t = plan.firstCheckMs;
  if (t > elapsedMs) return { atMs: t, phase: 'waiting' };
  for (const phase of plan.phases) {
    const end = t + phase.forMs;
    if (elapsedMs < end) {
      const n = Math.floor((elapsedMs - t) / phase.everyMs) + 1;
      return { atMs: Math.min(t + n * phase.everyMs, end), phase: 'waiting' };
    }
    t = end;
  }
  const deadline = Math.max(t, expiryMs + plan.graceMs);
  if (elapsedMs < deadline) {
    const n = Math.floor((elapsedMs - t) / plan.steadyEveryMs) + 1;
    return { atMs: Math.min(t + n * plan.steadyEveryMs, deadline), phase: 'waiting' };
  }
  const lateEnd = deadline + plan.lateWindowMs;
  if (elapsedMs >= lateEnd) return null;
  const n = Math.floor((elapsedMs - deadline) / plan.lateEveryMs) + 1;
  return { atMs: Math.min(deadline + n * plan.lateEveryMs, lateEnd), phase: 'late' };
}

/** Past expiry + grace the payment is PROCESSING (late), no longer AWAITING_PAYMENT. */
export function paymentDeadlineMs(plan: PollingPlan, expiryMs: number): number {
  const phasesEnd = plan.firstCheckMs + plan.phases.reduce((s, p) => s + p.forMs, 0);
  return Math.max(phasesEnd, expiryMs + plan.graceMs);
}
