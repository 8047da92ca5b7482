/**
 * Login sessions. A session (a row of `sessions`) is what a login creates and what an access
 * token names (`sid`); it ends when revoked or at `expires_at`, however often it is refreshed.
 * Its refresh tokens form a family: each refresh spends the token it presents and issues the
 * next. Presenting a spent token again means it was stolen or replayed: the session is revoked,
 * logging out thief and owner alike.
 */
import type { Knex } from 'knex';
import { newUlid } from './ids';
import type { UserRow } from './users';
import { deviceName } from './devices';
import { retryOnLockConflict, selectRows } from './sql';
import { InvariantViolation } from '../domain/errors';
import { missingTriggers } from './triggers';
import { SESSION_VERSION_TRIGGERS } from './migrations/024_session_version';

const DAY_MS = 86_400_000;

export interface ClientSeen {
  ip?: string;
  userAgent?: string;
}

export interface StartedSession {
  sessionId: string;
  device: string;
  /** No earlier session of this user came from a device of this name. */
  newDevice: boolean;
  /** What an access token for this session carries (api/auth/tokens.ts). */
  state: SessionState;
}

/**
 * What an access token says about its session when issued: the user's session version then
 * (`users.session_version`), whether the session had passed a second factor, and when it ends.
 * While the version is unchanged no session of the user has changed state, so the token's
 * session is still live and its two-factor state still true (api/auth/guards.ts).
 */
export interface SessionState {
  version: number;
  twoFactor: boolean;
  endsAt: Date;
}

/**
 * A new session and its first refresh token. The token lives `refreshDays` unless the session
 * (`sessionDays`, absolute) ends first.
 */
export async function startSession(
  knex: Knex,
  s: { userId: number; tokenHash: string; refreshDays: number; sessionDays: number; twoFactor?: boolean } & ClientSeen,
): Promise<StartedSession> {
  const sessionId = newUlid();
  const device = deviceName(s.userAgent);
  const now = new Date();
  const expiresAt = new Date(now.getTime() + s.sessionDays * DAY_MS);
  const { newDevice, version } = await knex.transaction(async (trx) => {
    // The version is read before the session exists: a revocation that could end this session
    // must find it first, so it bumps the version past the one read here (and the token issued
    // with it goes to the full check), never before it.
    const { session_version: version } = await trx('users').where({ id: s.userId }).first('session_version');
    const seen = await trx('sessions').where({ user_id: s.userId, device }).first('id');
    await trx('sessions').insert({
      id: sessionId,
      user_id: s.userId,
      device,
      ip_address: s.ip ?? null,
      user_agent: s.userAgent?.slice(0, 500) ?? null,
      last_ip: s.ip ?? null,
      created_at: now,
      last_used_at: now,
      expires_at: expiresAt,
      two_factor_at: s.twoFactor ? now : null,
    });
    await trx('refresh_tokens').insert({
      user_id: s.userId,
      family_id: sessionId,
      token_hash: s.tokenHash,
      expires_at: earlier(new Date(now.getTime() + s.refreshDays * DAY_MS), expiresAt),
      ip_address: s.ip ?? null,
      user_agent: s.userAgent?.slice(0, 500) ?? null,
    });
    return { newDevice: !seen, version: version as number };
  });
  return { sessionId, device, newDevice, state: { version, twoFactor: Boolean(s.twoFactor), endsAt: expiresAt } };
}

const earlier = (a: Date, b: Date) => (a <= b ? a : b);

export type RotationOutcome =
  | { ok: true; userId: number; sessionId: string; state: SessionState }
  | { ok: false; reason: 'unknown' | 'expired' | 'ended' | 'reused'; userId?: number };

/**
 * Spends `oldHash` and issues `newHash` in its session, under locks on the token and the
 * session, so two concurrent refreshes of one token cannot both succeed (the second sees it
 * spent: reuse) and a refresh cannot outlive a revocation running beside it. Reuse revokes the
 * session and is committed (it must stick even though the caller gets an error).
 */
export async function rotateRefreshToken(
  knex: Knex,
  r: { oldHash: string; newHash: string; refreshDays: number } & ClientSeen,
): Promise<RotationOutcome> {
  // Two refreshes of one token at once lock the same rows; should InnoDB still pick one as a
  // deadlock victim, it is retried and then finds the token spent (reuse), as it should.
  return retryOnLockConflict(() =>
    knex.transaction(async (trx) => {
      const owner = await trx('refresh_tokens').where({ token_hash: r.oldHash }).first('user_id');
      if (!owner) return { ok: false, reason: 'unknown' };
      const version = await lockUserSessions(trx, owner.user_id);
      const row = await trx('refresh_tokens as r')
        .join('sessions as s', 's.id', 'r.family_id')
        .where('r.token_hash', r.oldHash)
        .forUpdate()
        .first(
          'r.id',
          'r.user_id',
          'r.family_id',
          'r.revoked_at',
          'r.expires_at',
          's.revoked_at as session_revoked_at',
          's.expires_at as session_expires_at',
          's.two_factor_at as session_two_factor_at',
        );
      if (!row) return { ok: false, reason: 'unknown' };
      if (row.user_id !== owner.user_id)
        throw new InvariantViolation('a refresh token changed owner during its refresh');
      const now = new Date();
      const userId: number = row.user_id;
      if (row.session_revoked_at) return { ok: false, reason: 'ended', userId };
      if (row.revoked_at) {
        await trx('sessions')
          .where({ id: row.family_id })
          .update({ revoked_at: now, revoked_reason: 'reuse_detected' });
        return { ok: false, reason: 'reused', userId };
      }
      const sessionEnds = new Date(row.session_expires_at);
      if (sessionEnds <= now) return { ok: false, reason: 'ended', userId };
      if (new Date(row.expires_at) <= now) return { ok: false, reason: 'expired', userId };
      const [newId] = (await trx('refresh_tokens').insert({
        user_id: userId,
        family_id: row.family_id,
        token_hash: r.newHash,
        expires_at: earlier(new Date(now.getTime() + r.refreshDays * DAY_MS), sessionEnds),
        ip_address: r.ip ?? null,
        user_agent: r.userAgent?.slice(0, 500) ?? null,
      })) as [number];
      await trx('refresh_tokens')
        .where({ id: row.id })
        .update({ revoked_at: now, revoked_reason: 'rotated', replaced_by_id: newId });
      await trx('sessions')
        .where({ id: row.family_id })
        .update({ last_used_at: now, last_ip: r.ip ?? null });
      // The version was read under the user's lock, before the session was: a revocation of it
      // waits for this commit and changes the version after, so the new token never carries a
      // version that postdates its session's end.
      return {
        ok: true,
        userId,
        sessionId: row.family_id,
        state: { version: version as number, twoFactor: row.session_two_factor_at !== null, endsAt: sessionEnds },
      };
    }),
  );
}

/**
 * Every transaction that changes or spends one of a user's sessions locks the user's row first.
 * A change of a session's state makes its trigger write that row (migration 024), and a
 * refresh's new token checks its foreign key on it: without one order, a sign-out of the other
 * sessions (session rows, then the user's, then more session rows) and a logout or refresh
 * beside it (a session row, then the user's) deadlocked.
 */
export async function lockUserSessions(trx: Knex, userId: number): Promise<number | undefined> {
  if (!(trx as Knex.Transaction).isTransaction)
    throw new InvariantViolation('a change of sessions runs in a transaction');
  // A locking read is a current read: the version as committed now, which no change of a
  // session can move before this transaction ends (each writes this row).
  return (await trx('users').where({ id: userId }).forUpdate().first('session_version'))?.session_version;
}

/** Ends one of `userId`'s sessions; false when it was not theirs or had already ended. In a transaction. */
export async function revokeSession(trx: Knex, userId: number, sessionId: string, reason: string): Promise<boolean> {
  await lockUserSessions(trx, userId);
  const n = await trx('sessions')
    .where({ id: sessionId, user_id: userId })
    .whereNull('revoked_at')
    .where('expires_at', '>', new Date())
    .update({ revoked_at: new Date(), revoked_reason: reason });
  return n > 0;
}

/** Ends every live session of `userId` but `keep`; how many it ended. In a transaction. */
export async function revokeOtherSessions(trx: Knex, userId: number, keep: string, reason: string): Promise<number> {
  await lockUserSessions(trx, userId);
  return trx('sessions')
    .where({ user_id: userId })
    .whereNull('revoked_at')
    .where('expires_at', '>', new Date())
    .whereNot({ id: keep })
    .update({ revoked_at: new Date(), revoked_reason: reason });
}

export async function sessionOfToken(
  knex: Knex,
  tokenHash: string,
): Promise<{ sessionId: string; userId: number } | null> {
  const row = await knex('refresh_tokens').where({ token_hash: tokenHash }).first('family_id', 'user_id');
  return row ? { sessionId: row.family_id, userId: row.user_id } : null;
}

export interface SessionRow {
  id: string;
  device: string;
  ip_address: string | null;
  last_ip: string | null;
  user_agent: string | null;
  created_at: Date;
  last_used_at: Date;
  expires_at: Date;
}

/** Live sessions, most recently used first. */
export async function liveSessions(knex: Knex, userId: number, limit: number): Promise<SessionRow[]> {
  return knex('sessions')
    .where({ user_id: userId })
    .whereNull('revoked_at')
    .where('expires_at', '>', new Date())
    .orderBy('last_used_at', 'desc')
    .limit(limit)
    .select('id', 'device', 'ip_address', 'last_ip', 'user_agent', 'created_at', 'last_used_at', 'expires_at');
}

/**
 * How stale `last_used_at` may get. Each API process writes it for a session at most this often
 * (api/auth/guards.ts), so "last used" costs a small write per session per minute, not one per
 * request.
 */
export const LAST_USED_PRECISION_MS = 60_000;

/** The session passed a second factor now (enrolment proves one). In a transaction. */
export async function markSessionTwoFactor(trx: Knex, userId: number, sessionId: string): Promise<void> {
  await lockUserSessions(trx, userId);
  await trx('sessions').where({ id: sessionId, user_id: userId }).update({ two_factor_at: new Date() });
}

export async function touchSession(knex: Knex, sessionId: string, ip: string | undefined, now: Date): Promise<void> {
  await knex('sessions')
    .where({ id: sessionId })
    .update({ last_used_at: now, last_ip: ip ?? null });
}

/** What the session check itself reads of the user's row. */
const SESSION_CHECK_COLUMNS = ['id', 'role', 'user_code', 'is_active', 'session_version'] as const;

/**
 * A column of the user's row a route may have the session check read with its own (never the
 * password hash).
 */
export type AccountColumn = Exclude<keyof UserRow, 'password'>;

/**
 * The user's row as a request sees it: the check's columns and the ones its route asked for, so
 * the type cannot name a column that was not read.
 */
export type SessionUser<C extends AccountColumn = never> = Pick<UserRow, (typeof SESSION_CHECK_COLUMNS)[number] | C>;

/**
 * The read of the user's row that every authenticated request makes: one table, by primary key,
 * with the columns its route reads of the row (`columns`), so the route needs no second query.
 * Its `session_version` tells whether the token's session can have changed since it was issued.
 * Each route reads only its own columns: every column costs every request its bytes on the wire
 * and its parsing (the 21 a route could want cost a read of the same row a fifth more of the
 * machine's CPU than 4: docs/performance.md, "The session check reads what its route needs").
 * The SQL is written once per route (knex's builder cost about twice the query's own CPU), its
 * columns sorted so that routes reading the same ones share one prepared statement.
 */
export function sessionUserReader<C extends AccountColumn>(
  columns: readonly C[],
): (knex: Knex, userId: number) => Promise<SessionUser<C> | null> {
  // The check's columns first, then the route's sorted; a Set keeps each name's first place.
  const read = [...new Set([...SESSION_CHECK_COLUMNS, ...[...columns].sort()])];
  // Names go into the SQL's text: the type allows only the row's columns, and this refuses, at
  // start, anything that is not a plain name should a cast ever get past it.
  const odd = read.find((c) => !/^[a-z_]+$/.test(c));
  if (odd !== undefined) throw new Error(`not a column of users: ${JSON.stringify(odd)}`);
  const sql = `SELECT ${read.join(', ')} FROM users WHERE id = ?`;
  return async (knex, userId) => {
    const [row] = await selectRows<SessionUser<C>>(knex, sql, [userId]);
    return row ?? null;
  };
}

/** The triggers that move the session version (migration 024) that this database lacks. */
export async function missingSessionTriggers(knex: Knex): Promise<string[]> {
  return (await missingTriggers(knex, SESSION_VERSION_TRIGGERS)).map((m) => m.missing_trigger);
}

/**
 * Whether the triggers that move the session version exist, as last seen: asked at most every
 * `everyMs` (in the background; a caller gets the last answer), false until first seen and
 * whenever asking fails. The session check trusts a version only while this says true, so a
 * database that lost its triggers (a restore without them, a table rebuilt by a tool that drops
 * them) costs the check its shortcut, not its guarantee.
 */
export function sessionTriggersWatch(knex: Knex, everyMs = 10_000): () => boolean {
  let present = false;
  let askedAt = -Infinity;
  let asking = false;
  return () => {
    if (!asking && performance.now() - askedAt >= everyMs) {
      asking = true;
      void missingSessionTriggers(knex)
        .then(
          (missing) => (present = missing.length === 0),
          () => (present = false),
        )
        .finally(() => {
          askedAt = performance.now();
          asking = false;
        });
    }
    return present;
  };
}

const LIVE_SESSION_SQL = `SELECT two_factor_at FROM sessions
  WHERE id = ? AND user_id = ? AND revoked_at IS NULL AND expires_at > ?`;

/**
 * The session itself, when its user's sessions changed since the token was issued: whether it
 * is still live (neither revoked nor past its end) and has passed a second factor.
 */
export async function liveSession(
  knex: Knex,
  userId: number,
  sessionId: string,
  now = new Date(),
): Promise<{ twoFactorAt: Date | null } | null> {
  const [row] = await selectRows<{ two_factor_at: Date | null }>(knex, LIVE_SESSION_SQL, [sessionId, userId, now]);
  return row ? { twoFactorAt: row.two_factor_at } : null;
}
