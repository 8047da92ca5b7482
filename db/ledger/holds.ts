/**
 * Two-phase transfers: reserve money on a wallet (a hold), then capture it into a posting or
 * release it. A hold resolves exactly once: repeating the same resolution returns the earlier
 * outcome, the opposite one fails with HoldAlreadyResolvedError. Lock order matches postings:
 * accounts first (system by code, then the user), the hold row last.
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
import { add, formatRupees, Paise, subtract } from '../../domain/money';
import { fromDecimal, toDecimal } from '../money';
import { LockedUser, lockUser } from './accounts';
import { checkLimits, postJournal } from './posting';
import { inLedgerTransaction, isDuplicateKey } from './transaction';

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
  const row = await db('holds').where({ reference }).first();
  if (!row) throw new NotFoundError('hold not found', { reference });
  return toHold(row);
}

async function lockHold(trx: Knex.Transaction, id: number): Promise<Hold> {
  return toHold(await trx('holds').where({ id }).forUpdate().first());
}

function checkHoldRules(user: LockedUser, rules: UserRules, amount: Paise): void {
  const who = { userCode: user.userCode };
  if (rules.requireActive && !user.isActive) throw new AccountInactiveError(who);
  if (rules.requireKyc && !user.kycVerified) throw new KycRequiredError(who);
  const available = subtract(user.balance, user.held);
  if (available < amount)
    throw new InsufficientFundsError({ ...who, available: formatRupees(available), requested: formatRupees(amount) });
}

/** Reserves `amount` on the wallet. Idempotent by reference. */
export async function reserve(knex: Knex, req: ReserveRequest): Promise<Hold> {
  if (!Number.isSafeInteger(req.amount) || req.amount <= 0)
    throw new ValidationError('hold amount must be positive', { amount: req.amount });
  const rules = req.rules ?? {};
  try {
    return await inLedgerTransaction(knex, async (trx) => {
      // The user's row lock comes first: the hold's FK check would otherwise take a shared lock
      // on it that two concurrent reserves would both try to upgrade (a deadlock). Under the
      // lock, the unique reference makes a concurrent twin fail as a duplicate and replay.
      const user = await lockUser(trx, req.userId);
      const [id] = (await trx('holds').insert({
        reference: req.reference,
        user_id: req.userId,
        amount: toDecimal(req.amount),
        status: 'active',
        counts_toward_limits: Boolean(rules.countTowardLimits),
        expires_at: req.expiresAt ?? null,
        created_at: new Date(),
      })) as [number];
      checkHoldRules(user, rules, req.amount);
      if (rules.countTowardLimits) await checkLimits(trx, user, req.amount, new Date(), id);
      await trx('users')
        .where({ id: user.id })
        .update({ held_balance: toDecimal(add(user.held, req.amount)) });
      return toHold(await trx('holds').where({ id }).first());
    });
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
    const existing = await findHold(knex, req.reference);
    if (existing.userId !== req.userId || existing.amount !== req.amount) {
      throw new ReferenceConflictError('this hold reference was used for a different reservation', {
        reference: req.reference,
      });
    }
    return existing;
  }
}

/** Turns an active hold into a posting `wallet → to`. Idempotent by the capture reference. */
export async function capture(knex: Knex, req: CaptureRequest): Promise<PostingResult> {
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
      afterLock: async (trx, accounts) => {
        const current = await lockHold(trx, hold.id);
        if (current.status !== 'active') {
          throw new HoldAlreadyResolvedError(current.status, {
            reference: hold.reference,
            captureReference: current.captureReference,
          });
        }
        // The captured money was reserved: free the whole hold before the debit is checked,
        // so available = balance − held stays exact (a partial capture releases the rest).
        const user = accounts.get(`user:${hold.userId}`) as LockedUser;
        user.held = subtract(user.held, hold.amount);
        await trx('holds')
          .where({ id: hold.id })
          .update({
            status: 'captured',
            captured_amount: toDecimal(amount),
            capture_reference: req.reference,
            resolved_at: new Date(),
          });
      },
    },
  );
}

/** Voids an active hold; nothing is posted. Releasing a released hold returns it unchanged. */
export async function release(knex: Knex, holdReference: string, reason: string): Promise<Hold> {
  const hold = await findHold(knex, holdReference);
  return inLedgerTransaction(knex, async (trx) => {
    const user = await lockUser(trx, hold.userId);
    const current = await lockHold(trx, hold.id);
    if (current.status === 'released') return current;
    if (current.status === 'captured') {
      throw new HoldAlreadyResolvedError('captured', {
        reference: holdReference,
        captureReference: current.captureReference,
      });
    }
    await trx('users')
      .where({ id: user.id })
      .update({ held_balance: toDecimal(subtract(user.held, current.amount)) });
    await trx('holds')
      .where({ id: hold.id })
      .update({ status: 'released', release_reason: reason.slice(0, 500), resolved_at: new Date() });
    return { ...current, status: 'released', releaseReason: reason.slice(0, 500) };
  });
}
