/**
 * Top-up through PhonePe (shared/design/workflows.md, "Top-up"):
 *   record the payment → create the PhonePe order (the API gets the redirect URL through
 *   update-with-start) → wait for a webhook or PhonePe's polling schedule, deciding only on the
 *   Order Status API → credit PHONEPE_CLEARING → wallet once, or fail.
 * A pending order past its deadline keeps being polled (late successes are credited); after
 * the late window, or when PhonePe confirms a different amount, an operator decides.
 */
import {
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { formatRupees, Paise } from '../domain/money';
import { nextPoll, paymentDeadlineMs, PollingPlan } from '../domain/polling';
import { compensations, steps } from './activityPolicies';
import { PaymentView, TopUpStarted, topUpStartedUpdate } from './messages';
import { operatorName, PaymentProgress } from './progress';
import { ProviderRefKey } from './searchAttributes';

export interface TopUpInput {
  paymentId: string;
  userId: number;
  userCode: string;
  amount: Paise;
  /** Where PhonePe sends the customer's browser after paying. */
  redirectUrl: string;
  expireAfterSeconds: number;
  polling: PollingPlan;
  /**
   * How long the customer has, in ms; by default PhonePe's own expiry. Tests and demos with a
   * compressed polling plan compress this too (PhonePe will not expire an order under 300 s).
   */
  awaitingWindowMs?: number;
}

// Order creation is bounded: the customer is waiting for a redirect URL.
const orderActs = proxyActivities<Activities>({
  startToCloseTimeout: '20 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 seconds', maximumAttempts: 4 },
});

export async function topUpWorkflow(input: TopUpInput): Promise<PaymentView> {
  const { paymentId, amount } = input;
  const progress = new PaymentProgress('topup', paymentId, steps.recordPaymentStatus);
  let started: TopUpStarted | undefined;
  let startError: string | undefined;
  setHandler(topUpStartedUpdate, async () => {
    await condition(() => started !== undefined || startError !== undefined);
    if (startError) throw ApplicationFailure.nonRetryable(startError, 'provider_unavailable');
    return started!;
  });

  /** PhonePe confirmed a different amount: kept so an operator's "succeeded" credits what was paid. */
  let confirmedAmount: Paise | undefined;
  let providerTxn: { transactionId?: string; paymentMode?: string } = {};

  const credit = async (paid: Paise, note: string, actor?: string) => {
    progress.step = 'crediting the wallet';
    await steps.creditTopUp({ paymentId, userId: input.userId, amount: paid, ...providerTxn });
    await progress.moveTo('COMPLETED', note, { actor, failureReason: null });
  };
  const fail = async (reason: string, actor?: string) => {
    progress.step = 'recording the failure';
    await steps.failTopUp({ paymentId, reason });
    await progress.moveTo('FAILED', reason, { actor, failureReason: reason });
  };

  /** One look at PhonePe's Order Status; true when the payment is settled by it. */
  const checkOrder = async (): Promise<boolean> => {
    progress.step = 'asking PhonePe for the order status';
    const st = await steps.checkPhonePeOrder(paymentId);
    progress.providerChecks++;
    progress.lastProviderState = st.state;
    providerTxn = { transactionId: st.transactionId, paymentMode: st.paymentMode };
    if (st.state === 'COMPLETED') {
      if (st.amount === amount) {
        await credit(amount, 'PhonePe confirmed the payment');
        return true;
      }
      confirmedAmount = st.amount;
      await progress.moveTo(
        'NEEDS_ATTENTION',
        `PhonePe confirmed ₹${formatRupees(st.amount)} but ₹${formatRupees(amount)} was asked; not credited`,
      );
      return false;
    }
    if (st.state === 'FAILED') {
      await fail(`PhonePe reported the payment failed${st.errorCode ? ` (${st.errorCode})` : ''}`);
      return true;
    }
    return false;
  };

  /** Parked: only a recheck that settles it, or an operator, moves the payment on. */
  const awaitOperator = async (): Promise<void> => {
    for (;;) {
      progress.step = 'waiting for an operator (recheck or resolve)';
      await condition(() => progress.hasNews());
      const decision = progress.decision;
      if (decision) {
        const note = `operator: ${decision.reason}`;
        if (decision.outcome === 'succeeded') await credit(confirmedAmount ?? amount, note, operatorName(decision));
        else await fail(note, operatorName(decision));
        return;
      }
      progress.takeNews();
      if (confirmedAmount === undefined && (await checkOrder())) return;
    }
  };

  try {
    progress.step = 'recording the payment';
    await steps.startTopUp({ paymentId, userId: input.userId, amount });

    progress.step = 'creating the PhonePe order';
    let expireAt: number;
    let redirectUrl: string | null = null;
    try {
      const order = await orderActs.createPhonePeOrder({
        paymentId,
        amount,
        redirectUrl: input.redirectUrl,
        expireAfterSeconds: input.expireAfterSeconds,
      });
      expireAt = order.expireAt;
      redirectUrl = order.redirectUrl;
      if (!redirectUrl) startError = 'PhonePe created the order but its payment page could not be retrieved; start a new top-up';
    } catch (err) {
      // Rejected, or unknown after every retry: only PhonePe knows whether the order exists.
      const st = await steps.checkPhonePeOrder(paymentId);
      if (st.state === 'NOT_FOUND') {
        startError = `PhonePe did not create the order: ${(err as Error).message}`;
        await fail(startError);
        return progress.view();
      }
      startError = 'PhonePe created the order but its payment page could not be retrieved; start a new top-up';
      expireAt = st.expireAt ?? Date.now() + input.expireAfterSeconds * 1000;
    }

    const createdAt = Date.now();
    const expiryMs = input.awaitingWindowMs ?? Math.max(0, expireAt - createdAt);
    progress.deadline = createdAt + paymentDeadlineMs(input.polling, expiryMs);
    upsertSearchAttributes([{ key: ProviderRefKey, value: paymentId }]);
    await progress.moveTo('AWAITING_PAYMENT', 'PhonePe order created', { providerRef: paymentId });
    // Answered only now, so a client that reads the payment right after sees what we told it.
    if (redirectUrl) started = { paymentId, status: progress.status, redirectUrl, expiresAt: new Date(expireAt).toISOString() };

    for (;;) {
      if (progress.decision) {
        await awaitOperator();
        break;
      }
      const next = nextPoll(input.polling, Date.now() - createdAt, expiryMs);
      if (!next) {
        await progress.moveTo('NEEDS_ATTENTION', 'PhonePe gave no final answer within the late window');
        await awaitOperator();
        break;
      }
      if (next.phase === 'late' && progress.status === 'AWAITING_PAYMENT') {
        await progress.moveTo('PROCESSING', 'past the payment deadline and still PENDING at PhonePe; polling slowly');
      }
      progress.step = `waiting for PhonePe (webhook or next status check at ${new Date(createdAt + next.atMs).toISOString()})`;
      await progress.waitForNews(createdAt + next.atMs - Date.now());
      if (progress.decision) continue;
      progress.takeNews();
      if (await checkOrder()) break;
      if (progress.status === 'NEEDS_ATTENTION') {
        await awaitOperator();
        break;
      }
    }
    // Let an operator's update call receive its answer before the workflow closes.
    await condition(allHandlersFinished);
    return progress.view();
  } catch (err) {
    if (!isCancellation(err)) throw err;
    // Cancelled from the UI: money PhonePe collected must still reach the wallet.
    await CancellationScope.nonCancellable(async () => {
      if (progress.status === 'COMPLETED' || progress.status === 'FAILED') return;
      if (progress.status !== 'CREATED' && (await checkOrder())) return;
      if (progress.status !== 'NEEDS_ATTENTION') await fail('cancelled by an operator before PhonePe confirmed a payment');
    });
    throw err;
  }
}
