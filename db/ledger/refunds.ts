/**
 * Refunds after capture: a new `Refund` posting that moves money back along the original's
 * lines. The total refunded never exceeds the original (checked under a lock on the original
 * journal row, taken before anything else, so concurrent refunds queue), and each refund
 * reference posts at most once.
 */
import type { Knex } from 'knex';
import { BusinessRuleError, NotFoundError, ValidationError } from '../../domain/errors';
import { PostingLine, PostingResult, RefundRequest } from '../../domain/ledger';

export type { RefundRequest };
import { add, formatRupees, sum } from '../../domain/money';
import { fromDecimal } from '../money';
import { selectRows } from '../sql';
import { Clock, postJournal, readJournal, wallClock } from './posting';

export async function refund(knex: Knex, req: RefundRequest, clock: Clock = wallClock): Promise<PostingResult> {
  const original = await knex('ledger_journals').where({ reference: req.originalReference }).first();
  if (!original) throw new NotFoundError('original posting not found', { reference: req.originalReference });
  const orig = await readJournal(knex, original.id);
  const total = sum(orig.lines.map((l) => l.debit));
  const amount = req.amount ?? total;
  const full = amount === total;
  if (!full && orig.lines.length !== 2) {
    throw new ValidationError('a partial refund needs an original posting with exactly two lines', {
      reference: req.originalReference,
    });
  }
  // Money flows back: every original debit becomes a credit and vice versa.
  const lines: PostingLine[] = orig.lines.map((l) => {
    const part = full ? (l.debit > 0 ? l.debit : l.credit) : amount;
    return l.debit > 0
      ? { account: l.account, credit: part, statement: 'user' in l.account ? req.statement : undefined }
      : { account: l.account, debit: part, statement: 'user' in l.account ? req.statement : undefined };
  });
  return postJournal(
    knex,
    { reference: req.reference, ledgerType: 'Refund', description: req.description, lines },
    {
      reversesJournalId: original.id,
      clock,
      // Refunds of one original queue on its row before inserting anything, so the sum below
      // never has to wait on a sibling refund's uncommitted row (which would deadlock).
      beforeInsert: async (trx) => {
        await selectRows(trx, 'SELECT id FROM ledger_journals WHERE id = ? FOR UPDATE', [original.id]);
      },
      afterLock: async (trx, _accounts, journalId) => {
        const [row] = await selectRows<{ refunded: string }>(
          trx,
          `SELECT COALESCE(SUM(e.debit), 0) AS refunded FROM ledger_journals j JOIN ledger_entries e ON e.journal_id = j.id
            WHERE j.reverses_journal_id = ? AND j.id <> ? LOCK IN SHARE MODE`,
          [original.id, journalId],
        );
        const already = fromDecimal(row!.refunded);
        if (add(already, amount) > total) {
          throw new BusinessRuleError('refund_exceeds_original', 'refunds would exceed the original amount', {
            original: formatRupees(total),
            alreadyRefunded: formatRupees(already),
            requested: formatRupees(amount),
          });
        }
      },
    },
  );
}
