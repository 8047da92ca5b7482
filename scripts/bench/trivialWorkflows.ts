/**
 * The benchmark's Temporal ceilings: workflows that do nothing but what the engine's must (run
 * three activities, local or regular), so the server's and SDK's own cost is measured alone.
 */
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type * as activities from './trivialActivities';

const local = proxyLocalActivities<typeof activities>({ startToCloseTimeout: '10s' });
const regular = proxyActivities<typeof activities>({ startToCloseTimeout: '10s' });

export async function emptyWorkflow(): Promise<void> {}

export async function threeLocalActivities(): Promise<number> {
  return (await local.noop(1)) + (await local.noop(2)) + (await local.noop(3));
}

export async function threeRegularActivities(): Promise<number> {
  return (await regular.noop(1)) + (await regular.noop(2)) + (await regular.noop(3));
}
