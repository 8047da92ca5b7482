/**
 * The process every payment that leaves through a provider follows (payout, recharge, bill):
 *
 *   record → reserve the amount (a refusal: FAILED with its rule, nothing held)
 *   → send the order with our reference → wait for a webhook or the next status check
 *   → succeeded: capture the hold into the provider's payable account, pay commissions, COMPLETED
 *   → failed: release the hold, FAILED
 *   → completed: the read model starts its reversal watch as it records COMPLETED, and the
 *     workflow closes; a reversal the provider reports later is booked by a reversal run
 *     (reversal.ts). Payments completed before that change listen here, as they always did.
 *
 * Every decision is taken on the provider's status API (a webhook only wakes us). A pending
 * order is never sent again: after the polling window the payment parks in NEEDS_ATTENTION,
 * still holding the money, until the provider answers (recheck) or an operator decides.
 *
 * Money goes back to the wallet only when the provider says the order failed or never existed:
 *  - Cancel (Temporal UI or CLI): the provider call in flight finishes, then the provider is
 *    asked. Its success is captured, its failure released; a pending order, or one whose
 *    create is in doubt, keeps the hold and parks in NEEDS_ATTENTION (checks go on).
 *  - An operator's "failed" is checked with the provider first: money it paid out is captured.
 *  - A release that keeps failing parks the payment: it is never FAILED while holding money.
 *  - A provider unreachable for the whole call budget parks the payment, the money held.
 */
import {
  CancellationScope,
  condition,
  isCancellation,
  patched,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { HeldPaymentRecord, ProviderOrder, ProviderOutcome, RecoveryStart } from '../domain/contracts';
import type { StatusChange } from '../domain/payments';
import type { HeldKind, HeldPaymentInput, HeldPaymentTiming } from '../domain/heldKinds';
import { formatRupees } from '../domain/money';
import { policies, Policies } from './activityPolicies';
import { applyOperatorDecision, HeldMoney, releaseThenFail } from './compensation';
import { PaymentAccepted, paymentAcceptedUpdate, PaymentView } from './messages';
import { runUnlessCancelled } from './operatorCancel';
import { PaymentProgress } from './progress';
import { waitForProvider } from './providerWait';
import { failureMessage, refusal } from './refusals';
import { bookReversal } from './reversal';
import { ProviderRefKey } from './searchAttributes';

interface HeldPaymentPlan extends HeldPaymentTiming {
  order: ProviderOrder;
  /** Who the provider is, in words: "the bank", "the recharge operator", "BBPS". */
  provider: string;
  details: HeldPaymentRecord['details'];
  /** Share of the amount the uplines may earn (1/10,000); absent: no commissions (payouts). */
  commissionMarginRate?: number;
  /** Set for a recovery run of an orphaned payment. */
  recovery?: RecoveryStart;
}

export type HeldPaymentResult = PaymentView & { failureCode?: string };

type Answer = ProviderOutcome | { outcome: 'unknown'; providerState: string };

/**
 * What we know of the order at the provider. 'in-doubt': a create may have reached it without
 * our hearing back, so "not found" does not yet mean it will never exist.
 */
type OrderAtProvider = 'not-sent' | 'in-doubt' | 'refused' | 'answered';

/** Why a payment waits in NEEDS_ATTENTION: only the first kind resumes PROCESSING when the provider answers 'pending'. */
type Parked = 'until-provider-answers' | 'for-operator';

const SETTLED = ['COMPLETED', 'FAILED', 'REVERSED'];

/**
 * The patch behind which a completed payment starts its reversal watch on the read model and
 * closes, instead of listening for the whole window (workflows/reversal.ts).
 */
export const REVERSALS_AFTER_CLOSE = 'reversals-after-close';

/**
 * The patch behind which the steps before the answer (record, hold) run as one local activity,
 * and the settling steps (capture, commissions, COMPLETED) as another: three rounds through the
 * workflow fewer per payment, which is most of what a worker spends on one (docs/performance.md).
 * Decided once, when the workflow starts: payments started earlier keep their separate steps.
 */
export const HELD_STEPS_MERGED = 'held-steps-merged';

/**
 * The patch behind which opening a held payment also records PROCESSING, in the same local
 * activity: the API's answer waits for one round through the workflow instead of two. Decided
 * once, when the workflow starts.
 */
export const HELD_OPENS_PROCESSING = 'held-opens-processing';

/** What is captured when an operator, not the provider, says the payment succeeded. */
const OPERATOR_CONFIRMED: ProviderOutcome = { outcome: 'succeeded', providerState: 'OPERATOR' };

/** Runs one held payment of `kind` (its provider, order, details and commissions come from the kind's module). */
export async function runHeldPayment<Input extends HeldPaymentInput, Order extends ProviderOrder>(
  kind: HeldKind<Input, Order>,
  input: Input,
): Promise<HeldPaymentResult> {
  return new HeldPayment({
    provider: kind.provider,
    order: kind.order(input),
    details: kind.details(input),
    commissionMarginRate: kind.commissionMarginRate(input),
    polling: input.polling,
    reversalWatchMs: input.reversalWatchMs,
    providerCallBudgetMs: input.providerCallBudgetMs,
    recovery: input.recovery,
  }).run();
}

class HeldPayment {
  private readonly progress: PaymentProgress;
  private readonly acts: Policies;
  private readonly kind: ProviderOrder['kind'];
  private readonly paymentId: string;
  private readonly who: string;
  private accepted: PaymentAccepted | undefined;
  private held = false;
  private failureCode: string | undefined;
  private order: OrderAtProvider = 'not-sent';
  private parked: Parked | undefined;
  /** After a cancel nothing more is sent to the provider; it is only asked. */
  private sendingStopped = false;
  private sentAt = 0;
  /** Completed under `REVERSALS_AFTER_CLOSE`: the read model watches for a reversal, the workflow closes. */
  private reversalsWatchedAfterClose = false;
  /** Started under `HELD_STEPS_MERGED`. */
  private readonly stepsMerged: boolean;
  /** Started under `HELD_OPENS_PROCESSING` (always with `HELD_STEPS_MERGED`). */
  private readonly opensProcessing: boolean;

  constructor(private readonly plan: HeldPaymentPlan) {
    this.kind = plan.order.kind;
    this.paymentId = plan.order.paymentId;
    this.who = plan.provider;
    this.acts = policies(() => this.progress.step, plan.providerCallBudgetMs);
    this.stepsMerged = patched(HELD_STEPS_MERGED);
    this.opensProcessing = this.stepsMerged && patched(HELD_OPENS_PROCESSING);
    this.progress = new PaymentProgress(this.kind, this.paymentId, this.acts.recordStatus, plan.recovery?.status);
    setHandler(paymentAcceptedUpdate, async () => {
      await condition(() => this.accepted !== undefined);
      return this.accepted!;
    });
  }

  /** The money it holds, and how it goes back to the wallet. */
  private readonly money: HeldMoney = {
    isHeld: () => this.held,
    what: 'release the held amount',
    release: async (reason) => {
      await this.acts.compensations.releasePaymentHold({ kind: this.kind, paymentId: this.paymentId, reason });
      this.held = false;
    },
  };

  async run(): Promise<HeldPaymentResult> {
    await runUnlessCancelled(
      () => this.process(),
      () => this.settleAfterCancel(),
    );
    return this.result();
  }

  private async process(): Promise<void> {
    const goOn = this.plan.recovery ? await this.resume() : await this.reserve();
    if (!goOn) return;
    const answer = this.plan.recovery ? await this.askOrSend() : await this.send();
    await this.waitUntilSettled(answer);
    if (this.progress.status !== 'COMPLETED') return;
    if (this.reversalsWatchedAfterClose) await this.reverseIfReportedBeforeClosing();
    else await this.watchForReversal();
  }

  private result(): HeldPaymentResult {
    return { ...this.progress.view(), ...(this.failureCode ? { failureCode: this.failureCode } : {}) };
  }

  /**
   * Records the payment and holds its amount, then answers the API (202, or 422 when a rule
   * refused the hold: FAILED, nothing held). Runs to its end even when cancelled, so a hold is
   * never placed behind the workflow's back.
   */
  private reserve(): Promise<boolean> {
    const { order } = this.plan;
    const processing = `₹${formatRupees(order.amount)} held; sending to ${this.who}`;
    return CancellationScope.nonCancellable(async () => {
      try {
        if (this.opensProcessing)
          await this.progress.moveOnceRecorded('PROCESSING', processing, (c) => this.recordAndHold(c));
        else await this.recordAndHold();
        this.held = true;
      } catch (err) {
        const refused = refusal(err);
        if (!refused) throw err;
        this.failureCode = refused.type ?? 'rejected';
        await this.progress.moveTo('FAILED', refused.message, { failureReason: refused.message });
        this.accepted = {
          paymentId: this.paymentId,
          status: this.progress.status,
          failureCode: this.failureCode,
          failureReason: this.progress.failureReason,
        };
        return false;
      }
      // Already there when the opening step recorded it (a move to the same status does nothing).
      await this.progress.moveTo('PROCESSING', processing);
      // The API answers now: the money is reserved and the order is ours to finish.
      this.accepted = { paymentId: this.paymentId, status: this.progress.status };
      return true;
    });
  }

  /**
   * Records the payment, then holds its amount, and records `processing` when given (one step,
   * under `HELD_OPENS_PROCESSING`); a refused hold throws its refusal.
   */
  private async recordAndHold(processing?: StatusChange): Promise<void> {
    const { order } = this.plan;
    const hold = { kind: this.kind, paymentId: this.paymentId, userId: order.userId, amount: order.amount };
    const holding = `holding ₹${formatRupees(order.amount)} on the wallet`;
    if (this.stepsMerged) {
      this.progress.step = `recording the payment, ${holding}${processing ? ', then PROCESSING' : ''}`;
      await this.acts.steps.openHeldPayment({
        ...hold,
        details: this.plan.details,
        ...(processing ? { processing } : {}),
      });
      return;
    }
    this.progress.step = 'recording the payment';
    await this.acts.steps.startHeldPayment({ ...hold, details: this.plan.details });
    this.progress.step = holding;
    await this.acts.steps.holdPaymentFunds(hold);
  }

  /**
   * A recovery run: the earlier workflow stopped while the payment was open. Where the money
   * stands says where to pick up: no hold means nothing was held or sent (FAILED); a released
   * hold means it had failed; otherwise the provider is asked next (captures are idempotent).
   */
  private async resume(): Promise<boolean> {
    this.accepted = { paymentId: this.paymentId, status: this.progress.status };
    this.progress.step = 'recovery: reading where the money stands';
    const money = await this.acts.steps.inspectMoney({ kind: this.kind, paymentId: this.paymentId });
    if (money.hold === 'none' || money.hold === 'released') {
      this.failureCode = 'stopped';
      const why =
        money.hold === 'none'
          ? 'the earlier workflow stopped before the amount was held; nothing was held or sent'
          : 'the hold had already been released';
      await this.progress.moveTo('FAILED', `recovery: ${why}`, { failureReason: why });
      return false;
    }
    this.held = true;
    this.order = 'in-doubt';
    this.parked = 'until-provider-answers';
    return true;
  }

  /** The provider's answer; an order it never received is sent now (it deduplicates on our reference). */
  private async askOrSend(): Promise<Answer | undefined> {
    const answer = await this.ask();
    if (answer?.outcome === 'unknown') return this.send();
    if (answer) this.order = 'answered';
    return answer;
  }

  /**
   * Sends the order with our reference (the provider deduplicates on it, and the activity asks
   * first). Undefined when no answer came: an operator decided meanwhile, or the provider could
   * not be reached within the call budget (the payment is then parked, money held).
   */
  private async send(): Promise<Answer | undefined> {
    this.progress.step = `sending the order to ${this.who}`;
    let answer: Answer | undefined;
    try {
      answer = await this.unlessDecided(() => {
        if (!CancellationScope.current().consideredCancelled) this.order = 'in-doubt';
        return this.acts.provider.sendToProvider(this.plan.order);
      });
    } catch (err) {
      const refused = refusal(err);
      if (!refused) {
        if (isCancellation(err) || CancellationScope.current().consideredCancelled) throw err;
        await this.park(
          'until-provider-answers',
          `could not send the order to ${this.who}: ${failureMessage(err)}; the amount stays held, and a recheck sends it again (${this.who} deduplicates on our reference)`,
        );
        return undefined;
      }
      // A definite refusal; still confirm that nothing was created before giving the money back.
      this.order = 'refused';
      const found = await this.ask();
      answer =
        !found || found.outcome === 'unknown'
          ? { outcome: 'failed', providerState: 'REJECTED', reason: refused.message }
          : found;
    }
    if (answer && this.order === 'in-doubt') this.order = 'answered';
    if (answer?.providerRef) upsertSearchAttributes([{ key: ProviderRefKey, value: answer.providerRef }]);
    return answer;
  }

  /** Webhooks wake it, status checks follow the polling plan; an operator can take over at any point. */
  private async waitUntilSettled(first: Answer | undefined): Promise<void> {
    if (this.sentAt === 0) this.sentAt = Date.now();
    if (first && (await this.actOn(first))) return;
    await waitForProvider({
      progress: this.progress,
      who: this.who,
      polling: this.plan.polling,
      since: this.sentAt,
      parkForOperator: () =>
        this.park(
          'for-operator',
          `${this.who} still says ${this.progress.lastProviderState} after the polling window; the amount stays held`,
        ),
      askAgain: async () => {
        // Never received (the send could not reach the provider): send it now, unless cancelled.
        const answer = this.order === 'in-doubt' && !this.sendingStopped ? await this.askOrSend() : await this.ask();
        return answer !== undefined && (await this.actOn(answer));
      },
      applyDecision: () => this.applyDecision(),
    });
  }

  /** Acts on one provider answer; true once the payment is settled (completed or failed). */
  private async actOn(answer: Answer, context = ''): Promise<boolean> {
    this.progress.lastProviderState = answer.providerState;
    switch (answer.outcome) {
      case 'succeeded':
        await this.complete(answer, `${context}${this.who} confirmed the payment (${answer.providerState})`);
        return true;
      case 'failed':
        await this.fail(
          `${context}${this.who} refused the payment${answer.reason ? `: ${answer.reason}` : ''}`,
          'provider_failed',
        );
        return true;
      case 'reversed':
        // Succeeded and undone before we settled it: the wallet simply keeps its money.
        await this.fail(
          `${context}${this.who} reversed the payment before it settled${answer.reason ? `: ${answer.reason}` : ''}`,
          'provider_reversed',
        );
        return true;
      default:
        if (this.parked === 'until-provider-answers' && this.progress.status === 'NEEDS_ATTENTION') {
          this.parked = undefined;
          await this.progress.moveTo(
            'PROCESSING',
            `${this.who} answers again (${answer.providerState}); the amount stays held`,
          );
        }
        return false;
    }
  }

  /** Once the provider has the money, settling our books must finish even if the workflow is cancelled. */
  private complete(outcome: ProviderOutcome, note: string, actor?: string): Promise<void> {
    const { order } = this.plan;
    return CancellationScope.nonCancellable(async () => {
      this.reversalsWatchedAfterClose = patched(REVERSALS_AFTER_CLOSE);
      const completed = {
        actor,
        failureReason: null,
        ...(outcome.providerRef
          ? { providerRefs: { provider: outcome.providerRef, ...(outcome.utr ? { utr: outcome.utr } : {}) } }
          : {}),
        // The read model watches for a reversal from here; this workflow closes (reversal.ts).
        ...(this.reversalsWatchedAfterClose ? { reversalWatchMs: this.plan.reversalWatchMs } : {}),
      };
      const commissions =
        this.plan.commissionMarginRate === undefined
          ? undefined
          : { userId: order.userId, amount: order.amount, marginRate: this.plan.commissionMarginRate };
      if (this.stepsMerged) {
        // The workflow says COMPLETED first (as every status change), the step records it last,
        // once the money is captured and the commissions paid.
        this.progress.step = `capturing the held amount${commissions ? ', paying commissions to the uplines' : ''}, then COMPLETED: ${note}`;
        await this.progress.moveTo('COMPLETED', note, completed, (change) =>
          this.acts.steps.settleHeldPayment({
            kind: this.kind,
            paymentId: this.paymentId,
            outcome,
            commissions,
            completed: change,
          }),
        );
        this.held = false;
      } else {
        this.progress.step = 'capturing the held amount';
        const { transactionId } = await this.acts.steps.captureHeldPayment({
          kind: this.kind,
          paymentId: this.paymentId,
          outcome,
        });
        this.held = false;
        if (commissions) {
          this.progress.step = 'paying commissions to the uplines';
          await this.acts.steps.payPaymentCommissions({ paymentId: this.paymentId, transactionId, ...commissions });
        }
        await this.progress.moveTo('COMPLETED', note, completed);
      }
      if (this.reversalsWatchedAfterClose)
        this.progress.step = 'completed; a reversal the provider reports is booked by a reversal run';
    });
  }

  /** Releases the hold (parking while it cannot), then FAILED. An operator may take over while it is parked. */
  private async fail(reason: string, code: string): Promise<void> {
    this.failureCode = code;
    const end = await releaseThenFail(this.progress, this.money, { note: reason, reason });
    if (end === 'operator-decided') return this.applyDecision();
  }

  /** An operator's decision: a "failed" is checked with the provider first, and what it paid out is captured. */
  private applyDecision(): Promise<void> {
    return applyOperatorDecision(this.progress, this.money, {
      askOnce: () => this.askOnce(),
      paid: (answer) =>
        answer.outcome === 'succeeded' ? `${this.who} confirmed the payment (${answer.providerState})` : undefined,
      capture: (note, actor, answer) =>
        this.complete(answer?.outcome === 'succeeded' ? answer : OPERATOR_CONFIRMED, note, actor),
      failing: () => {
        this.failureCode = 'operator_failed';
      },
    });
  }

  /**
   * Cancelled from the Temporal UI or CLI: stop waiting, but give the money back only if the
   * provider says the order failed or never reached it. The call in flight has finished
   * (WAIT_CANCELLATION_COMPLETED), so its effect is visible to the status API.
   */
  private async settleAfterCancel(): Promise<void> {
    this.sendingStopped = true;
    // Settled already: a cancel during the reversal watch only stops listening.
    if (SETTLED.includes(this.progress.status) || !this.held) return;
    if (this.progress.decision) return this.applyDecision();
    if (this.order === 'not-sent') return this.fail('cancelled by an operator before the order was sent', 'cancelled');
    const answer = await this.askOnce();
    const cancelled = 'cancelled by an operator; ';
    if (answer && (answer.outcome !== 'unknown' || this.order === 'refused')) {
      if (answer.outcome === 'unknown') return this.fail(`${cancelled}${this.who} has no such order`, 'cancelled');
      if (answer.outcome !== 'pending' && (await this.actOn(answer, cancelled))) return;
    }
    const state = answer ? `still says ${answer.providerState}` : 'could not be asked';
    await this.park(
      'for-operator',
      `${cancelled}${this.who} ${state}, so the amount stays held until it answers (checks go on; recheck asks now) or an operator resolves`,
    );
    await this.waitUntilSettled(undefined);
  }

  /**
   * Runs a provider call unless an operator's decision arrives first; then the call is
   * cancelled (its request in flight still finishes) and the decision is applied, so the
   * operator's update is answered in seconds rather than after the provider's retries.
   */
  private async unlessDecided<T>(call: () => Promise<T>): Promise<T | undefined> {
    if (this.progress.decision) return undefined;
    const scope = new CancellationScope();
    const running = scope.run(call);
    const decided = CancellationScope.nonCancellable(() => condition(() => this.progress.decision !== undefined));
    const first = await Promise.race([running.then((value) => ({ value })), decided.then(() => undefined)]);
    if (first) return first.value;
    scope.cancel();
    try {
      return await running;
    } catch {
      return undefined; // superseded by the decision
    }
  }

  /** The provider's answer; undefined when an operator decided meanwhile or it stayed unreachable (then parked). */
  private async ask(): Promise<Answer | undefined> {
    this.progress.step = `asking ${this.who} for the status`;
    try {
      const answer = await this.unlessDecided(() =>
        this.acts.provider.checkWithProvider({ kind: this.kind, paymentId: this.paymentId }),
      );
      if (answer) this.progress.providerChecks++;
      return answer;
    } catch (err) {
      if (isCancellation(err) || CancellationScope.current().consideredCancelled) throw err;
      await this.park(
        'until-provider-answers',
        `${this.who} could not be asked for the status: ${failureMessage(err)}; the amount stays held and checks go on`,
      );
      return undefined;
    }
  }

  /** One quick look (a single attempt), for decisions that must not wait on retries. */
  private async askOnce(): Promise<Answer | undefined> {
    this.progress.step = `asking ${this.who} for the status`;
    try {
      const answer = await this.acts.providerOnce.checkWithProvider({ kind: this.kind, paymentId: this.paymentId });
      this.progress.providerChecks++;
      this.progress.lastProviderState = answer.providerState;
      return answer;
    } catch (err) {
      if (isCancellation(err)) throw err;
      return undefined;
    }
  }

  private async park(why: Parked, note: string): Promise<void> {
    this.parked = why;
    if (this.progress.status !== 'NEEDS_ATTENTION') await this.progress.moveTo('NEEDS_ATTENTION', note);
  }

  /**
   * Payments completed before `REVERSALS_AFTER_CLOSE`: the provider may still undo a settled
   * payment (operator reversal, bank return). Webhooks wake us; a few status checks cover a lost
   * one, and an unreachable provider is simply asked again at the next one. Cancelling the
   * workflow here just stops listening.
   */
  private async watchForReversal(): Promise<void> {
    const until = Date.now() + this.plan.reversalWatchMs;
    const checkEvery = Math.max(1000, Math.floor(this.plan.reversalWatchMs / 6));
    while (Date.now() < until) {
      this.progress.step = `completed; listening for a reversal until ${new Date(until).toISOString()}`;
      await this.progress.waitForNews(Math.min(checkEvery, until - Date.now()));
      this.progress.takeNews();
      this.progress.step = `asking ${this.who} for the status`;
      let answer: Answer;
      try {
        answer = await this.acts.provider.checkWithProvider({ kind: this.kind, paymentId: this.paymentId });
      } catch (err) {
        if (isCancellation(err) || CancellationScope.current().consideredCancelled) throw err;
        continue;
      }
      this.progress.providerChecks++;
      this.progress.lastProviderState = answer.providerState;
      if (answer.outcome === 'reversed') {
        await this.reverse(answer);
        return;
      }
    }
    this.progress.step = 'completed';
  }

  /**
   * A webhook or a recheck that reached this workflow while it was settling (before the read
   * model said COMPLETED, the API relays to the workflow) must not be lost as it closes: the
   * provider is asked, and a reversal is booked here. Temporal does not complete a workflow
   * while a signal waits for it, so news cannot slip past this loop. An unanswered check is left
   * to the reversal sweep's next one.
   */
  private async reverseIfReportedBeforeClosing(): Promise<void> {
    while (this.progress.hasRecheckOrEvent()) {
      this.progress.takeNews();
      const answer = await this.askOnce();
      if (!answer) return;
      if (answer.outcome === 'reversed') return this.reverse(answer);
    }
  }

  private reverse(outcome: ProviderOutcome): Promise<void> {
    return CancellationScope.nonCancellable(() =>
      bookReversal({
        progress: this.progress,
        steps: this.acts.steps,
        kind: this.kind,
        paymentId: this.paymentId,
        who: this.who,
        outcome,
        clawBack: this.plan.commissionMarginRate !== undefined,
      }),
    );
  }
}
