/**
 * Every message a payment workflow understands. Ops send these from the Temporal UI ("Send
 * Signal", "Send Update", "Query") or through the admin API; the API relays verified webhooks.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { PaymentKind, PaymentStatus, TimelineEntry } from '../domain/payments';

/** A verified webhook, relayed by the API. Only a hint: the workflow confirms with the provider. */
export interface ProviderEvent {
  /** The stored webhook's dedupe key; a repeat is a no-op. */
  eventKey: string;
  event: string;
  state: string;
  providerRef?: string;
}

export interface OperatorDecision {
  outcome: 'succeeded' | 'failed';
  reason: string;
  /** Who decided: the admin's user code from the admin API; trusted only with a valid `proof`. */
  operator?: string;
  /** The admin API's signature of the decision (domain/decisionProof.ts); the UI sends none. */
  proof?: string;
}

export interface PaymentView {
  paymentId: string;
  kind: PaymentKind;
  status: PaymentStatus;
  /** What the workflow is doing now, in words. */
  step: string;
  providerChecks: number;
  lastProviderState: string | null;
  /** When the payment stops waiting for the customer (ISO), if it has such a deadline. */
  deadline: string | null;
  timeline: TimelineEntry[];
  failureReason: string | null;
}

export const providerEventSignal = defineSignal<[ProviderEvent]>('providerEvent');
export const recheckSignal = defineSignal('recheck');
export const operatorResolveUpdate = defineUpdate<PaymentView, [OperatorDecision]>('operatorResolve');
export const statusQuery = defineQuery<PaymentView>('status');

/** The first answer of a top-up, returned to the API through update-with-start. */
export interface TopUpStarted {
  paymentId: string;
  status: PaymentStatus;
  redirectUrl: string;
  expiresAt: string;
}
export const topUpStartedUpdate = defineUpdate<TopUpStarted>('topUpStarted');

/**
 * The first answer of a payment that reserves money (payout, recharge, bill), returned to the
 * API through update-with-start once the hold is placed or refused: the client learns at once
 * whether its money is reserved (202) or why not (422), and the payment finishes in the background.
 */
export interface PaymentAccepted {
  paymentId: string;
  status: PaymentStatus;
  failureCode?: string;
  failureReason?: string | null;
}
export const paymentAcceptedUpdate = defineUpdate<PaymentAccepted>('paymentAccepted');

export type { RecoveryStart } from '../domain/contracts';
