/**
 * Refund of a top-up to the customer's bank (admin action):
 *   hold the amount on the wallet (≤ what is left of the top-up, ≤ available) → PhonePe refund
 *   with our refund id → poll its status (PENDING → CONFIRMED → COMPLETED | FAILED), never
 *   resending → COMPLETED: capture the hold wallet → PHONEPE_CLEARING; FAILED: release it.
 *
 * As for held payments, the hold goes back to the wallet only when PhonePe says the refund
 * failed or never reached it: a Cancel waits for the refund call in flight, then asks; an
 * operator's "failed" is checked with PhonePe first; a release that keeps failing parks the
 * refund in NEEDS_ATTENTION rather than ending FAILED with money held.
 */
import { CancellationScope, isCancellation } from '@temporalio/workflow';
import { formatRupees, Paise } from '../domain/money';
import type { PollingPlan } from '../domain/polling';
import type { PhonePeRefund } from '../providers/phonepe/gateway';
import { policies, Policies } from './activityPolicies';
import { applyOperatorDecision, HeldMoney, releaseThenFail } from './compensation';
import { PaymentView, RecoveryStart } from './messages';
import { runUnlessCancelled } from './operatorCancel';
import { PaymentProgress } from './progress';
import { waitForProvider } from './providerWait';
import { failureMessage, refusal } from './refusals';

export interface RefundInput {
  refundId: string;
  topUpId: string;
  /** PhonePe's id of the order that was paid (the top-up's id unless its first page was lost). */
  originalMerchantOrderId?: string;
  amount: Paise;
  reason: string;
  requestedBy: string;
  polling: PollingPlan;
  /** How long one PhonePe call may keep retrying before the refund parks (absent in older histories). */
  providerCallBudgetMs?: number;
  /** Set for a recovery run of an orphaned refund. */
  recovery?: RecoveryStart;
}

type RefundState = PhonePeRefund['state'] | 'NOT_FOUND';
/** 'in-doubt': the refund request may have reached PhonePe without our hearing back. */
type RequestAtPhonePe = 'not-sent' | 'in-doubt' | 'refused' | 'answered';

export async function refundWorkflow(input: RefundInput): Promise<PaymentView> {
  return new Refund(input).run();
}

class Refund {
  private readonly progress: PaymentProgress;
  private readonly acts: Policies;
  private held = false;
  private request: RequestAtPhonePe = 'not-sent';
  private sendingStopped = false;
  private startedAt = 0;
  /** PhonePe's last answer about the refund. */
  private state: RefundState | undefined;
  /** The money it holds, and how it goes back to the wallet. */
  private readonly money: HeldMoney = {
    isHeld: () => this.held,
    what: 'release the refund hold',
    release: async (reason) => {
      await this.acts.compensations.releaseRefundHold({ refundId: this.input.refundId, reason });
      this.held = false;
    },
  };

  constructor(private readonly input: RefundInput) {
    this.acts = policies(() => this.progress.step, input.providerCallBudgetMs);
    this.progress = new PaymentProgress('refund', input.refundId, this.acts.recordStatus, input.recovery?.status);
  }

  async run(): Promise<PaymentView> {
    await runUnlessCancelled(
      () => this.process(),
      () => this.settleAfterCancel(),
    );
    return this.progress.view();
  }

  private async process(): Promise<void> {
    if (this.input.recovery) {
      const first = await this.resume();
      if (first) await this.waitUntilSettled(first);
    } else if (await this.reserve()) {
      await this.waitUntilSettled(await this.requestRefund());
    }
  }

  /** Records the refund and holds its amount; false when refused (FAILED, nothing held). Not cancellable half-way. */
  private reserve(): Promise<boolean> {
    const { refundId, topUpId, amount } = this.input;
    return CancellationScope.nonCancellable(async () => {
      this.progress.step = 'checking and recording the refund';
      try {
        const started = await this.acts.steps.startRefund({
          refundId,
          topUpId,
          amount,
          reason: this.input.reason,
          requestedBy: this.input.requestedBy,
        });
        if (started.refusal) {
          await this.fail(`refund refused: ${started.refusal}`);
          return false;
        }
        this.progress.step = `holding ₹${formatRupees(amount)} on the wallet`;
        await this.acts.steps.holdRefundAmount({ refundId, userId: started.userId, amount });
        this.held = true;
        return true;
      } catch (err) {
        const refused = refusal(err);
        if (!refused) throw err;
        await this.fail(`refund refused: ${refused.message}`);
        return false;
      }
    });
  }

  /**
   * A recovery run: the earlier workflow stopped while the refund was open. No hold: nothing was
   * held or asked (FAILED); a released or captured hold: it had settled; otherwise PhonePe is
   * asked (a refund it never received is requested now). Undefined when settled here.
   */
  private async resume(): Promise<RefundState | undefined> {
    this.progress.step = 'recovery: reading where the money stands';
    const money = await this.acts.steps.inspectMoney({ kind: 'refund', paymentId: this.input.refundId });
    if (money.hold === 'none' || money.hold === 'released') {
      const why =
        money.hold === 'none'
          ? 'the earlier workflow stopped before the amount was held'
          : 'the hold had already been released';
      await this.progress.moveTo('FAILED', `recovery: ${why}`, { failureReason: why });
      return undefined;
    }
    this.held = true;
    this.request = 'in-doubt';
    const st = await this.check();
    if (st === 'NOT_FOUND') return this.requestRefund();
    if (st) this.request = 'answered';
    return st ?? 'PENDING';
  }

  /**
   * Asks PhonePe to refund (never twice: the activity looks for our refund id first). Returns
   * its state, or undefined when PhonePe could not be reached within the call budget (parked).
   */
  private async requestRefund(): Promise<RefundState | undefined> {
    const { refundId, topUpId, amount } = this.input;
    this.progress.step = 'asking PhonePe to refund';
    let first: PhonePeRefund;
    try {
      if (!CancellationScope.current().consideredCancelled) this.request = 'in-doubt';
      first = await this.acts.provider.requestPhonePeRefund({
        refundId,
        topUpId,
        amount,
        originalMerchantOrderId: this.input.originalMerchantOrderId,
      });
    } catch (err) {
      if (isCancellation(err) || CancellationScope.current().consideredCancelled) throw err;
      const refused = refusal(err);
      if (refused) {
        this.request = 'refused';
        return 'FAILED';
      }
      await this.park(
        `could not ask PhonePe to refund: ${failureMessage(err)}; the amount stays held, and a recheck asks again`,
      );
      return undefined;
    }
    this.request = 'answered';
    this.progress.lastProviderState = first.state;
    await this.progress.moveTo('PROCESSING', `PhonePe accepted the refund (${first.state})`, { providerRef: refundId });
    return first.state;
  }

  private async waitUntilSettled(first: RefundState | undefined): Promise<void> {
    if (this.startedAt === 0) this.startedAt = Date.now();
    this.state = first;
    if (this.progress.decision) return this.applyDecision();
    if (await this.actOnState()) return;
    await waitForProvider({
      progress: this.progress,
      who: 'PhonePe',
      polling: this.input.polling,
      since: this.startedAt,
      parkForOperator: () =>
        this.progress.moveTo(
          'NEEDS_ATTENTION',
          `PhonePe refund still ${this.state ?? 'unanswered'} after the polling window`,
        ),
      askAgain: async () => {
        const st = await this.check();
        // Never received (the request could not reach PhonePe): ask for it now, unless cancelled.
        if (st === 'NOT_FOUND' && this.request === 'in-doubt' && !this.sendingStopped)
          this.state = await this.requestRefund();
        // NOT_FOUND after PhonePe accepted it would be PhonePe's inconsistency: keep asking.
        else if (st !== undefined && st !== 'NOT_FOUND') this.state = st;
        // A decision that arrived meanwhile goes first.
        return !this.progress.decision && (await this.actOnState());
      },
      applyDecision: () => this.applyDecision(),
    });
  }

  /** Settles on PhonePe's last answer when it is final; true if it was. */
  private async actOnState(): Promise<boolean> {
    if (this.state === 'COMPLETED') await this.capture('PhonePe completed the refund');
    else if (this.state === 'FAILED') await this.fail('PhonePe reported the refund failed');
    else return false;
    return true;
  }

  private capture(note: string, actor?: string): Promise<void> {
    const { refundId, topUpId, amount, reason } = this.input;
    return CancellationScope.nonCancellable(async () => {
      this.progress.step = 'capturing the refunded amount';
      await this.acts.steps.captureRefund({ refundId, topUpId, amount, reason });
      this.held = false;
      await this.progress.moveTo('COMPLETED', note, { actor, failureReason: null });
    });
  }

  /** Releases the hold (parking while it cannot), then FAILED. */
  private async fail(why: string): Promise<void> {
    const end = await releaseThenFail(this.progress, this.money, { note: why, reason: why });
    if (end === 'operator-decided') return this.applyDecision();
  }

  /** "failed" is checked with PhonePe first: a refund it paid is captured, never released. */
  private applyDecision(): Promise<void> {
    return applyOperatorDecision(this.progress, this.money, {
      askOnce: () => this.checkOnce(),
      paid: (st) => (st === 'COMPLETED' ? 'PhonePe completed the refund' : undefined),
      capture: (note, actor) => this.capture(note, actor),
    });
  }

  /** Cancelled: the refund call in flight has finished; the hold goes back only if PhonePe has no refund to pay. */
  private async settleAfterCancel(): Promise<void> {
    this.sendingStopped = true;
    const { status } = this.progress;
    if (status === 'COMPLETED' || status === 'FAILED' || !this.held) return;
    if (this.progress.decision) return this.applyDecision();
    if (this.request === 'not-sent') return this.fail('cancelled by an operator before PhonePe was asked to refund');
    const st = await this.checkOnce();
    const cancelled = 'cancelled by an operator; ';
    if (st === 'COMPLETED') return this.capture(`${cancelled}PhonePe had already completed the refund`);
    if (st === 'FAILED' || (st === 'NOT_FOUND' && this.request === 'refused'))
      return this.fail(`${cancelled}PhonePe has no refund to pay`);
    await this.park(
      `${cancelled}PhonePe ${st ? `says ${st}` : 'could not be asked'}, so the amount stays held until it answers (checks go on) or an operator resolves`,
    );
    await this.waitUntilSettled(undefined);
  }

  /** PhonePe's state of the refund; undefined when it could not be reached within the call budget (then parked). */
  private async check(): Promise<RefundState | undefined> {
    return this.askPhonePe(this.acts.provider, (err) =>
      this.park(
        `PhonePe could not be asked for the refund status: ${failureMessage(err)}; the amount stays held and checks go on`,
      ),
    );
  }

  /** One quick look (a few attempts), for decisions that must not wait on retries; undefined if unanswered. */
  private async checkOnce(): Promise<RefundState | undefined> {
    return this.askPhonePe(this.acts.providerOnce, async () => undefined);
  }

  private async askPhonePe(
    via: Policies['provider'],
    unanswered: (err: unknown) => Promise<void>,
  ): Promise<RefundState | undefined> {
    this.progress.step = 'asking PhonePe for the refund status';
    try {
      const st = await via.checkPhonePeRefund(this.input.refundId);
      this.progress.providerChecks++;
      this.progress.lastProviderState = st.state;
      return st.state;
    } catch (err) {
      if (isCancellation(err) || CancellationScope.current().consideredCancelled) throw err;
      await unanswered(err);
      return undefined;
    }
  }

  private async park(note: string): Promise<void> {
    if (this.progress.status !== 'NEEDS_ATTENTION') await this.progress.moveTo('NEEDS_ATTENTION', note);
  }
}
