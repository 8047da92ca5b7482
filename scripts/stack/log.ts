/** Progress and failure output for the provisioning scripts: short lines, never a stack trace. */
import { existsSync, readFileSync } from 'node:fs';

/** A failure we explain in our own words: printed as one message, without a stack trace. */
export class ReportedFailure extends Error {}
export class MissingPrerequisite extends ReportedFailure {}

export function step(message: string): void {
  console.log(`nexaspay: ${message}`);
}

/** Runs a slow step, printing a line when it starts and how long it took. */
export async function timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const started = Date.now();
  step(`${label}…`);
  const result = await fn();
  step(`${label}: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return result;
}

/** Ends the process: one line for a missing prerequisite, the full error for anything unexpected. */
export function exitOnMissingPrerequisite(err: unknown): never {
  if (err instanceof ReportedFailure) console.error(`nexaspay: ${err.message}`);
  else console.error('nexaspay: failed:', err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
}

/** The last `n` lines of a log file; none when it is missing or empty. */
export function lastLines(file: string, n: number): string[] {
  const text = existsSync(file) ? readFileSync(file, 'utf8').trimEnd() : '';
  return text ? text.split('\n').slice(-n) : [];
}
