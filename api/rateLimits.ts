/**
 * Rate limits, kept by rate-limiter-flexible where their purpose needs them:
 *
 * - Request budgets by route class, per client IP and per signed-in user, in each API process's
 *   memory. They protect capacity, so being per instance (N instances allow N times a budget)
 *   and forgotten on restart loses nothing that matters, and they cost the hot path no database
 *   round trip.
 * - Failed logins and penny-drops, in MariaDB (`rate_limit_counters`). These stop password
 *   guessing and the harvesting of account holders' names: every instance must see the same
 *   count, and a restart must not reset it.
 *
 * Past a limit: `RateLimitedError`, which the error mapper answers 429 with Retry-After.
 */
import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { RateLimiterAbstract, RateLimiterMemory, RateLimiterMySQL, RateLimiterRes } from 'rate-limiter-flexible';
import type { Config } from '../config';
import { RateLimitedError } from '../domain/errors';
import type { AuthUser } from './auth/guards';
import type { Check } from './http/route';

/** What a route costs against: every route is in one class ('none': webhooks, probes, docs). */
export type RouteClass = 'auth' | 'read' | 'write' | 'payment' | 'billFetch' | 'pennyDrop' | 'none';

const TABLE = 'rate_limit_counters';
const MAX_LOCKOUT_SECONDS = 3600;

const refusal = (res: RateLimiterRes) => new RateLimitedError(Math.max(1, Math.ceil(res.msBeforeNext / 1000)));

/** One point of `key`'s budget; past it, RateLimitedError. */
async function spend(limiter: RateLimiterAbstract, key: string): Promise<void> {
  try {
    await limiter.consume(key);
  } catch (err) {
    if (err instanceof RateLimiterRes) throw refusal(err);
    throw err;
  }
}

export interface RequestBudgets {
  /** Before authentication: the client IP's budget for any route, and for the class per IP. */
  perIp(cls: RouteClass): Check[];
  /** After authentication: the signed-in user's budget for the class. */
  perUser(cls: RouteClass): Check[];
}

export function createRequestBudgets(config: Config): RequestBudgets {
  const perMinute = (points: number, keyPrefix: string) => new RateLimiterMemory({ points, duration: 60, keyPrefix });
  const anyRoute = perMinute(config.RATE_LIMIT_PER_IP_PER_MINUTE, 'ip');
  const ipClass: Partial<Record<RouteClass, RateLimiterMemory>> = {
    auth: perMinute(config.RATE_LIMIT_AUTH_PER_IP_PER_MINUTE, 'auth'),
  };
  const userClass: Partial<Record<RouteClass, RateLimiterMemory>> = {
    read: perMinute(config.RATE_LIMIT_READS_PER_USER_PER_MINUTE, 'read'),
    write: perMinute(config.RATE_LIMIT_WRITES_PER_USER_PER_MINUTE, 'write'),
    payment: perMinute(config.RATE_LIMIT_PAYMENTS_PER_USER_PER_MINUTE, 'payment'),
    billFetch: perMinute(config.RATE_LIMIT_BILL_FETCHES_PER_USER_PER_MINUTE, 'bill'),
  };
  const byIp =
    (limiter: RateLimiterMemory): Check =>
    (ctx) =>
      spend(limiter, ctx.ip);
  const byUser =
    (limiter: RateLimiterMemory): Check =>
    (ctx) =>
      spend(limiter, String((ctx.state.user as AuthUser).id));
  return {
    perIp: (cls) => (cls === 'none' ? [] : [byIp(anyRoute), ...(ipClass[cls] ? [byIp(ipClass[cls])] : [])]),
    perUser: (cls) => (userClass[cls] ? [byUser(userClass[cls])] : []),
  };
}

function sharedLimiter(knex: Knex, o: { keyPrefix: string; points: number; duration: number }) {
  return new RateLimiterMySQL({
    storeClient: knex,
    storeType: 'knex',
    dbName: (knex.client.config.connection as { database?: string }).database ?? databaseOf(knex),
    tableName: TABLE,
    tableCreated: true, // by migration 014
    ...o,
  });
}

function databaseOf(knex: Knex): string {
  const uri = (knex.client.config.connection as { uri?: string }).uri;
  const name = uri ? decodeURIComponent(new URL(uri).pathname.slice(1)) : '';
  if (!name) throw new Error('rate limits: the database name is not in the connection settings');
  return name;
}

/** Counters are keyed by a hash: logins are personal data, and keys have a fixed length. */
const keyOf = (...parts: string[]) => createHash('sha256').update(parts.join('\n')).digest('hex');

export interface LoginThrottle {
  /**
   * Counts an attempt on `account` from `ip` before its password or code is checked, so that
   * concurrent guesses cannot all slip through before the first failure is recorded. Throws
   * RateLimitedError while the pair or the address is locked out.
   */
  attempt(account: string, ip: string): Promise<{ failuresSoFar: number }>;
  /** The attempt failed: past the free ones, a lock-out that doubles with each failure. */
  failed(account: string, ip: string, attempt: { failuresSoFar: number }): Promise<void>;
  /** The attempt succeeded: the pair's count is cleared, and the address's count refunded. */
  succeeded(account: string, ip: string): Promise<void>;
  /** The attempt was no guess (a code already used, the owner's): it is not counted. */
  forgive(account: string, ip: string): Promise<void>;
}

/**
 * Password guessing stops within a handful of tries: after LOGIN_FREE_FAILURES failures for one
 * account from one IP, that pair must wait LOGIN_LOCKOUT_FIRST_SECONDS, then gets one try per
 * wait, each failure doubling it (up to an hour). Keyed by account and IP, so someone guessing
 * from elsewhere cannot lock the owner out; an IP that fails LOGIN_FAILURES_PER_IP_PER_DAY times,
 * whatever the accounts, is refused for the rest of its day, which bounds guessing across many
 * accounts. Attempts are counted before they are checked (and refunded on success), and past
 * the free ones a single try may be in flight at once.
 */
export function createLoginThrottle(knex: Knex, config: Config): LoginThrottle {
  const failures = sharedLimiter(knex, { keyPrefix: 'login-fail', points: 1_000_000, duration: 86_400 });
  const lockout = sharedLimiter(knex, { keyPrefix: 'login-lock', points: 1, duration: MAX_LOCKOUT_SECONDS });
  // The one try allowed between two lock-outs: taken atomically, so concurrent tries get one.
  const oneTry = sharedLimiter(knex, { keyPrefix: 'login-try', points: 1, duration: MAX_LOCKOUT_SECONDS });
  const perIp = sharedLimiter(knex, {
    keyPrefix: 'login-ip',
    points: config.LOGIN_FAILURES_PER_IP_PER_DAY,
    duration: 86_400,
  });
  const free = config.LOGIN_FREE_FAILURES;
  /** How long a failure after `failuresSoFar` others locks the pair out: doubling past the free ones. */
  const lockoutSeconds = (failuresSoFar: number) =>
    Math.min(
      config.LOGIN_LOCKOUT_FIRST_SECONDS * 2 ** Math.min(Math.max(failuresSoFar + 1 - free, 0), 20),
      MAX_LOCKOUT_SECONDS,
    );
  return {
    async attempt(account, ip) {
      const key = keyOf(account, ip);
      const [locked, ipCount] = await Promise.all([lockout.get(key), perIp.get(keyOf(ip))]);
      // A block stores one point more than the limiter allows.
      if (locked && locked.consumedPoints > lockout.points) throw refusal(locked);
      if (ipCount && ipCount.consumedPoints >= perIp.points) throw refusal(ipCount);
      const [counted] = await Promise.all([failures.penalty(key, 1), perIp.penalty(keyOf(ip), 1)]);
      const failuresSoFar = counted.consumedPoints - 1;
      // The one try is held as long as the lock-out its failure would start: concurrent tries,
      // and tries after that failure, wait for it.
      if (failuresSoFar >= free) {
        try {
          await oneTry.consume(key, 1, { customDuration: lockoutSeconds(failuresSoFar) });
        } catch (err) {
          if (err instanceof RateLimiterRes) throw refusal(err);
          throw err;
        }
      }
      return { failuresSoFar };
    },
    async failed(account, ip, { failuresSoFar }) {
      if (failuresSoFar + 1 >= free) await lockout.block(keyOf(account, ip), lockoutSeconds(failuresSoFar));
    },
    async forgive(account, ip) {
      const key = keyOf(account, ip);
      await Promise.all([failures.reward(key, 1), oneTry.delete(key), perIp.reward(keyOf(ip), 1)]);
    },
    async succeeded(account, ip) {
      const key = keyOf(account, ip);
      await Promise.all([failures.delete(key), lockout.delete(key), oneTry.delete(key), perIp.reward(keyOf(ip), 1)]);
    },
  };
}

/** Penny-drops per user per day, counted in MariaDB (each reveals an account holder's name). */
export function createPennyDropBudget(knex: Knex, config: Config): (userId: number) => Promise<void> {
  const limiter = sharedLimiter(knex, {
    keyPrefix: 'penny-drop',
    points: config.RATE_LIMIT_PENNY_DROPS_PER_USER_PER_DAY,
    duration: 86_400,
  });
  return (userId) => spend(limiter, String(userId));
}
