/**
 * Top-up through PhonePe:
 *   record the payment → create the PhonePe order (the API gets the redirect URL through
 *   update-with-start) → wait for a webhook or PhonePe's polling schedule, deciding only on the
 *   Order Status API → credit PHONEPE_CLEARING → wallet once, or fail.
 * A pending order past its deadline keeps being polled (late successes are credited); after
 * the late window, or when PhonePe confirms a different amount, an operator decides.
 *
 * An order whose payment page was lost (PhonePe created it, but its answer never reached us:
 * a timeout, a worker killed in between) cannot be paid by anyone; the top-up creates a new
 * order under a new merchant order id, so the client's retry gets a working page. The lost
 * order is asked once more before the top-up is ever failed. When no page can be had at all,
 * the client is told to start a new top-up (409), never to retry for ever.
 */
import {
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { OrderCheck } from '../activities/topup';
import { formatRupees, Paise } from '../domain/money';
import { paymentDeadlineMs, PollingPlan } from '../domain/polling';
import { merchantOrderIdOf } from '../domain/payments';
import { policies, recordStatus } from './activityPolicies';
import { PaymentView, RecoveryStart, TopUpStarted, topUpStartedUpdate } from './messages';
import { operatorName, PaymentProgress } from './progress';
import { waitForProvider } from './providerWait';
import { failureMessage } from './refusals';
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
  /** How long one PhonePe status check may keep retrying (absent in older histories). */
  providerCallBudgetMs?: number;
  /** Set for a recovery run of an orphaned top-up. */
  recovery?: RecoveryStart;
}

/** Orders created for one top-up at most: the first, and two more if pages get lost. */
const MAX_ORDERS = 3;

export async function topUpWorkflow(input: TopUpInput): Promise<PaymentView> {
  const { paymentId, amount } = input;
  const progress = new PaymentProgress('topup', paymentId, recordStatus, input.recovery?.status);
  const { steps, provider: phonepe, orderCreation } = policies(() => progress.step, input.providerCallBudgetMs);
  let started: TopUpStarted | undefined;
  let startError: { message: string; type: string } | undefined;
  setHandler(topUpStartedUpdate, async () => {
    await condition(() => started !== undefined || startError !== undefined);
    if (startError) throw ApplicationFailure.nonRetryable(startError.message, startError.type);
    return started!;
  });

  /** PhonePe's merchant order ids of this top-up, the live one last. */
  const orders = [paymentId];
  const current = () => orders[orders.length - 1]!;
  /** PhonePe confirmed a different amount: kept so an operator's "succeeded" credits what was paid. */
  let confirmedAmount: Paise | undefined;
  let providerTxn: { transactionId?: string; paymentMode?: string } = {};

  const credit = async (paid: Paise, note: string, actor?: string) => {
    progress.step = 'crediting the wallet';
    await steps.creditTopUp({ paymentId, userId: input.userId, amount: paid, ...providerTxn });
    await progress.moveTo('COMPLETED', note, { actor, failureReason: null });
  };
  const fail = async (reason: string, actor?: string) => {
    // A lost order nobody had the page of cannot have been paid; asked anyway before failing.
    for (const lost of orders.slice(0, -1)) if (await settledBy(lost)) return;
    progress.step = 'recording the failure';
    await steps.failTopUp({ paymentId, reason });
    await progress.moveTo('FAILED', reason, { actor, failureReason: reason });
  };

  /** PhonePe's answer for one order; undefined when it could not be reached within the call budget. */
  const ask = async (merchantOrderId: string): Promise<OrderCheck | undefined> => {
    progress.step = 'asking PhonePe for the order status';
    try {
      const st = await phonepe.checkPhonePeOrder(merchantOrderId);
      progress.providerChecks++;
      progress.lastProviderState = st.state;
      return st;
    } catch (err) {
      if (isCancellation(err) || CancellationScope.current().consideredCancelled) throw err;
      progress.lastProviderState = 'UNREACHABLE';
      progress.step = `PhonePe could not be asked (${failureMessage(err)}); asking again at the next check`;
      return undefined;
    }
  };

  /** A lost order that PhonePe says was paid settles the top-up (credit); true if it did. */
  const settledBy = async (merchantOrderId: string): Promise<boolean> => {
    const st = await ask(merchantOrderId);
    if (st?.state !== 'COMPLETED') return false;
    await creditConfirmed(st, `PhonePe confirmed the payment of order ${merchantOrderId}`);
    return true;
  };

  const creditConfirmed = async (st: OrderCheck, note: string): Promise<void> => {
    providerTxn = { transactionId: st.transactionId, paymentMode: st.paymentMode };
    if (st.amount === amount) return credit(amount, note);
    confirmedAmount = st.amount;
    await progress.moveTo(
      'NEEDS_ATTENTION',
      `PhonePe confirmed ₹${formatRupees(st.amount!)} but ₹${formatRupees(amount)} was asked; not credited`,
    );
  };

  /** One look at PhonePe's Order Status; true when the payment is settled by it. */
  const checkOrder = async (): Promise<boolean> => {
    const st = await ask(current());
    if (!st) return false;
    providerTxn = { transactionId: st.transactionId, paymentMode: st.paymentMode };
    if (st.state === 'COMPLETED') {
      if (st.amount === amount) {
        await credit(amount, 'PhonePe confirmed the payment');
        return true;
      }
      await creditConfirmed(st, 'PhonePe confirmed the payment');
      return false;
    }
    if (st.state === 'FAILED') {
      await fail(`PhonePe reported the payment failed${st.errorCode ? ` (${st.errorCode})` : ''}`);
      return true;
    }
    return false;
  };

  /** An operator's "succeeded" credits what PhonePe confirmed (else the amount asked); "failed" fails it. */
  const applyDecision = async (): Promise<void> => {
    const decision = progress.decision!;
    const note = `operator: ${decision.reason}`;
    if (decision.outcome === 'succeeded') await credit(confirmedAmount ?? amount, note, operatorName(decision));
    else await fail(note, operatorName(decision));
  };

  /**
   * Creates PhonePe orders until one's payment page is in hand: a lost page (PhonePe has the
   * order, we do not have its URL) is replaced by a new order. Returns when the order expires,
   * or undefined when PhonePe created nothing (the top-up has FAILED).
   */
  const createOrder = async (): Promise<{ expireAt: number; redirectUrl: string | null } | undefined> => {
    for (;;) {
      progress.step =
        orders.length === 1
          ? 'creating the PhonePe order'
          : `creating PhonePe order ${current()} (the page of the last one was lost)`;
      try {
        const order = await orderCreation.createPhonePeOrder({
          paymentId,
          ...(orders.length > 1 ? { merchantOrderId: current() } : {}),
          amount,
          redirectUrl: input.redirectUrl,
          expireAfterSeconds: input.expireAfterSeconds,
        });
        if (order.redirectUrl || orders.length >= MAX_ORDERS) return order;
      } catch (err) {
        // Rejected, or unknown after every retry: only PhonePe knows whether the order exists.
        const st = await steps.checkPhonePeOrder(current());
        if (st.state === 'NOT_FOUND') {
          if (orders.length > 1) return { redirectUrl: null, expireAt: Date.now() };
          startError = {
            message: `PhonePe did not create the order: ${(err as Error).message}`,
            type: 'provider_unavailable',
          };
          await fail(startError.message);
          return undefined;
        }
        if (orders.length >= MAX_ORDERS)
          return { redirectUrl: null, expireAt: st.expireAt ?? Date.now() + input.expireAfterSeconds * 1000 };
      }
      orders.push(merchantOrderIdOf(paymentId, orders.length + 1));
    }
  };

  try {
    let createdAt: number;
    let expiryMs: number;
    if (input.recovery) {
      // The earlier workflow stopped: a credit already posted settles it; otherwise watch the order.
      startError = { message: 'this top-up is being recovered by ops; read its status instead', type: 'invalid_state' };
      const money = await steps.inspectMoney({ kind: 'topup', paymentId });
      if (money.settled) {
        await progress.moveTo('COMPLETED', 'recovery: the wallet had already been credited', { failureReason: null });
        return progress.view();
      }
      createdAt = Date.now();
      expiryMs = 0;
      progress.deadline = createdAt;
      if (!progress.decision && !(await checkOrder()) && confirmedAmount === undefined) {
        await progress.moveTo('PROCESSING', `recovery: PhonePe says ${progress.lastProviderState}; polling`);
      }
    } else {
      progress.step = 'recording the payment';
      await steps.startTopUp({ paymentId, userId: input.userId, amount });
      const order = await createOrder();
      if (!order) return progress.view();
      if (!order.redirectUrl) {
        startError = {
          message:
            'PhonePe created the order but its payment page could not be retrieved, and new orders did not help; start a new top-up',
          type: 'topup_page_lost',
        };
      }
      createdAt = Date.now();
      expiryMs = input.awaitingWindowMs ?? Math.max(0, order.expireAt - createdAt);
      progress.deadline = createdAt + paymentDeadlineMs(input.polling, expiryMs);
      upsertSearchAttributes([{ key: ProviderRefKey, value: current() }]);
      await progress.moveTo(
        'AWAITING_PAYMENT',
        orders.length > 1
          ? `PhonePe order ${current()} created (the page of the first was lost)`
          : 'PhonePe order created',
        {
          providerRef: current(),
        },
      );
      // Answered only now, so a client that reads the payment right after sees what we told it.
      if (order.redirectUrl)
        started = {
          paymentId,
          status: progress.status,
          redirectUrl: order.redirectUrl,
          expiresAt: new Date(order.expireAt).toISOString(),
        };
    }

    if (!['COMPLETED', 'FAILED'].includes(progress.status)) {
      await waitForProvider({
        progress,
        who: 'PhonePe',
        polling: input.polling,
        since: createdAt,
        expiryMs,
        // Parked (PhonePe confirmed a different amount, or never answered): an operator decides.
        waitsForOperator: () => progress.status === 'NEEDS_ATTENTION',
        parkForOperator: () =>
          progress.moveTo('NEEDS_ATTENTION', 'PhonePe gave no final answer within the late window'),
        beforeScheduledWait: async (next) => {
          if (next.phase === 'late' && progress.status === 'AWAITING_PAYMENT') {
            await progress.moveTo(
              'PROCESSING',
              'past the payment deadline and still PENDING at PhonePe; polling slowly',
            );
          }
        },
        // A confirmed but different amount is not asked about again: only an operator settles it.
        askAgain: async () => confirmedAmount === undefined && (await checkOrder()),
        applyDecision,
      });
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
      if (progress.lastProviderState === 'UNREACHABLE') {
        await progress.moveTo(
          'NEEDS_ATTENTION',
          'cancelled by an operator while PhonePe could not be asked; recheck it once PhonePe answers',
        );
      } else if (progress.status !== 'NEEDS_ATTENTION')
        await fail('cancelled by an operator before PhonePe confirmed a payment');
    });
    throw err;
  }
}
