/**
 * A user with a long month behind them, for the flat-cost figures: `count` transfers of ten
 * paise to a sink account, all dated now and counting toward limits, written in bulk (the
 * posting code would take minutes for 100,000). The rows are what the posting code would leave:
 * journals, entries with chained running balances, cached balances and limit counters moved by
 * the domain's own counting. Statement rows are left out; nothing measured here reads them.
 * The invariant checker at the end of the benchmark verifies all of it.
 */
import type { Knex } from 'knex';
import { countUsage } from '../../domain/limitUsage';
import { paise } from '../../domain/money';
import { countersFromRow, countersToRow, LIMIT_COUNTER_COLUMNS } from '../../db/ledger/limits';
import { fromDecimal, toDecimal } from '../../db/money';

const EACH = paise(10);
const BATCH = 5_000;

export async function seedHeavyHistory(
  knex: Knex,
  o: { userId: number; sinkId: number; count: number; onProgress?: (done: number) => void },
): Promise<void> {
  await knex.transaction(async (trx) => {
    const [first, second] = [o.userId, o.sinkId].sort((a, b) => a - b);
    const rows = await trx('users')
      .whereIn('id', [first!, second!])
      .orderBy('id')
      .forUpdate()
      .select('id', 'wallet_balance', ...LIMIT_COUNTER_COLUMNS);
    const user = rows.find((r) => r.id === o.userId)!;
    const sink = rows.find((r) => r.id === o.sinkId)!;
    const now = new Date();
    const run = now.getTime();
    let userBalance = fromDecimal(user.wallet_balance);
    let sinkBalance = fromDecimal(sink.wallet_balance);
    if (userBalance < EACH * o.count) throw new Error('the heavy user cannot afford the history');
    for (let start = 0; start < o.count; start += BATCH) {
      const n = Math.min(BATCH, o.count - start);
      const refs = Array.from({ length: n }, (_, i) => `bench:heavy:${run}:${start + i}`);
      await trx('ledger_journals').insert(
        refs.map((reference) => ({
          reference,
          ledger_type: 'Transfer',
          description: 'bench history',
          fingerprint: '0'.repeat(64),
          counts_toward_limits: true,
          created_at: now,
        })),
      );
      const journals = await trx('ledger_journals').whereIn('reference', refs).orderBy('id').select('id');
      const entries = journals.flatMap((j) => {
        userBalance = paise(userBalance - EACH);
        sinkBalance = paise(sinkBalance + EACH);
        return [
          { journal_id: j.id, user_id: o.userId, debit: toDecimal(EACH), balance_after: toDecimal(userBalance) },
          { journal_id: j.id, user_id: o.sinkId, credit: toDecimal(EACH), balance_after: toDecimal(sinkBalance) },
        ].map((e) => ({ ...e, created_at: now }));
      });
      await trx('ledger_entries').insert(entries);
      o.onProgress?.(start + n);
    }
    const counters = countUsage(countersFromRow(user), now, paise(EACH * o.count));
    await trx('users')
      .where({ id: o.userId })
      .update({ wallet_balance: toDecimal(userBalance), ...countersToRow(counters) });
    await trx('users')
      .where({ id: o.sinkId })
      .update({ wallet_balance: toDecimal(sinkBalance) });
  });
}
