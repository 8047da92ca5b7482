/**
 * The API's logger: pino, one JSON line per event, to stdout.
 *
 * Lines are written asynchronously (sonic-boom, `sync: false`): they are gathered while a write
 * is in flight and go out in one write, instead of one blocking write per line. Every request
 * logs a line; measured in turns, writing them this way saved about a fifth of the API's CPU
 * for an authenticated read (docs/performance.md, "The API's log lines written in batches").
 *
 * What that trades, and how each case is handled:
 * - A stop (SIGTERM) ends the stream and waits for what is buffered to be written, at most
 *   `close`'s timeout; past it (stdout stalled) the rest is given up, so a stop cannot hang.
 * - Any other exit: pino writes the buffer synchronously on 'exit'; a write still in flight
 *   then may be lost or land out of order.
 * - Killed outright (SIGKILL, the OOM killer): the buffer, a few milliseconds' worth, is lost.
 * - stdout stalls: the buffer is capped; lines past it are dropped and counted.
 * - stdout fails (closed, disk full): lines are dropped and counted from then on, instead of the
 *   write error crashing the API (or its exit retrying the write forever).
 * Dropped lines are counted in `nexaspay_api_log_lines_dropped_total`, which an alert watches.
 * Nothing about money depends on a log line: payments and the ledger are rows in MariaDB, their
 * steps are in Temporal's histories.
 */
import pino, { Logger } from 'pino';

/** What may wait for stdout before lines are dropped: many seconds of a busy API's lines. */
const BUFFER_CAP_BYTES = 16 * 1024 * 1024;

let dropped = 0;

/** Log lines dropped because stdout could not keep up or failed, since the process started. */
export const droppedLogLines = (): number => dropped;

export interface ApiLogger {
  logger: Logger;
  /** Writes what is buffered and ends the stream; after `timeoutMs` gives the rest up. */
  close(timeoutMs?: number): Promise<void>;
}

/**
 * An open file descriptor, not a path: sonic-boom opens a path in the background, and a process
 * that exits before that finishes would lose its lines.
 */
export function createApiLogger(
  level: string,
  { fd = 1, capBytes = BUFFER_CAP_BYTES }: { fd?: number; capBytes?: number } = {},
): ApiLogger {
  const stream = pino.destination({ dest: fd, sync: false, maxLength: capBytes });
  const countDropped = () => {
    dropped += 1;
  };
  let givenUp = false;
  const giveUp = () => {
    givenUp = true;
    stream.write = () => {
      countDropped();
      return true;
    };
    stream.flushSync = () => undefined;
  };
  stream.on('drop', countDropped);
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (givenUp) return;
    giveUp();
    process.stderr.write(`api: writing log lines failed (${err.code ?? err.message}); dropping them from now on\n`);
  });
  let closing: Promise<void> | undefined;
  return {
    logger: pino({ level, base: { service: 'api' } }, stream),
    close: (timeoutMs = 5_000) =>
      (closing ??= new Promise<void>((resolve) => {
        if (givenUp) return resolve();
        const timer = setTimeout(() => {
          giveUp();
          resolve();
        }, timeoutMs);
        stream.once('close', () => {
          clearTimeout(timer);
          giveUp(); // a line logged after the stream ended is dropped and counted, not thrown
          resolve();
        });
        stream.end();
      })),
  };
}
