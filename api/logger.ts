/**
 * The API's logger: pino, one JSON line per event, to stdout.
 *
 * Lines are written asynchronously (sonic-boom, `sync: false`): they are gathered while a write
 * is in flight and go out in one write, instead of one blocking write per line. Every request
 * logs a line; measured in turns, writing them this way saved about a fifth of the API's CPU
 * for an authenticated read (docs/performance.md, "The API's log lines written in batches").
 *
 * What that trades: lines still in the buffer when the process is killed outright (SIGKILL, the
 * OOM killer) are lost, a few milliseconds' worth. Any other exit flushes them: pino writes the
 * buffer synchronously on 'exit'. Nothing about money depends on a log line: payments, the ledger
 * and their audit trail are rows in MariaDB and Temporal's histories.
 *
 * If stdout stalls, the buffer is capped: past it, lines are dropped and counted (the
 * `nexaspay_api_log_lines_dropped_total` metric) rather than growing the API's memory without bound.
 */
import pino, { Logger } from 'pino';

/** What may wait for stdout before lines are dropped: many seconds of a busy API's lines. */
const BUFFER_CAP_BYTES = 16 * 1024 * 1024;

let dropped = 0;

/** Log lines dropped because stdout could not keep up, since the process started. */
export const droppedLogLines = (): number => dropped;

/**
 * An open file descriptor, not a path: sonic-boom opens a path in the background, and a process
 * that exits before that finishes would lose its lines.
 */
export function createApiLogger(
  level: string,
  { fd = 1, capBytes = BUFFER_CAP_BYTES }: { fd?: number; capBytes?: number } = {},
): Logger {
  const stream = pino.destination({ dest: fd, sync: false, maxLength: capBytes });
  stream.on('drop', () => {
    dropped += 1;
  });
  return pino({ level, base: { service: 'api' } }, stream);
}
