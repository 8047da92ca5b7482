/**
 * The running activity's context, or undefined when the same code runs outside an activity
 * (unit tests, scripts): heartbeats and cancellation checks are then simply skipped.
 */
import { Context } from '@temporalio/activity';

export function currentContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}
