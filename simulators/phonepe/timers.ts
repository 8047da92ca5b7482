/**
 * Every wait in the simulator (webhook delays and retries, hung responses) goes through here,
 * so a reset or close ends them at once: a delayed webhook from one test must not land in the
 * next one, and a closing server must not wait for a 30 s hang.
 */
export interface Timers {
  /** Resolves true after `ms`, or false as soon as cancelAll() runs. */
  sleep(ms: number): Promise<boolean>;
  cancelAll(): void;
  /** Changes on every cancelAll(); work started under an older value should stop. */
  readonly generation: number;
  /** Aborted by the next cancelAll(): for requests in flight (a webhook to a receiver that hangs). */
  readonly signal: AbortSignal;
}

export function createTimers(): Timers {
  const pending = new Map<NodeJS.Timeout, () => void>();
  let generation = 0;
  let aborter = new AbortController();
  return {
    sleep(ms) {
      if (ms <= 0) return Promise.resolve(true);
      return new Promise<boolean>((resolve) => {
        const t = setTimeout(() => {
          pending.delete(t);
          resolve(true);
        }, ms);
        pending.set(t, () => resolve(false));
      });
    },
    cancelAll() {
      generation++;
      aborter.abort();
      aborter = new AbortController();
      for (const [t, cancel] of pending) {
        clearTimeout(t);
        cancel();
      }
      pending.clear();
    },
    get generation() {
      return generation;
    },
    get signal() {
      return aborter.signal;
    },
  };
}
