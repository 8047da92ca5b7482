/**
 * How an activity talks to a provider: it heartbeats while the call is in flight, so the
 * server notices a dead worker within the heartbeat timeout and a cancel (an operator's Cancel,
 * or a decision that supersedes the call) reaches it. A cancel never aborts a request already
 * sent: the workflow waits for its answer to know what the provider did. It only stops a call
 * between reading the provider's state and creating something there (`stopIfCancelled`).
 */
import { CancelledFailure } from '@temporalio/activity';
import { currentContext } from './activityContext';

const HEARTBEAT_EVERY_MS = 1_000;

export async function providerCall<T>(call: (stopIfCancelled: () => void) => Promise<T>): Promise<T> {
  const ctx = currentContext();
  if (!ctx) return call(() => undefined);
  ctx.heartbeat();
  const beat = setInterval(() => ctx.heartbeat(), HEARTBEAT_EVERY_MS);
  try {
    return await call(() => {
      if (ctx.cancellationSignal.aborted)
        throw new CancelledFailure('cancelled before anything was sent to the provider');
    });
  } finally {
    clearInterval(beat);
  }
}
