/**
 * The API's side of Temporal: starting payment workflows and messaging them. Temporal client
 * errors become domain errors here and only here, so the error middleware keeps being the one
 * place that maps errors to HTTP.
 */
import {
  Client,
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { BusinessRuleError, ConflictError, DomainError, TransientError, ValidationError } from '../domain/errors';
import { ProviderUnavailableError } from '../domain/providerErrors';
import { PaymentKind, PaymentStatus, reversalWorkflowIdFor, workflowIdFor } from '../domain/payments';
import type { OperatorDecision, PaymentView, TopUpStarted } from '../workflows/messages';
import {
  PaymentAccepted,
  paymentAcceptedUpdate,
  operatorResolveUpdate,
  providerEventSignal,
  recheckSignal,
  topUpStartedUpdate,
  ProviderEvent,
} from '../workflows/messages';
import { heldPaymentSummary, recoverySummary, refundSummary, topUpSummary, transferSummary } from './workflowSummaries';
import { AmountPaiseKey, PaymentKindKey, PaymentStatusKey, UserCodeKey } from '../workflows/searchAttributes';
import { refundWorkflow, type RefundInput } from '../workflows/refund';
import { reversalWorkflow, type ReversalInput } from '../workflows/reversal';
import { topUpWorkflow, type TopUpInput } from '../workflows/topup';
import type { ReconciliationSummary, SweepResult, TransferInput } from '../domain/contracts';
import type { HeldPaymentStart } from '../domain/heldKinds';
import { HELD_WORKFLOWS } from '../workflows/heldKinds';
import { orphanSweepWorkflow, reconciliationWorkflow } from '../workflows/reconciliation';
import { TransferResult, transferWorkflowV2 } from '../workflows/transfer';

export type { HeldPaymentStart };

/** An update the workflow refused (validator) or failed: its ApplicationFailure type is the code. */
function fromUpdateFailure(err: WorkflowUpdateFailedError): DomainError {
  const cause = err.cause instanceof ApplicationFailure ? err.cause : undefined;
  const type = cause?.type ?? 'update_failed';
  const message = cause?.message ?? err.message;
  if (type === 'validation_failed') return new ValidationError(message);
  if (type === 'provider_unavailable') return new ProviderUnavailableError(message);
  if (type === 'invalid_state' || type === 'conflict' || type === 'topup_page_lost')
    return new ConflictError(message, type);
  return new BusinessRuleError(type, message);
}

function unavailable(err: unknown): never {
  if (err instanceof DomainError) throw err;
  throw new TransientError(`the workflow service is unavailable: ${(err as Error).message}`);
}

const searchAttributes = (kind: PaymentKind, userCode: string, amountPaise: number) => [
  { key: PaymentKindKey, value: kind },
  { key: PaymentStatusKey, value: 'CREATED' },
  { key: UserCodeKey, value: userCode },
  { key: AmountPaiseKey, value: amountPaise },
];

export class PaymentWorkflows {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
  ) {}

  /**
   * Starts the top-up (or joins the one already running for this payment id) and waits for
   * its first answer: the PhonePe redirect URL. A closed workflow means an earlier request
   * finished it; the caller then answers from the read model.
   */
  async startTopUp(input: TopUpInput, userCode: string): Promise<TopUpStarted | 'already-closed'> {
    const start = new WithStartWorkflowOperation(topUpWorkflow, {
      workflowId: workflowIdFor('topup', input.paymentId),
      taskQueue: this.taskQueue,
      args: [input],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: searchAttributes('topup', userCode, input.amount),
      ...topUpSummary(input, userCode),
    });
    try {
      return await this.client.workflow.executeUpdateWithStart(topUpStartedUpdate, { startWorkflowOperation: start });
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) throw fromUpdateFailure(err);
      if (err instanceof WorkflowExecutionAlreadyStartedError) return 'already-closed';
      return unavailable(err);
    }
  }

  /** Runs a transfer to its end (it is one posting: quick) and returns the workflow's view. */
  async runTransfer(input: TransferInput): Promise<TransferResult> {
    const workflowId = workflowIdFor('transfer', input.paymentId);
    try {
      return await this.client.workflow.execute(transferWorkflowV2, {
        workflowId,
        taskQueue: this.taskQueue,
        args: [input],
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        typedSearchAttributes: searchAttributes('transfer', input.senderCode, input.amount),
        ...transferSummary(input),
      });
    } catch (err) {
      // An earlier request with this payment id already finished it: its result is the answer.
      if (err instanceof WorkflowExecutionAlreadyStartedError)
        return this.client.workflow.getHandle(workflowId).result();
      return unavailable(err);
    }
  }

  /**
   * Starts a payout, recharge or bill payment (or joins the one already running for this id)
   * and waits until its amount is held or refused. 'already-closed': an earlier request
   * finished it; the caller answers from the read model.
   */
  async startHeldPayment(start: HeldPaymentStart, userCode: string): Promise<PaymentAccepted | 'already-closed'> {
    const { kind, input } = start;
    const op = new WithStartWorkflowOperation(HELD_WORKFLOWS[kind], {
      workflowId: workflowIdFor(kind, input.paymentId),
      taskQueue: this.taskQueue,
      args: [input] as [never],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: searchAttributes(kind, userCode, input.amount),
      ...heldPaymentSummary(start, userCode),
    });
    try {
      return await this.client.workflow.executeUpdateWithStart(paymentAcceptedUpdate, { startWorkflowOperation: op });
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) throw fromUpdateFailure(err);
      if (err instanceof WorkflowExecutionAlreadyStartedError) return 'already-closed';
      return unavailable(err);
    }
  }

  async startRefund(input: RefundInput, userCode: string): Promise<void> {
    try {
      await this.client.workflow.start(refundWorkflow, {
        workflowId: workflowIdFor('refund', input.refundId),
        taskQueue: this.taskQueue,
        args: [input],
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        typedSearchAttributes: searchAttributes('refund', userCode, input.amount),
        ...refundSummary(input),
      });
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return; // idempotent retry
      unavailable(err);
    }
  }

  /**
   * Starts the reversal run of a settled payment (or joins the one running): it asks the
   * provider before booking anything. Answers with the run's workflow id.
   */
  async startReversalRun(input: ReversalInput): Promise<string> {
    const workflowId = reversalWorkflowIdFor(input.kind, input.paymentId);
    try {
      await this.client.workflow.start(reversalWorkflow, {
        workflowId,
        taskQueue: this.taskQueue,
        args: [input],
        workflowIdConflictPolicy: 'USE_EXISTING',
        staticSummary: `Reversal check of ${workflowIdFor(input.kind, input.paymentId)}`,
      });
      return workflowId;
    } catch (err) {
      return unavailable(err);
    }
  }

  /** Relays a verified webhook. False when the workflow is already closed (nothing left to wake). */
  async signalProviderEvent(workflowId: string, event: ProviderEvent): Promise<boolean> {
    try {
      await this.client.workflow.getHandle(workflowId).signal(providerEventSignal, event);
      return true;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      return unavailable(err);
    }
  }

  async recheck(workflowId: string): Promise<boolean> {
    try {
      await this.client.workflow.getHandle(workflowId).signal(recheckSignal);
      return true;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      return unavailable(err);
    }
  }

  /**
   * Runs the orphan sweep, then the ledger reconciliation, now (the schedules run them every
   * minute and daily) and answers with both results.
   */
  async runReconciliation(): Promise<{ sweep: SweepResult; reconciliation: ReconciliationSummary }> {
    const id = (name: string) => `${name}:manual:${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
    try {
      const sweep = await this.client.workflow.execute(orphanSweepWorkflow, {
        workflowId: id('orphan-sweep'),
        taskQueue: this.taskQueue,
      });
      const reconciliation = await this.client.workflow.execute(reconciliationWorkflow, {
        workflowId: id('reconciliation'),
        taskQueue: this.taskQueue,
      });
      return { sweep, reconciliation };
    } catch (err) {
      return unavailable(err);
    }
  }

  /** Whether the payment's workflow is still running (false once it closed, or if it never existed). */
  async isRunning(workflowId: string): Promise<boolean> {
    try {
      return (await this.client.workflow.getHandle(workflowId).describe()).status.name === 'RUNNING';
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      return unavailable(err);
    }
  }

  /**
   * Starts a recovery run of a payment whose workflow stopped while it was open: the same
   * workflow type and id, with the stopped run's own input (read from its history) plus where
   * the payment's record stands. With a decision the run applies it at once (update-with-start)
   * and answers with the payment. Joins the recovery run if one is already running.
   */
  async recover(
    workflowId: string,
    status: PaymentStatus,
    decision?: OperatorDecision,
  ): Promise<PaymentView | undefined> {
    try {
      const stopped = await this.client.workflow.getHandle(workflowId).describe();
      if (stopped.status.name === 'RUNNING') {
        if (decision) return await this.resolve(workflowId, decision);
        await this.recheck(workflowId);
        return undefined;
      }
      const history = await this.client.workflowService.getWorkflowExecutionHistory({
        namespace: this.client.options.namespace,
        execution: { workflowId, runId: stopped.runId },
        maximumPageSize: 1,
      });
      const payload = history.history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
      if (!payload)
        throw new ConflictError(`the history of ${workflowId} has no input to recover from`, 'invalid_state');
      const input =
        this.client.options.loadedDataConverter.payloadConverter.fromPayload<Record<string, unknown>>(payload);
      const options = {
        workflowId,
        taskQueue: stopped.taskQueue,
        args: [{ ...input, recovery: { status } }] as [never],
        workflowIdReusePolicy: 'ALLOW_DUPLICATE' as const,
        workflowIdConflictPolicy: 'USE_EXISTING' as const,
        typedSearchAttributes: stopped.typedSearchAttributes,
        ...recoverySummary(await stopped.staticSummary(), workflowId),
      };
      if (!decision) {
        await this.client.workflow.start(stopped.type, options);
        return undefined;
      }
      return await this.client.workflow.executeUpdateWithStart(operatorResolveUpdate, {
        args: [decision],
        startWorkflowOperation: new WithStartWorkflowOperation(stopped.type, options),
      });
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) throw fromUpdateFailure(err);
      return unavailable(err);
    }
  }

  async resolve(workflowId: string, decision: OperatorDecision): Promise<PaymentView> {
    try {
      return await this.client.workflow
        .getHandle(workflowId)
        .executeUpdate(operatorResolveUpdate, { args: [decision] });
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) throw fromUpdateFailure(err);
      if (err instanceof WorkflowNotFoundError)
        throw new ConflictError('this payment has finished; there is nothing to resolve', 'invalid_state');
      return unavailable(err);
    }
  }
}
