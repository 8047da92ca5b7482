/**
 * Compensation (release a hold) must happen even if the workflow is being cancelled, and must
 * never be skipped quietly: a payment is never FAILED while it holds money. It runs
 * non-cancellable; its activity retries on its own bounded policy; when that gives up, the
 * payment parks in NEEDS_ATTENTION and tries again on `recheck` or by itself every minute.
 *
 * Built on it, what every payment holding money for a provider (payout, recharge, bill, refund)
 * shares: `releaseThenFail`, the only way such a payment reaches FAILED, and
 * `applyOperatorDecision`, which checks an operator's "failed" with the provider before any
 * money goes back.
 */
import { CancellationScope, condition } from '@temporalio/workflow';
import { operatorName, PaymentProgress } from './progress';
import { failureMessage } from './refusals';

/** A parked compensation tries again by itself this often (a recheck retries at once). */
export const PARKED_COMPENSATION_RETRY_MS = 60_000;

/**
 * 'done' once the action succeeded. When `operatorMayTakeOver`, an operator decision arriving
 * while parked is handed back ('operator-decided') for the caller to apply; otherwise (the
 * action is how a decision is being applied) only success ends the loop.
 */
export async function compensate(
  progress: PaymentProgress,
  what: string,
  action: () => Promise<void>,
  opts: { operatorMayTakeOver: boolean },
): Promise<'done' | 'operator-decided'> {
  return CancellationScope.nonCancellable(async () => {
    for (;;) {
      progress.step = what;
      try {
        await action();
        progress.decisionParked = false;
        return 'done';
      } catch (err) {
        const settle = opts.operatorMayTakeOver ? ', or operatorResolve to settle' : '';
        await progress.moveTo(
          'NEEDS_ATTENTION',
          `could not ${what}: ${failureMessage(err)}; the money stays held and it is tried again every minute (send recheck to retry now${settle})`,
        );
        if (!opts.operatorMayTakeOver) progress.decisionParked = true;
        progress.step = `parked: could not ${what}`;
        const wakes = opts.operatorMayTakeOver ? () => progress.hasNews() : () => progress.hasRecheckOrEvent();
        await condition(wakes, PARKED_COMPENSATION_RETRY_MS);
        if (opts.operatorMayTakeOver && progress.decision) return 'operator-decided';
        progress.takeNews();
      }
    }
  });
}

/** Money a payment holds for a provider, and how to give it back. */
export interface HeldMoney {
  isHeld(): boolean;
  /** What giving it back is called, in the payment's words ("release the held amount"). */
  what: string;
  /** Gives it back; the caller marks it no longer held. */
  release(reason: string): Promise<void>;
}

/**
 * The shared end of a payment that failed: its held money goes back to the wallet (parking
 * while it cannot), then FAILED; never FAILED while money is held. When `actor` is set this is
 * how an operator's decision is applied; otherwise a decision arriving while the release is
 * parked is handed back ('operator-decided') for the caller to apply instead.
 */
export async function releaseThenFail(
  progress: PaymentProgress,
  money: HeldMoney,
  failure: { note: string; reason: string; actor?: string },
): Promise<'failed' | 'operator-decided'> {
  if (money.isHeld()) {
    const released = await compensate(progress, money.what, () => money.release(failure.reason), {
      operatorMayTakeOver: failure.actor === undefined,
    });
    if (released === 'operator-decided') return 'operator-decided';
  }
  await progress.moveTo('FAILED', failure.note, {
    failureReason: failure.reason,
    ...(failure.actor ? { actor: failure.actor } : {}),
  });
  return 'failed';
}

/**
 * An operator's decision on money held for a provider. "succeeded" captures it; "failed" asks the
 * provider once first, and money it paid out is captured, never given back; otherwise the hold
 * is released (parking while it cannot be), then FAILED.
 */
export async function applyOperatorDecision<Answer>(
  progress: PaymentProgress,
  money: HeldMoney,
  provider: {
    /** One quick look at the provider (a single attempt); undefined when unanswered. */
    askOnce(): Promise<Answer | undefined>;
    /** What the provider confirmed, in words, when its answer says it paid; undefined otherwise. */
    paid(answer: Answer): string | undefined;
    /** Captures the hold; `answer` is the provider's when it, not the operator, confirmed the payment. */
    capture(note: string, actor: string, answer?: Answer): Promise<void>;
    /** Called before a "failed" decision releases the money (e.g. to set the failure code). */
    failing?(): void;
  },
): Promise<void> {
  const d = progress.decision!;
  const actor = operatorName(d);
  const note = `operator: ${d.reason}`;
  if (d.outcome === 'succeeded') return provider.capture(note, actor);
  const answer = await CancellationScope.nonCancellable(() => provider.askOnce());
  const paid = answer === undefined ? undefined : provider.paid(answer);
  if (paid) return provider.capture(`${note}; but ${paid}, so the amount was captured, not released`, actor, answer);
  provider.failing?.();
  await releaseThenFail(progress, money, { note, reason: d.reason, actor });
}
