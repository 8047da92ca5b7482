/**
 * The wait every payment with a provider shares (top-up, payout, recharge, bill, refund): a
 * webhook wakes it, status checks follow the polling plan, an operator can take over at any
 * point, and once the plan is over it waits for an operator while a recheck still asks the
 * provider. The payment says what an answer means; this says only when to ask.
 */
import { condition } from '@temporalio/workflow';
import { NextPoll, nextPoll, PollingPlan } from '../domain/polling';
import type { PaymentProgress } from './progress';

export interface ProviderWait {
  progress: PaymentProgress;
  /** Whose answer it waits for, in words: "the bank", "PhonePe". */
  who: string;
  polling: PollingPlan;
  /** Epoch ms the plan counts from (when the order was sent). */
  since: number;
  /** The order's own lifetime in ms (a top-up's expiry); the plan's late phase follows it. */
  expiryMs?: number;
  /** True when no scheduled check is due any more: only a recheck, a webhook or a decision wakes it. */
  waitsForOperator?: () => boolean;
  /** The plan is over without a final answer (called before each operator wait): park. */
  parkForOperator: () => Promise<void>;
  /** Before each scheduled wait (a top-up past its deadline turns PROCESSING). */
  beforeScheduledWait?: (next: NextPoll) => Promise<void>;
  /** Asks the provider again and acts on its answer; true once the payment is settled. */
  askAgain: () => Promise<boolean>;
  /** Applies the operator's decision; the payment is settled when it returns. */
  applyDecision: () => Promise<void>;
}

/** Returns once the payment is settled, by the provider's answer or an operator's decision. */
export async function waitForProvider(w: ProviderWait): Promise<void> {
  const { progress } = w;
  for (;;) {
    if (progress.decision) return w.applyDecision();
    const next = w.waitsForOperator?.() ? null : nextPoll(w.polling, Date.now() - w.since, w.expiryMs ?? 0);
    if (next) {
      await w.beforeScheduledWait?.(next);
      progress.step = `waiting for ${w.who} (webhook or status check at ${new Date(w.since + next.atMs).toISOString()})`;
      await progress.waitForNews(w.since + next.atMs - Date.now());
    } else {
      await w.parkForOperator();
      progress.step = 'waiting for an operator (recheck or resolve)';
      await condition(() => progress.hasNews());
    }
    if (progress.decision) continue;
    progress.takeNews();
    if (await w.askAgain()) return;
  }
}
