/**
 * The benchmark's Temporal ceilings: workflows that do nothing but what the engine's must (run
 * one local activity, as a transfer does; three regular ones; or take a held payment's or a
 * top-up's path), so the server's and SDK's own cost is measured alone.
 */
import {
  condition,
  defineSignal,
  defineUpdate,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
} from '@temporalio/workflow';
import type * as activities from './trivialActivities';

const local = proxyLocalActivities<typeof activities>({ startToCloseTimeout: '10s' });
const regular = proxyActivities<typeof activities>({ startToCloseTimeout: '10s' });

export async function emptyWorkflow(): Promise<void> {}

/** A transfer's shape since `transfer-in-one-step`: record, post and COMPLETED in one local activity. */
export async function oneLocalActivity(): Promise<number> {
  return local.noop(1);
}

export async function threeRegularActivities(): Promise<number> {
  return (await regular.noop(1)) + (await regular.noop(2)) + (await regular.noop(3));
}

export const acceptedUpdate = defineUpdate<string>('accepted');
export const providerEventSignal = defineSignal('providerEvent');

/**
 * A held payment's path with nothing in its steps, answered where a recharge is: started with
 * an update, one local activity (record, hold and PROCESSING, as `held-opens-processing` runs
 * them), the answer; then a regular activity (the order) after which the "provider" signals when
 * the simulators' webhooks come (`PROCESSING_MS` later), while a timer (the next status check)
 * waits; a regular activity (the status check); one local activity (settle).
 */
export async function heldPaymentShape(id: string): Promise<void> {
  const payment = paymentHandlers(id);
  await local.noop(1);
  payment.answer();
  await regular.signalAfterReturning(id);
  await payment.signalled();
  await regular.noop(2);
  await local.noop(3);
}

/**
 * A top-up's path with nothing in its steps, answered where a top-up is: started with an update,
 * one local activity (record), a regular activity (the PhonePe order), one local activity
 * (AWAITING_PAYMENT), the answer; then, once the "customer" has paid (the client signals after
 * the answer, as the bench pays after each), a regular activity (the status check) and two local
 * activities (the credit, COMPLETED).
 */
export async function topUpShape(id: string): Promise<void> {
  const payment = paymentHandlers(id);
  await local.noop(1);
  await regular.noop(2);
  await local.noop(3);
  payment.answer();
  await payment.signalled();
  await regular.noop(4);
  await local.noop(5);
  await local.noop(6);
}

/**
 * A payment's two messages, as the engine's workflows have them: the update that starts it,
 * answered once `answer()` is called, and the provider's signal, waited for by `signalled()` (a
 * minute at most, so a lost signal cannot leave the workflow open).
 */
function paymentHandlers(id: string) {
  let answered = false;
  let signalled = false;
  setHandler(acceptedUpdate, async () => {
    await condition(() => answered);
    return id;
  });
  setHandler(providerEventSignal, () => {
    signalled = true;
  });
  return {
    answer: () => {
      answered = true;
    },
    signalled: () => condition(() => signalled, '1 minute'),
  };
}
