/**
 * What every payment workflow shares: its status (kept in the MySQL read model through an
 * activity and in the `PaymentStatus` search attribute), the timeline, and the handlers for
 * `providerEvent`, `recheck`, `operatorResolve` and `status`.
 *
 * Handlers only record what arrived and wake the workflow; the workflow body decides, always
 * on the provider's own status API. A webhook is a hint.
 */
import {
  ApplicationFailure,
  CancellationScope,
  condition,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { canTransition, PaymentKind, PaymentStatus, StatusChange, TimelineEntry } from '../domain/payments';

export type { StatusChange };
import {
  OperatorDecision,
  operatorResolveUpdate,
  PaymentView,
  providerEventSignal,
  recheckSignal,
  statusQuery,
} from './messages';
import { PaymentStatusKey } from './searchAttributes';

const SETTLED: readonly PaymentStatus[] = ['COMPLETED', 'FAILED', 'REVERSED'];

export class PaymentProgress {
  status: PaymentStatus = 'CREATED';
  private currentStep = 'starting';
  providerChecks = 0;
  lastProviderState: string | null = null;
  /** Epoch ms after which an AWAITING_PAYMENT payment may be settled by an operator. */
  deadline: number | null = null;
  failureReason: string | null = null;
  decision: OperatorDecision | undefined;
  /**
   * Set while an accepted decision cannot be applied yet (its compensation keeps failing): the
   * operator's update answers with the parked payment instead of hanging until it settles.
   */
  decisionParked = false;
  private readonly timeline: TimelineEntry[] = [];
  private readonly seenEvents = new Set<string>();
  private unhandledEvents = 0;
  private recheckRequested = false;
  /** Read-model writes in flight: an operator's update answers only once they are done. */
  private recording = 0;

  constructor(
    readonly kind: PaymentKind,
    readonly paymentId: string,
    private readonly record: (change: StatusChange) => Promise<unknown>,
    /** Where a recovery run picks up; a new payment starts at CREATED. */
    initialStatus: PaymentStatus = 'CREATED',
  ) {
    this.status = initialStatus;
    this.showDetails();
    setHandler(providerEventSignal, (e) => {
      if (this.seenEvents.has(e.eventKey)) return; // duplicate delivery
      this.seenEvents.add(e.eventKey);
      this.unhandledEvents++;
    });
    setHandler(recheckSignal, () => {
      this.recheckRequested = true;
    });
    setHandler(statusQuery, () => this.view());
    setHandler(
      operatorResolveUpdate,
      async (decision) => {
        this.decision = decision;
        // Not cancellable: a payment cancelled and parked can still be resolved.
        await CancellationScope.nonCancellable(() =>
          condition(() => (SETTLED.includes(this.status) || this.decisionParked) && this.recording === 0),
        );
        return this.view();
      },
      { validator: (decision) => this.validateDecision(decision) },
    );
  }

  /** What the workflow is doing now, in words; the Temporal UI shows it as the current details. */
  get step(): string {
    return this.currentStep;
  }

  set step(step: string) {
    this.currentStep = step;
    this.showDetails();
  }

  private showDetails(): void {
    const checks =
      this.providerChecks > 0
        ? `\n\nprovider asked ${this.providerChecks}×, last answer: ${this.lastProviderState ?? '—'}`
        : '';
    setCurrentDetails(`**${this.status}** · ${this.currentStep}${checks}`);
  }

  private validateDecision(d: OperatorDecision): void {
    if (d?.outcome !== 'succeeded' && d?.outcome !== 'failed') {
      throw ApplicationFailure.nonRetryable('outcome must be "succeeded" or "failed"', 'validation_failed');
    }
    if (typeof d.reason !== 'string' || d.reason.trim().length < 3) {
      throw ApplicationFailure.nonRetryable('a reason (at least 3 characters) is required', 'validation_failed');
    }
    if (this.decision)
      throw ApplicationFailure.nonRetryable('an operator decision is already being applied', 'conflict');
    const pastDeadline = this.status === 'AWAITING_PAYMENT' && this.deadline !== null && Date.now() > this.deadline;
    if (!(this.status === 'PROCESSING' || this.status === 'NEEDS_ATTENTION' || pastDeadline)) {
      throw ApplicationFailure.nonRetryable(
        `cannot resolve a payment in status ${this.status}${this.status === 'AWAITING_PAYMENT' ? ' before its deadline' : ''}`,
        'invalid_state',
      );
    }
  }

  /** Anything new to act on: a webhook, a recheck request or an operator's decision. */
  hasNews(): boolean {
    return this.unhandledEvents > 0 || this.recheckRequested || this.decision !== undefined;
  }

  /** A webhook or a recheck, leaving any operator decision aside (for work that applies one). */
  hasRecheckOrEvent(): boolean {
    return this.unhandledEvents > 0 || this.recheckRequested;
  }

  takeNews(): void {
    this.unhandledEvents = 0;
    this.recheckRequested = false;
  }

  /** Waits until something arrives or `ms` passes; true if woken by news. */
  async waitForNews(ms: number): Promise<boolean> {
    return condition(() => this.hasNews(), Math.max(1, ms), { summary: this.currentStep.slice(0, 200) });
  }

  /**
   * Moves the workflow to `status`, then records the change in the read model: by the status
   * step, or by `recordWith`, a step that does its own work first and records the change as its
   * last act (settling a held payment: capture, commissions, COMPLETED in one local activity).
   * Like the status step, `recordWith` runs only for a change (or an operator's act): a move to
   * the status the workflow is already in does nothing.
   */
  async moveTo(
    status: PaymentStatus,
    note?: string,
    extra: Omit<StatusChange, 'paymentId' | 'status' | 'note'> = {},
    recordWith: (change: StatusChange) => Promise<unknown> = this.record,
  ): Promise<void> {
    if (status === this.status && !extra.actor) return;
    this.mayMoveTo(status);
    // The workflow's own state changes first: the read model (written next) must never be
    // ahead of it, or an operator acting on what the API shows could be refused by the
    // update validator that still sees the old status.
    this.enter(status, note, extra);
    // A change made by an operator carries the decision, audited where the change is recorded.
    const decision = extra.actor && this.decision ? { decision: this.decision } : {};
    await this.write(recordWith, { paymentId: this.paymentId, status, note, ...extra, ...decision });
  }

  /**
   * Runs `step`, which does its own work and records the move to `status` as its last act, and
   * only then moves the workflow there: for a step whose refusal must leave the payment where it
   * was (opening a held payment: a refused hold fails it from CREATED, and it never was
   * PROCESSING). The read model leads the workflow from the step's commit until the step's result
   * reaches the workflow: milliseconds, or until the step re-runs if the worker dies in between,
   * always before the API has answered. An operator acting then is refused by the update
   * validator and can try again, the safe way round.
   */
  async moveOnceRecorded(status: PaymentStatus, note: string, step: (change: StatusChange) => Promise<unknown>) {
    this.mayMoveTo(status);
    await this.write(step, { paymentId: this.paymentId, status, note });
    this.enter(status, note, {});
  }

  private mayMoveTo(status: PaymentStatus): void {
    if (!canTransition(this.status, status)) throw new Error(`illegal transition ${this.status} → ${status}`);
  }

  /**
   * Records `change` by `write`, never cancelled half-way (a cancel must not leave the read model
   * behind the workflow), and counted while in flight: an operator's update answers only once
   * every write is done.
   */
  private async write(write: (change: StatusChange) => Promise<unknown>, change: StatusChange): Promise<void> {
    this.recording++;
    try {
      await CancellationScope.nonCancellable(() => write(change));
    } finally {
      this.recording--;
    }
  }

  /** The workflow's side of a move: status, details, timeline and search attribute. */
  private enter(
    status: PaymentStatus,
    note: string | undefined,
    extra: Omit<StatusChange, 'paymentId' | 'status' | 'note'>,
  ) {
    this.status = status;
    this.showDetails();
    if (extra.failureReason !== undefined) this.failureReason = extra.failureReason;
    this.timeline.push({
      status,
      at: new Date().toISOString(),
      ...(note ? { note } : {}),
      ...(extra.actor ? { actor: extra.actor } : {}),
    });
    upsertSearchAttributes([{ key: PaymentStatusKey, value: status }]);
  }

  view(): PaymentView {
    return {
      paymentId: this.paymentId,
      kind: this.kind,
      status: this.status,
      step: this.step,
      providerChecks: this.providerChecks,
      lastProviderState: this.lastProviderState,
      deadline: this.deadline === null ? null : new Date(this.deadline).toISOString(),
      timeline: [...this.timeline],
      failureReason: this.failureReason,
    };
  }
}

/**
 * The operator's identity as shown: the admin's user code when the admin API sent it (it signs
 * its decisions; the activity recording the settlement verifies the proof), else the Temporal UI.
 */
export const operatorName = (d: OperatorDecision) => (d.operator && d.proof ? d.operator : 'temporal-ui');
