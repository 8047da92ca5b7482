/**
 * The ledger (docs/ledger.md) over one knex instance. Everything that moves money goes
 * through here; nothing else writes balances, holds, journals or entries.
 */
import type { Knex } from 'knex';
import type { Hold, PostingRequest, PostingResult } from '../../domain/ledger';
import { capture, CaptureRequest, release, reserve, ReserveRequest, ReservedHold } from './holds';
import { checkInvariants, InvariantReport } from './invariants';
import { outgoingUsage, OutgoingUsage } from './limits';
import { Clock, postJournal, wallClock } from './posting';
import type { SqlTransaction } from '../sql';
import { refund, RefundRequest } from './refunds';

export interface Ledger {
  /**
   * Posts `req` exactly once. `alongside`, when given, writes the caller's own rows (a payment's
   * record and status) in the posting's transaction: they commit with the posting or roll back
   * with its refusal. It runs once the journal row is new and the posting's users are locked,
   * before any rule is checked (the system accounts are locked later): a row that refers to a
   * user by foreign key takes a shared lock on it, and taken before the ledger's exclusive one
   * it would deadlock two postings of that user. A repeat of a committed posting does not run
   * it (`replayed` in the result).
   */
  post(req: PostingRequest, alongside?: (trx: SqlTransaction) => Promise<void>): Promise<PostingResult>;
  /**
   * Reserves an amount on a wallet, once per reference. `alongside`, when given, writes the
   * caller's own rows in the hold's transaction (a payment's record and status), once its rules
   * passed: they commit with the hold or roll back with its refusal. A hold placed before does not
   * run it (`replayed` in the result).
   */
  reserve(req: ReserveRequest, alongside?: (trx: SqlTransaction) => Promise<void>): Promise<ReservedHold>;
  capture(req: CaptureRequest): Promise<PostingResult>;
  release(holdReference: string, reason: string): Promise<Hold>;
  refund(req: RefundRequest): Promise<PostingResult>;
  usage(userId: number, at?: Date): Promise<OutgoingUsage>;
  checkInvariants(): Promise<InvariantReport>;
  /** The status of the hold placed under `reference`; 'none' if there is none. */
  holdStatus(reference: string): Promise<'none' | Hold['status']>;
  /** Whether a journal was posted under `reference`. */
  isPosted(reference: string): Promise<boolean>;
}

/**
 * `clock` dates the postings: the wall clock, always, except for a history import
 * (`npm run seed:history`), which builds its own ledger to date each posting when its
 * simulated payment happened. No request carries a date, so no caller can backdate money.
 */
export function createLedger(knex: Knex, opts: { clock?: Clock } = {}): Ledger {
  const clock = opts.clock ?? wallClock;
  return {
    post: (req, alongside) => postJournal(knex, req, { clock, ...(alongside ? { afterLock: alongside } : {}) }),
    reserve: (req, alongside) => reserve(knex, req, clock, alongside),
    capture: (req) => capture(knex, req, clock),
    release: (ref, reason) => release(knex, ref, reason, clock),
    refund: (req) => refund(knex, req, clock),
    usage: (userId, at = new Date()) => outgoingUsage(knex, userId, at),
    checkInvariants: () => checkInvariants(knex),
    holdStatus: async (reference) => (await knex('holds').where({ reference }).first('status'))?.status ?? 'none',
    isPosted: async (reference) => (await knex('ledger_journals').where({ reference }).first('id')) !== undefined,
  };
}

export type { CaptureRequest, ReserveRequest, ReservedHold, RefundRequest, InvariantReport, OutgoingUsage };
