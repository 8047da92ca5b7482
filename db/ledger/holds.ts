/**
 * Two-phase transfers: reserve money on a wallet (a hold), then capture it into a posting or
 * release it. A hold resolves exactly once: repeating the same resolution returns the earlier
 * outcome, the opposite one fails with HoldAlreadyResolvedError. Lock order matches postings:
 * the user, then the hold row, then (a capture) its system account.
 */
import type { Knex } from 'knex';
import {
  AccountInactiveError,
  HoldAlreadyResolvedError,
  InsufficientFundsError,
  KycRequiredError,
  NotFoundError,
  ReferenceConflictError,
  ValidationError,
} from '../../domain/errors';
import { CaptureRequest, Hold, PostingResult, UserRules } from '../../domain/ledger';

export type { CaptureRequest };
import { countUsage, uncountUsage } from '../../domain/limitUsage';
import { add, formatRupees, Paise, subtract } from '../../domain/money';
import { fromDecimal, toDecimal } from '../money';
import { LockedUser, lockUser, saveUser } from './accounts';
import { checkLimits, Clock, postJournal, wallClock } from './posting';
import { insertRow, isDuplicateKey, selectRows, SqlTransaction, updateById } from '../sql';
import { inLedgerTransaction } from './transaction';

export interface ReserveRequest {
  reference: string;
  userId: number;
  amount: Paise;
  rules?: UserRules;
  expiresAt?: Date;
}

export function toHold(row: Record<string, any>): Hold {
  return {
    id: row.id,
    reference: row.reference,
    userId: row.user_id,
    amount: fromDecimal(row.amount),
    status: row.status,
    capturedAmount: row.captured_amount === null ? null : fromDecimal(row.captured_amount),
    captureReference: row.capture_reference,
    releaseReason: row.release_reason,
    countsTowardLimits: Boolean(row.counts_toward_limits),
  };
}

async function findHold(db: Knex | Knex.Transaction, reference: string): Promise<Hold> {
  const [row] = await selectRows(db, 'SELECT * FROM holds WHERE reference = ?', [reference]);
  if (!row) throw new NotFoundError('hold not found', { reference });
  return toHold(row);
}

/** The hold under its row lock, and when it was placed (the period its amount is counted in). */
async function lockHold(trx: SqlTransaction, id: number): Promise<{ hold: Hold; placedAt: Date }> {
  const row = (await selectRows<Record<string, any>>(trx, 'SELECT * FROM holds WHERE id = ? FOR UPDATE', [id]))[0]!;
  return { hold: toHold(row), placedAt: row.created_at };
}

/** Frees a resolving hold's money on the locked user: no longer held, no longer counted as placed. */
function unreserve(user: LockedUser, { hold, placedAt }: { hold: Hold; placedAt: Date }): void {
  user.held = subtract(user.held, hold.amount);
  if (hold.countsTowardLimits) user.limits = uncountUsage(user.limits, placedAt, hold.amount);
}

function checkHoldRules(user: LockedUser, rules: UserRules, amount: Paise): void {
  const who = { userCode: user.userCode };
  if (rules.requireActive && !user.isActive) throw new AccountInactiveError(who);
  if (rules.requireKyc && !user.kycVerified) throw new KycRequiredError(who);
  const available = subtract(user.balance, user.held);
  if (available < amount)
    throw new InsufficientFundsError({ ...who, available: formatRupees(available), requested: formatRupees(amount) });
}

/** A hold as `reserve` returns it: `replayed` when it was placed before (the same reference and amount). */
export type ReservedHold = Hold & { replayed: boolean };

/**
 * Reserves `amount` on the wallet. Idempotent by reference. `alongside`, when given, writes the
 * caller's own rows in the hold's transaction, once the rules passed with the user locked: they
 * commit with the hold or roll back with it. A hold placed before does not run it (`replayed`).
 */
export async function reserve(
  knex: Knex,
  req: ReserveRequest,
  clock: Clock = wallClock,
  alongside?: (trx: SqlTransaction) => Promise<void>,
): Promise<ReservedHold> {
  if (!Number.isSafeInteger(req.amount) || req.amount <= 0)
    throw new ValidationError('hold amount must be positive', { amount: req.amount });
  const rules = req.rules ?? {};
  try {
    return await inLedgerTransaction(knex, async (trx) => {
      // The user's row lock comes first: the hold's FK check would otherwise take a shared lock
      // on it that two concurrent reserves would both try to upgrade (a deadlock). Under the
      // lock, the unique reference makes a concurrent twin fail as a duplicate and replay.
      const user = await lockUser(trx, req.userId);
      const now = clock();
      const id = await insertRow(trx, 'holds', {
        reference: req.reference,
        user_id: req.userId,
        amount: toDecimal(req.amount),
        status: 'active',
        counts_toward_limits: Boolean(rules.countTowardLimits),
        expires_at: req.expiresAt ?? null,
        created_at: now,
      });
      checkHoldRules(user, rules, req.amount);
      if (rules.countTowardLimits) {
        checkLimits(user, req.amount, now);
        user.limits = countUsage(user.limits, now, req.amount);
      }
      user.held = add(user.held, req.amount);
      await saveUser(trx, user);
      if (alongside) await alongside(trx);
      // The row as just inserted: not read back.
      return {
        id,
        reference: req.reference,
        userId: req.userId,
        amount: req.amount,
        status: 'active',
        capturedAmount: null,
        captureReference: null,
        releaseReason: null,
        countsTowardLimits: Boolean(rules.countTowardLimits),
        replayed: false,
      };
    });
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
    const existing = await findHold(knex, req.reference);
    if (existing.userId !== req.userId || existing.amount !== req.amount) {
      throw new ReferenceConflictError('this hold reference was used for a different reservation', {
        reference: req.reference,
      });
    }
    return { ...existing, replayed: true };
  }
}

/** Turns an active hold into a posting `wallet → to`. Idempotent by the capture reference. */
export async function capture(knex: Knex, req: CaptureRequest, clock: Clock = wallClock): Promise<PostingResult> {
  const hold = await findHold(knex, req.holdReference);
  const amount = req.amount ?? hold.amount;
  if (amount <= 0 || amount > hold.amount) {
    throw new ValidationError('capture amount must be positive and at most the held amount', {
      held: formatRupees(hold.amount),
      requested: formatRupees(amount),
    });
  }
  return postJournal(
    knex,
    {
      reference: req.reference,
      ledgerType: req.ledgerType,
      description: req.description,
      lines: [
        { account: { user: hold.userId }, debit: amount, statement: req.statement },
        { account: req.to, credit: amount },
      ],
    },
    {
      holdId: hold.id,
      countsTowardLimits: hold.countsTowardLimits,
      clock,
      afterLock: async (trx, accounts) => {
        const locked = await lockHold(trx, hold.id);
        const current = locked.hold;
        if (current.status !== 'active') {
          throw new HoldAlreadyResolvedError(current.status, {
            reference: hold.reference,
            captureReference: current.captureReference,
          });
        }
        // The captured money was reserved: free the whole hold before the debit is checked,
        // so available = balance − held stays exact (a partial capture releases the rest).
        // The posting then writes the user back and counts the captured debit.
        unreserve(accounts.get(`user:${hold.userId}`) as LockedUser, locked);
        await updateById(trx, 'holds', hold.id, {
          status: 'captured',
          captured_amount: toDecimal(amount),
          capture_reference: req.reference,
          resolved_at: clock(),
        });
      },
    },
  );
}

/** Voids an active hold; nothing is posted. Releasing a released hold returns it unchanged. */
export async function release(
  knex: Knex,
  holdReference: string,
  reason: string,
  clock: Clock = wallClock,
): Promise<Hold> {
  const hold = await findHold(knex, holdReference);
  return inLedgerTransaction(knex, async (trx) => {
    const user = await lockUser(trx, hold.userId);
    const locked = await lockHold(trx, hold.id);
    const current = locked.hold;
    if (current.status === 'released') return current;
    if (current.status === 'captured') {
      throw new HoldAlreadyResolvedError('captured', {
        reference: holdReference,
        captureReference: current.captureReference,
      });
    }
    unreserve(user, locked);
    await saveUser(trx, user);
    await updateById(trx, 'holds', hold.id, {
      status: 'released',
      release_reason: reason.slice(0, 500),
      resolved_at: clock(),
    });
    return { ...current, status: 'released', releaseReason: reason.slice(0, 500) };
  });
}
