/**
 * Posting a balanced journal: the only code that changes balances. One database transaction:
 *   0. (refunds only) lock the original journal, so refunds of one original queue up front;
 *   1. insert the journal row; its unique reference is the idempotency arbiter (a concurrent
 *      twin waits on the row lock, then fails with a duplicate key and replays the winner);
 *   2. lock the posting's users (accounts.ts: users, then system accounts, is the global order);
 *   3. let the caller's hook act on the locked rows (hold capture, refund ceiling, a transfer's
 *      payment record and status);
 *   4. check the rules on the locked users: active, KYC, available balance, limits;
 *   5. update the users' balances (and the limit counters of a counted debit), write their
 *      statement rows;
 *   6. lock the system accounts and update theirs, then insert the immutable entries with
 *      balance_after, in line order.
 */
import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { istDate } from '../../domain/calendar';
import {
  AccountInactiveError,
  InsufficientFundsError,
  KycRequiredError,
  LimitExceededError,
  ReferenceConflictError,
  TransientError,
  ValidationError,
} from '../../domain/errors';
import {
  accountKey,
  defaultTransactionType,
  PostedLine,
  PostingLine,
  PostingRequest,
  PostingResult,
  validatePosting,
} from '../../domain/ledger';
import { countUsage, usageAt } from '../../domain/limitUsage';
import { add, formatRupees, Paise, subtract, ZERO } from '../../domain/money';
import { fromDecimal, toDecimal } from '../money';
import { LockedAccount, LockedUser, lockSystemAccounts, lockUserAccounts, saveUsers } from './accounts';
import {
  insertRow,
  insertRows,
  insertRowsReturningIds,
  isDuplicateKey,
  SqlTransaction,
  updateById,
  updateWhere,
} from '../sql';
import { inLedgerTransaction } from './transaction';

export interface PostingHooks {
  holdId?: number;
  reversesJournalId?: number;
  /** Overrides the journal's limit flag (a capture inherits its hold's). */
  countsTowardLimits?: boolean;
  /** Runs first, before the journal row exists: for locks that must precede it (see refunds). */
  beforeInsert?: (trx: SqlTransaction) => Promise<void>;
  /**
   * Runs with the posting's users locked (its system accounts are locked later, last of all),
   * before any rule is checked or balance changed.
   */
  afterLock?: (trx: SqlTransaction, users: Map<string, LockedUser>, journalId: number) => Promise<void>;
  /** The posting's moment; the wall clock unless the ledger imports history (db/ledger/index.ts). */
  clock?: Clock;
}

export type Clock = () => Date;
export const wallClock: Clock = () => new Date();

class DuplicateReference extends Error {}

export function fingerprint(req: PostingRequest): string {
  const lines = req.lines
    .map((l) => [accountKey(l.account), l.debit ?? 0, l.credit ?? 0] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return createHash('sha256')
    .update(JSON.stringify({ t: req.ledgerType, l: lines }))
    .digest('hex');
}

/** Posts `req` exactly once; a repeat of the same reference and lines returns the original. */
export async function postJournal(knex: Knex, req: PostingRequest, hooks: PostingHooks = {}): Promise<PostingResult> {
  validatePosting(req, (m, d) => new ValidationError(m, d));
  const fp = fingerprint(req);
  try {
    return await inLedgerTransaction(knex, (trx) => applyPosting(trx, req, fp, hooks));
  } catch (err) {
    if (err instanceof DuplicateReference) return replay(knex, req.reference, fp);
    throw err;
  }
}

/** The journal already posted under `reference`, if its lines are the ones asked for. */
async function replay(knex: Knex, reference: string, fp: string): Promise<PostingResult> {
  const journal = await knex('ledger_journals').where({ reference }).first();
  if (!journal) throw new ReferenceConflictError('reference collided but no journal was found', { reference });
  if (journal.fingerprint !== fp) {
    throw new ReferenceConflictError('this reference was already posted with different lines', { reference });
  }
  return { ...(await readJournal(knex, journal.id)), replayed: true };
}

export async function readJournal(db: Knex | Knex.Transaction, journalId: number): Promise<PostingResult> {
  const journal = await db('ledger_journals').where({ id: journalId }).first();
  const entries = await db('ledger_entries as e')
    .leftJoin('system_accounts as s', 's.id', 'e.system_account_id')
    .select('e.user_id', 's.code', 'e.debit', 'e.credit', 'e.balance_after', 'e.transaction_id')
    .where('e.journal_id', journalId)
    .orderBy('e.id');
  return {
    journalId: journal.id,
    reference: journal.reference,
    ledgerType: journal.ledger_type,
    replayed: false,
    lines: entries.map((e) => ({
      account: e.user_id !== null ? { user: e.user_id } : { system: e.code },
      debit: fromDecimal(e.debit),
      credit: fromDecimal(e.credit),
      balanceAfter: fromDecimal(e.balance_after),
      transactionId: e.transaction_id,
    })),
  };
}

async function applyPosting(
  trx: SqlTransaction,
  req: PostingRequest,
  fp: string,
  hooks: PostingHooks,
): Promise<PostingResult> {
  const now = (hooks.clock ?? wallClock)();
  const countsTowardLimits = hooks.countsTowardLimits ?? req.lines.some((l) => l.rules?.countTowardLimits);
  if (hooks.beforeInsert) await hooks.beforeInsert(trx);
  let journalId: number;
  try {
    journalId = await insertRow(trx, 'ledger_journals', {
      reference: req.reference,
      ledger_type: req.ledgerType,
      description: req.description?.slice(0, 500) ?? null,
      fingerprint: fp,
      counts_toward_limits: countsTowardLimits,
      reverses_journal_id: hooks.reversesJournalId ?? null,
      hold_id: hooks.holdId ?? null,
      created_at: now,
    });
  } catch (err) {
    if (isDuplicateKey(err)) throw new DuplicateReference();
    throw err;
  }

  const refs = req.lines.map((l) => l.account);
  const users = await lockUserAccounts(trx, refs);
  if (hooks.afterLock) await hooks.afterLock(trx, users, journalId);
  for (const line of req.lines) {
    const user = users.get(accountKey(line.account));
    if (user) checkUserRules(user, line, now);
  }

  // Each line moves its account's balance in line order; entries and the result keep line order.
  const posted: PostedLine[] = new Array(req.lines.length);
  const entries: Record<string, unknown>[] = new Array(req.lines.length);
  const moved = (i: number, acct: LockedAccount, balanceAfter: Paise, transactionId: number | null) => {
    const { account } = req.lines[i]!;
    const debit = req.lines[i]!.debit ?? ZERO;
    const credit = req.lines[i]!.credit ?? ZERO;
    entries[i] = {
      journal_id: journalId,
      user_id: acct.kind === 'user' ? acct.id : null,
      system_account_id: acct.kind === 'system' ? acct.id : null,
      debit: toDecimal(debit),
      credit: toDecimal(credit),
      balance_after: toDecimal(balanceAfter),
      transaction_id: transactionId,
      created_at: now,
    };
    posted[i] = { account, debit, credit, balanceAfter, transactionId };
  };
  const userMoves: Array<{ i: number; line: PostingLine; user: LockedUser; opening: Paise; closing: Paise }> = [];
  for (const [i, line] of req.lines.entries()) {
    const user = users.get(accountKey(line.account));
    if (!user) continue;
    const debit = line.debit ?? ZERO;
    const opening = user.balance;
    user.balance = applySide(user, opening, debit, line.credit ?? ZERO);
    if (countsTowardLimits && debit > 0) user.limits = countUsage(user.limits, now, debit);
    userMoves.push({ i, line, user, opening, closing: user.balance });
  }
  // Every user in one statement, and their statement rows in one more: each round trip here is
  // time the users' row locks are held.
  await saveUsers(trx, [...users.values()]);
  const transactionIds = await writeStatements(trx, req, userMoves, now);
  userMoves.forEach(({ i, user, closing }, k) => moved(i, user, closing, transactionIds[k]!));
  // System accounts last (see db/ledger/accounts.ts): the busiest rows are held the shortest.
  const systems = await lockSystemAccounts(trx, refs);
  for (const [i, line] of req.lines.entries()) {
    const acct = systems.get(accountKey(line.account));
    if (!acct) continue;
    acct.balance = applySide(acct, acct.balance, line.debit ?? ZERO, line.credit ?? ZERO);
    await updateById(trx, 'system_accounts', acct.id, { balance: toDecimal(acct.balance) });
    moved(i, acct, acct.balance, null);
  }
  // In line order, so entry ids follow the journal's lines as before.
  await insertRows(trx, 'ledger_entries', entries);
  return { journalId, reference: req.reference, ledgerType: req.ledgerType, lines: posted, replayed: false };
}

/** The sign convention, in one place: balances grow on the account's normal side. */
function applySide(acct: LockedAccount, balance: Paise, debit: Paise, credit: Paise): Paise {
  const creditNormal = acct.kind === 'user' || acct.normalSide === 'credit';
  return creditNormal ? subtract(add(balance, credit), debit) : subtract(add(balance, debit), credit);
}

function checkUserRules(user: LockedUser, line: PostingLine, now: Date): void {
  const rules = line.rules ?? {};
  const who = { userCode: user.userCode };
  if (rules.requireActive && !user.isActive) throw new AccountInactiveError(who);
  if (rules.requireKyc && !user.kycVerified) throw new KycRequiredError(who);
  const debit = line.debit ?? ZERO;
  if (debit === 0) return;
  const available = subtract(user.balance, user.held);
  if (available < debit) {
    throw new InsufficientFundsError({ ...who, available: formatRupees(available), requested: formatRupees(debit) });
  }
  if (rules.countTowardLimits) checkLimits(user, debit, now);
}

/** Daily and monthly limits on outgoing money, from the counters on the locked user's row. */
export function checkLimits(user: LockedUser, amount: Paise, now: Date): void {
  const usage = usageAt(user.limits, now);
  if (!usage) {
    // This clock is behind the one that last counted (around midnight): the sums of the day
    // this posting would be dated in are gone. Trying again in a moment is exact.
    throw new TransientError('limit counters are dated after this posting; retry', { userId: user.id, at: now });
  }
  if (add(usage.today, amount) > user.dailyLimit) {
    throw new LimitExceededError('daily limit exceeded', {
      limit: formatRupees(user.dailyLimit),
      used: formatRupees(usage.today),
      requested: formatRupees(amount),
    });
  }
  if (add(usage.month, amount) > user.monthlyLimit) {
    throw new LimitExceededError('monthly limit exceeded', {
      limit: formatRupees(user.monthlyLimit),
      used: formatRupees(usage.month),
      requested: formatRupees(amount),
    });
  }
}

/** A user line's statement row in the seed schema's `transactions`, as the posting leaves it. */
function statementRow(
  req: PostingRequest,
  line: PostingLine,
  user: LockedUser,
  opening: Paise,
  closing: Paise,
  now: Date,
): Record<string, unknown> {
  const s = line.statement ?? {};
  const debit = line.debit ?? ZERO;
  const credit = line.credit ?? ZERO;
  return {
    transaction_type: s.transactionType ?? defaultTransactionType(req.ledgerType),
    amount: toDecimal(debit > 0 ? debit : credit),
    fee_amount: toDecimal(s.feeAmount ?? ZERO),
    description: s.description ?? req.description ?? null,
    payment_method: s.paymentMethod ?? 'wallet',
    status: 'completed',
    processed_at: now,
    recipient_id: s.recipientId ?? null,
    from_account_id: s.fromAccountId ?? null,
    to_account_id: s.toAccountId ?? null,
    utr_number: s.utrNumber ?? null,
    bank_reference: s.bankReference ?? null,
    beneficiary_name: s.beneficiaryName ?? null,
    beneficiary_account: s.beneficiaryAccount ?? null,
    beneficiary_ifsc: s.beneficiaryIfsc ?? null,
    beneficiary_bank: s.beneficiaryBank ?? null,
    opening_balance: toDecimal(opening),
    closing_balance: toDecimal(closing),
    ledger_date: istDate(now),
    user_code: user.userCode,
    ledger_type: req.ledgerType,
    remarks: s.remarks ?? null,
    debit_amount: toDecimal(debit),
    credit_amount: toDecimal(credit),
  };
}

/**
 * Writes each user line's statement row: over the row its line names (a top-up's pending
 * deposit), else a new one under the line's reference number, or the posting's (suffixed with the
 * user's code when it has several user lines). The new rows go in one insert. Their ids, in order.
 */
async function writeStatements(
  trx: SqlTransaction,
  req: PostingRequest,
  moves: Array<{ line: PostingLine; user: LockedUser; opening: Paise; closing: Paise }>,
  now: Date,
): Promise<number[]> {
  const ids: number[] = new Array(moves.length);
  const fresh: Array<{ k: number; row: Record<string, unknown> }> = [];
  for (const [k, { line, user, opening, closing }] of moves.entries()) {
    const row = statementRow(req, line, user, opening, closing, now);
    const transactionId = line.statement?.transactionId;
    if (transactionId === undefined) {
      const referenceNumber =
        line.statement?.referenceNumber ??
        (moves.length === 1 ? req.reference : `${req.reference}:${user.userCode ?? user.id}`);
      fresh.push({ k, row: { ...row, user_id: user.id, reference_number: referenceNumber } });
      continue;
    }
    const n = await updateWhere(trx, 'transactions', { id: transactionId, user_id: user.id }, row);
    if (n !== 1) throw new ValidationError('statement row to update does not belong to this user', { transactionId });
    ids[k] = transactionId;
  }
  if (fresh.length === 0) return ids;
  try {
    const inserted = await insertRowsReturningIds(
      trx,
      'transactions',
      fresh.map((f) => f.row),
    );
    fresh.forEach(({ k }, n) => (ids[k] = inserted[n]!));
    return ids;
  } catch (err) {
    if (isDuplicateKey(err))
      throw new ReferenceConflictError('statement reference number already used', {
        referenceNumbers: fresh.map((f) => f.row.reference_number),
      });
    throw err;
  }
}
