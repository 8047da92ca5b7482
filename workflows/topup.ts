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
  patched,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { CreatedOrder, OrderCheck } from '../activities/topup';
import { formatRupees, Paise } from '../domain/money';
import { paymentDeadlineMs, PollingPlan } from '../domain/polling';
import { merchantOrderIdOf } from '../domain/payments';
import { policies, Policies } from './activityPolicies';
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

/**
 * The patch behind which an order found already paid is settled from instead of replaced by a new
 * order (which the customer could pay too, while one payment per top-up is credited).
 */
export const TOPUP_FOUND_PAID = 'topup-found-paid';

/** Orders created for one top-up at most: the first, and two more if pages get lost. */
const MAX_ORDERS = 3;

export async function topUpWorkflow(input: TopUpInput): Promise<PaymentView> {
  return new TopUp(input).run();
}

/** When the wait for the customer's payment started, and how long PhonePe keeps the order open. */
interface PaymentWindow {
  createdAt: number;
  expiryMs: number;
}

class TopUp {
  private readonly progress: PaymentProgress;
  private readonly acts: Policies;
  private readonly paymentId: string;
  private readonly amount: Paise;
  /** What the API's update-with-start is answered: the payment page, or why there is none. */
  private started: TopUpStarted | undefined;
  private startError: { message: string; type: string } | undefined;
  /** PhonePe's merchant order ids of this top-up, the live one last. */
  private readonly orders: string[];
  /** PhonePe confirmed a different amount: kept so an operator's "succeeded" credits what was paid. */
  private confirmedAmount: Paise | undefined;
  private providerTxn: { transactionId?: string; paymentMode?: string } = {};

  constructor(private readonly input: TopUpInput) {
    this.paymentId = input.paymentId;
    this.amount = input.amount;
    this.orders = [input.paymentId];
    this.acts = policies(() => this.progress.step, input.providerCallBudgetMs);
    this.progress = new PaymentProgress('topup', this.paymentId, this.acts.recordStatus, input.recovery?.status);
    setHandler(topUpStartedUpdate, async () => {
      await condition(() => this.started !== undefined || this.startError !== undefined);
      if (this.startError) throw ApplicationFailure.nonRetryable(this.startError.message, this.startError.type);
      return this.started!;
    });
  }

  async run(): Promise<PaymentView> {
    try {
      const window = this.input.recovery ? await this.resume() : await this.open();
      if (!window) return this.progress.view();
      if (!this.settled()) await this.waitForPayment(window);
      // Let an operator's update call receive its answer before the workflow closes.
      await condition(allHandlersFinished);
      return this.progress.view();
    } catch (err) {
      if (!isCancellation(err)) throw err;
      await CancellationScope.nonCancellable(() => this.settleAfterCancel());
      throw err;
    }
  }

  private settled(): boolean {
    return this.progress.status === 'COMPLETED' || this.progress.status === 'FAILED';
  }

  private current(): string {
    return this.orders[this.orders.length - 1]!;
  }

  /**
   * Records the payment and opens a PhonePe order, then answers the API with its page. Undefined
   * when PhonePe created nothing (FAILED, the API told to retry later).
   */
  private async open(): Promise<PaymentWindow | undefined> {
    this.progress.step = 'recording the payment';
    await this.acts.steps.startTopUp({ paymentId: this.paymentId, userId: this.input.userId, amount: this.amount });
    const order = await this.createOrder();
    if (!order) return undefined;
    if (order.foundPaid) return this.settleFromPaidOrder();
    if (!order.redirectUrl) {
      this.startError = {
        message:
          'PhonePe created the order but its payment page could not be retrieved, and new orders did not help; start a new top-up',
        type: 'topup_page_lost',
      };
    }
    const createdAt = Date.now();
    const expiryMs = this.input.awaitingWindowMs ?? Math.max(0, order.expireAt - createdAt);
    this.progress.deadline = createdAt + paymentDeadlineMs(this.input.polling, expiryMs);
    upsertSearchAttributes([{ key: ProviderRefKey, value: this.current() }]);
    await this.progress.moveTo(
      'AWAITING_PAYMENT',
      this.orders.length > 1
        ? `PhonePe order ${this.current()} created (the page of the first was lost)`
        : 'PhonePe order created',
      { providerRef: this.current() },
    );
    // Answered only now, so a client that reads the payment right after sees what we told it.
    if (order.redirectUrl) {
      this.started = {
        paymentId: this.paymentId,
        status: this.progress.status,
        redirectUrl: order.redirectUrl,
        expiresAt: new Date(order.expireAt).toISOString(),
      };
    }
    return { createdAt, expiryMs };
  }

  /**
   * The order step found its order already paid: a workflow reset to before it finds the order
   * the first run opened, perhaps paid by its customer. No page to give, and none needed: settled
   * from it at once, as a recovery run does, from CREATED (the read model, which a reset does not
   * roll back, may be past AWAITING_PAYMENT).
   */
  private settleFromPaidOrder(): Promise<PaymentWindow> {
    this.startError = {
      message: 'this top-up was already paid at PhonePe; read its status instead',
      type: 'invalid_state',
    };
    upsertSearchAttributes([{ key: ProviderRefKey, value: this.current() }]);
    return this.askNowThenPoll(
      (state) => `PhonePe order ${this.current()} was found paid; its status says ${state}; polling`,
      { providerRef: this.current() },
    );
  }

  /**
   * Asks PhonePe about the current order now, past any deadline: settled by its answer, parked for
   * an operator (another amount), or polled from PROCESSING, noted by `polling(its last state)`.
   */
  private async askNowThenPoll(
    polling: (state: string | null) => string,
    extra: { providerRef?: string } = {},
  ): Promise<PaymentWindow> {
    const createdAt = Date.now();
    this.progress.deadline = createdAt;
    if (!this.progress.decision && !(await this.checkOrder()) && this.confirmedAmount === undefined) {
      await this.progress.moveTo('PROCESSING', polling(this.progress.lastProviderState), extra);
    }
    return { createdAt, expiryMs: 0 };
  }

  /**
   * Creates PhonePe orders until one's payment page is in hand: a lost page (PhonePe has the
   * order, we do not have its URL) is replaced by a new order, unless the order found was already
   * paid (a workflow reset to before this step finds the order it opened the first time, perhaps
   * paid): a second order then could be paid too, and only one payment is ever credited. Returns
   * the order, or undefined when PhonePe created nothing (the top-up has FAILED).
   */
  private async createOrder(): Promise<(CreatedOrder & { foundPaid?: true }) | undefined> {
    for (;;) {
      this.progress.step =
        this.orders.length === 1
          ? 'creating the PhonePe order'
          : `creating PhonePe order ${this.current()} (the page of the last one was lost)`;
      try {
        const order = await this.acts.orderCreation.createPhonePeOrder({
          paymentId: this.paymentId,
          ...(this.orders.length > 1 ? { merchantOrderId: this.current() } : {}),
          amount: this.amount,
          redirectUrl: this.input.redirectUrl,
          expireAfterSeconds: this.input.expireAfterSeconds,
        });
        // patched() only where the branch is taken: only such top-ups carry its marker (and the
        // search-attribute upsert each patch costs). An order step of the new code answering an
        // older workflow run (a rolling deploy) says `paid` to code that ignores it: replayed here,
        // no marker, the same old path.
        if (order.paid && patched(TOPUP_FOUND_PAID)) return { ...order, foundPaid: true };
        if (order.redirectUrl || this.orders.length >= MAX_ORDERS) return order;
      } catch (err) {
        // Rejected, or unknown after every retry: only PhonePe knows whether the order exists.
        const st = await this.acts.providerStep.checkPhonePeOrder(this.current());
        if (st.state === 'NOT_FOUND') {
          if (this.orders.length > 1) return { redirectUrl: null, expireAt: Date.now() };
          this.startError = {
            message: `PhonePe did not create the order: ${(err as Error).message}`,
            type: 'provider_unavailable',
          };
          await this.fail(this.startError.message);
          return undefined;
        }
        if (st.state === 'COMPLETED' && patched(TOPUP_FOUND_PAID))
          return { redirectUrl: null, expireAt: st.expireAt ?? Date.now(), foundPaid: true };
        if (this.orders.length >= MAX_ORDERS)
          return { redirectUrl: null, expireAt: st.expireAt ?? Date.now() + this.input.expireAfterSeconds * 1000 };
      }
      this.orders.push(merchantOrderIdOf(this.paymentId, this.orders.length + 1));
    }
  }

  /**
   * A recovery run: the earlier workflow stopped. A credit already posted settles it; otherwise
   * the order is asked about and watched. Undefined when it was already settled.
   */
  private async resume(): Promise<PaymentWindow | undefined> {
    this.startError = {
      message: 'this top-up is being recovered by ops; read its status instead',
      type: 'invalid_state',
    };
    const money = await this.acts.steps.inspectMoney({ kind: 'topup', paymentId: this.paymentId });
    if (money.settled) {
      await this.progress.moveTo('COMPLETED', 'recovery: the wallet had already been credited', {
        failureReason: null,
      });
      return undefined;
    }
    return this.askNowThenPoll((state) => `recovery: PhonePe says ${state}; polling`);
  }

  /** PhonePe's polling schedule (a webhook wakes it early); past the late window an operator decides. */
  private waitForPayment({ createdAt, expiryMs }: PaymentWindow): Promise<void> {
    const { progress } = this;
    return waitForProvider({
      progress,
      who: 'PhonePe',
      polling: this.input.polling,
      since: createdAt,
      expiryMs,
      // Parked (PhonePe confirmed a different amount, or never answered): an operator decides.
      waitsForOperator: () => progress.status === 'NEEDS_ATTENTION',
      parkForOperator: () => progress.moveTo('NEEDS_ATTENTION', 'PhonePe gave no final answer within the late window'),
      beforeScheduledWait: async (next) => {
        if (next.phase === 'late' && progress.status === 'AWAITING_PAYMENT') {
          await progress.moveTo('PROCESSING', 'past the payment deadline and still PENDING at PhonePe; polling slowly');
        }
      },
      // A confirmed but different amount is not asked about again: only an operator settles it.
      askAgain: async () => this.confirmedAmount === undefined && (await this.checkOrder()),
      applyDecision: () => this.applyDecision(),
    });
  }

  /** One look at PhonePe's Order Status; true when the payment is settled by it. */
  private async checkOrder(): Promise<boolean> {
    const st = await this.ask(this.current());
    if (!st) return false;
    this.providerTxn = { transactionId: st.transactionId, paymentMode: st.paymentMode };
    if (st.state === 'COMPLETED') {
      if (st.amount === this.amount) {
        await this.credit(this.amount, 'PhonePe confirmed the payment');
        return true;
      }
      await this.creditConfirmed(st, 'PhonePe confirmed the payment');
      return false;
    }
    if (st.state === 'FAILED') {
      await this.fail(`PhonePe reported the payment failed${st.errorCode ? ` (${st.errorCode})` : ''}`);
      return true;
    }
    return false;
  }

  /** PhonePe's answer for one order; undefined when it could not be reached within the call budget. */
  private async ask(merchantOrderId: string): Promise<OrderCheck | undefined> {
    this.progress.step = 'asking PhonePe for the order status';
    try {
      const st = await this.acts.provider.checkPhonePeOrder(merchantOrderId);
      this.progress.providerChecks++;
      this.progress.lastProviderState = st.state;
      return st;
    } catch (err) {
      if (isCancellation(err) || CancellationScope.current().consideredCancelled) throw err;
      this.progress.lastProviderState = 'UNREACHABLE';
      this.progress.step = `PhonePe could not be asked (${failureMessage(err)}); asking again at the next check`;
      return undefined;
    }
  }

  /** A lost order that PhonePe says was paid settles the top-up (credit); true if it did. */
  private async settledBy(merchantOrderId: string): Promise<boolean> {
    const st = await this.ask(merchantOrderId);
    if (st?.state !== 'COMPLETED') return false;
    await this.creditConfirmed(st, `PhonePe confirmed the payment of order ${merchantOrderId}`);
    return true;
  }

  /** Credits what PhonePe confirmed when it is the amount asked; a different amount waits for an operator. */
  private async creditConfirmed(st: OrderCheck, note: string): Promise<void> {
    this.providerTxn = { transactionId: st.transactionId, paymentMode: st.paymentMode };
    if (st.amount === this.amount) return this.credit(this.amount, note);
    this.confirmedAmount = st.amount;
    await this.progress.moveTo(
      'NEEDS_ATTENTION',
      `PhonePe confirmed ₹${formatRupees(st.amount!)} but ₹${formatRupees(this.amount)} was asked; not credited`,
    );
  }

  private async credit(paid: Paise, note: string, actor?: string): Promise<void> {
    this.progress.step = 'crediting the wallet';
    await this.acts.steps.creditTopUp({
      paymentId: this.paymentId,
      userId: this.input.userId,
      amount: paid,
      ...this.providerTxn,
    });
    await this.progress.moveTo('COMPLETED', note, { actor, failureReason: null });
  }

  private async fail(reason: string, actor?: string): Promise<void> {
    // A lost order nobody had the page of cannot have been paid; asked anyway before failing.
    for (const lost of this.orders.slice(0, -1)) if (await this.settledBy(lost)) return;
    this.progress.step = 'recording the failure';
    await this.acts.steps.failTopUp({ paymentId: this.paymentId, reason });
    await this.progress.moveTo('FAILED', reason, { actor, failureReason: reason });
  }

  /** An operator's "succeeded" credits what PhonePe confirmed (else the amount asked); "failed" fails it. */
  private async applyDecision(): Promise<void> {
    const decision = this.progress.decision!;
    const note = `operator: ${decision.reason}`;
    if (decision.outcome === 'succeeded')
      await this.credit(this.confirmedAmount ?? this.amount, note, operatorName(decision));
    else await this.fail(note, operatorName(decision));
  }

  /** Cancelled from the UI: money PhonePe collected must still reach the wallet. */
  private async settleAfterCancel(): Promise<void> {
    const { progress } = this;
    if (this.settled()) return;
    if (progress.status !== 'CREATED' && (await this.checkOrder())) return;
    if (progress.lastProviderState === 'UNREACHABLE') {
      await progress.moveTo(
        'NEEDS_ATTENTION',
        'cancelled by an operator while PhonePe could not be asked; recheck it once PhonePe answers',
      );
    } else if (progress.status !== 'NEEDS_ATTENTION') {
      await this.fail('cancelled by an operator before PhonePe confirmed a payment');
    }
  }
}
