/**
 * How an activity talks to a provider: it heartbeats while the call is in flight, so the
 * server notices a dead worker within the heartbeat timeout and a cancel (an operator's Cancel,
 * or a decision that supersedes the call) reaches it. A cancel never aborts a request already
 * sent: the workflow waits for its answer to know what the provider did. It only stops a call
 * between reading the provider's state and creating something there (`stopIfCancelled`).
 */
import { CancelledFailure } from '@temporalio/activity';
import { PROVIDER_OF_KIND } from '../domain/reports';
import { currentContext } from './activityContext';

const HEARTBEAT_EVERY_MS = 1_000;

/** Exposed by the worker's Prometheus endpoint (WORKER_METRICS_ADDRESS), in seconds as Prometheus names want. */
export const PROVIDER_CALL_METRIC = 'nexaspay_provider_call_seconds';
/** Its buckets (the SDK's defaults are for milliseconds): from a quick answer to a provider's 30 s timeout and past it. */
export const PROVIDER_CALL_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** Which provider is asked what, for the worker's provider-call histogram. */
export interface ProviderCallName {
  provider: string;
  operation: string;
}

const phonePe = (operation: string): ProviderCallName => ({ provider: PROVIDER_OF_KIND.topup, operation });
export const PHONEPE_CALLS = {
  createOrder: phonePe('create-order'),
  checkOrder: phonePe('check-order'),
  createRefund: phonePe('create-refund'),
  checkRefund: phonePe('check-refund'),
};

export async function providerCall<T>(
  name: ProviderCallName,
  call: (stopIfCancelled: () => void) => Promise<T>,
): Promise<T> {
  const ctx = currentContext();
  if (!ctx) return call(() => undefined);
  // No heartbeat as the call starts: the server times a heartbeat out from the attempt's start
  // until the first one arrives, so a dead worker is noticed as soon either way, and most calls
  // end within a second without costing the server a heartbeat's write (docs/performance.md).
  // The first beat, a second in, goes out at once and brings any cancel requested by then.
  const beat = setInterval(() => ctx.heartbeat(), HEARTBEAT_EVERY_MS);
  const started = performance.now();
  let outcome: 'ok' | 'error' = 'error';
  try {
    const answer = await call(() => {
      if (ctx.cancellationSignal.aborted)
        throw new CancelledFailure('cancelled before anything was sent to the provider');
    });
    outcome = 'ok';
    return answer;
  } finally {
    clearInterval(beat);
    // Each attempt is one sample: a provider that times out and is retried shows every slow try.
    ctx.metricMeter
      .createHistogram(PROVIDER_CALL_METRIC, 'float', 's', 'Calls to a provider, by provider, operation and outcome')
      .record((performance.now() - started) / 1000, { ...name, outcome });
  }
}
