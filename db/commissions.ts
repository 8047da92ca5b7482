/**
 * Multi-level commissions on a completed recharge or bill payment (docs/ledger.md, "Commissions").
 *
 * The `commissions` rows are the decision; the ledger posting follows from them. They are
 * written first, once per originating transaction (unique (transaction_id, level)), and a retry
 * re-reads them instead of re-deciding: an upline deactivated or re-rated between two attempts
 * cannot change what was already decided, so the posting's lines never differ on a retry (the
 * ledger would refuse a reference re-posted with different lines).
 */
import { clawbackPosting, commissionPosting } from '../domain/recipes';
import { commissionReferenceOf, referenceSql } from '../domain/references';
import type { Knex } from 'knex';
import {
  CommissionShare,
  formatRate,
  MAX_COMMISSION_LEVELS,
  parseRate,
  splitCommissions,
  Upline,
} from '../domain/commissions';
import { InsufficientFundsError } from '../domain/errors';
import type { Paise } from '../domain/money';
import type { Ledger } from './ledger';
import { fromDecimal, toDecimal } from './money';
import { Db, insertRows, isDuplicateKey, selectRows } from './sql';

/**
 * Up to three uplines through parent_distributor_id; level = distance from the user. One
 * statement walks the chain (every completed recharge and bill reads it: four round trips were
 * a tenth of its settling step's statements); a cycle, which the admin API refuses, ends the
 * chain at its first repeat, never loops.
 */
export async function uplinesOf(db: Db, userId: number): Promise<Upline[]> {
  const rows = await selectRows<UplineRow>(db, UPLINES_SQL, [userId, MAX_COMMISSION_LEVELS]);
  const uplines: Upline[] = [];
  const seen = new Set<number>([userId]);
  for (const row of rows) {
    if (seen.has(row.id)) break;
    seen.add(row.id);
    uplines.push({
      userId: row.id,
      level: Number(row.level),
      rate: parseRate(String(row.commission_rate ?? '0')),
      eligible: Boolean(row.is_active) && row.kyc_status === 'verified',
    });
  }
  return uplines;
}

interface UplineRow {
  level: number | string;
  id: number;
  commission_rate: string | null;
  is_active: number;
  kyc_status: string;
}

const UPLINES_SQL = `WITH RECURSIVE chain (level, id, parent_distributor_id, commission_rate, is_active, kyc_status) AS (
    SELECT 1, p.id, p.parent_distributor_id, p.commission_rate, p.is_active, p.kyc_status
      FROM users u JOIN users p ON p.id = u.parent_distributor_id
     WHERE u.id = ?
    UNION ALL
    SELECT c.level + 1, p.id, p.parent_distributor_id, p.commission_rate, p.is_active, p.kyc_status
      FROM chain c JOIN users p ON p.id = c.parent_distributor_id
     WHERE c.level < ?
  )
  SELECT level, id, commission_rate, is_active, kyc_status FROM chain ORDER BY level`;

export interface CommissionOrigin {
  paymentId: string;
  /** The transacting user, and their statement row of the payment (the originating transaction). */
  userId: number;
  transactionId: number;
  amount: Paise;
  /** The service's margin, in 1/10,000 (domain/commissions RATE_SCALE). */
  marginRate: number;
  description: string;
  /** When the shares were decided: now, except in an imported history (db/seed/history.ts). */
  decidedAt?: Date;
}

async function decidedShares(db: Db, transactionId: number): Promise<CommissionShare[]> {
  const rows = await selectRows<Record<string, any>>(
    db,
    'SELECT parent_user_id, level, commission_rate, commission_amount FROM commissions WHERE transaction_id = ? ORDER BY level',
    [transactionId],
  );
  return rows.map((r) => ({
    userId: r.parent_user_id,
    level: r.level,
    rate: parseRate(String(r.commission_rate)),
    amount: fromDecimal(r.commission_amount),
  }));
}

/** Decides the shares once (or reads the earlier decision) and posts them in one journal. */
export async function payCommissions(knex: Knex, ledger: Ledger, o: CommissionOrigin): Promise<CommissionShare[]> {
  let shares = await decidedShares(knex, o.transactionId);
  if (shares.length === 0) {
    const decided = splitCommissions(o.amount, await uplinesOf(knex, o.userId), o.marginRate);
    if (decided.length === 0) return [];
    try {
      // In upline id order: each row's foreign-key check share-locks its upline, and postings
      // lock users in ascending id order, so the other order could deadlock with a posting.
      const byUpline = [...decided].sort((a, b) => a.userId - b.userId);
      await insertRows(
        knex,
        'commissions',
        byUpline.map((s) => ({
          user_id: o.userId,
          transaction_id: o.transactionId,
          commission_rate: formatRate(s.rate),
          commission_amount: toDecimal(s.amount),
          level: s.level,
          parent_user_id: s.userId,
          ...(o.decidedAt ? { calculated_at: o.decidedAt } : {}),
        })),
      );
      // Stored exactly as decided (rates and amounts fit their columns): no need to read them back.
      shares = decided;
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      shares = await decidedShares(knex, o.transactionId); // a concurrent attempt decided first: its rows
    }
  }
  await ledger.post(
    commissionPosting({ paymentId: o.paymentId, payerId: o.userId, description: o.description, shares }),
  );
  return shares;
}

export interface ClawbackResult {
  recovered: CommissionShare[];
  /** Earners whose wallet could not cover their claw-back: left for ops (reconciliation lists them). */
  outstanding: CommissionShare[];
}

/**
 * Takes back each earner's commission after the payment was reversed, one posting per level so
 * an earner who already spent theirs does not block the others. What cannot be recovered is
 * reported, never forced: a wallet never goes below zero.
 */
export async function clawBackCommissions(knex: Knex, ledger: Ledger, paymentId: string): Promise<ClawbackResult> {
  const posted = await knex('ledger_journals')
    .where({ reference: commissionReferenceOf(paymentId) })
    .first('id');
  if (!posted) return { recovered: [], outstanding: [] };
  const shares = await sharesOfPayment(knex, paymentId);
  const result: ClawbackResult = { recovered: [], outstanding: [] };
  for (const s of shares) {
    try {
      await ledger.post(clawbackPosting(paymentId, s));
      result.recovered.push(s);
    } catch (err) {
      if (!(err instanceof InsufficientFundsError)) throw err;
      result.outstanding.push(s);
    }
  }
  return result;
}

/** The shares decided for a payment (its record's transaction_id is the originating transaction). */
async function sharesOfPayment(knex: Knex, paymentId: string): Promise<CommissionShare[]> {
  const rows = await knex('commissions as c')
    .join('payment_records as p', 'p.transaction_id', 'c.transaction_id')
    .where('p.id', paymentId)
    .orderBy('c.level')
    .select('c.parent_user_id', 'c.level', 'c.commission_rate', 'c.commission_amount');
  return rows.map((r) => ({
    userId: r.parent_user_id,
    level: r.level,
    rate: parseRate(String(r.commission_rate)),
    amount: fromDecimal(r.commission_amount),
  }));
}

/** Reversed payments whose commissions could not all be taken back (for the reconciliation report). */
export async function outstandingClawbacks(
  knex: Knex,
): Promise<Array<{ paymentId: string; level: number; earnerId: number; amount: Paise }>> {
  const rows = await knex('payment_records as p')
    .join('commissions as c', 'c.transaction_id', 'p.transaction_id')
    .leftJoin(
      'ledger_journals as j',
      'j.reference',
      knex.raw(referenceSql('clawback', { id: 'p.id', level: 'c.level' })),
    )
    .where('p.status', 'REVERSED')
    .whereNull('j.id')
    .orderBy(['p.id', 'c.level'])
    .limit(500)
    .select('p.id', 'c.level', 'c.parent_user_id', 'c.commission_amount');
  return rows.map((r) => ({
    paymentId: r.id,
    level: r.level,
    earnerId: r.parent_user_id,
    amount: fromDecimal(r.commission_amount),
  }));
}

/** Commissions a user earned in a period, newest first (at most 1000 lines), with totals by level of what was kept. */
export async function commissionsEarned(knex: Knex, earnerId: number, f: { from?: Date; to?: Date }) {
  const q = knex('commissions as c')
    .join('users as u', 'u.id', 'c.user_id')
    .leftJoin('payment_records as p', 'p.transaction_id', 'c.transaction_id')
    .where('c.parent_user_id', earnerId);
  if (f.from) q.where('c.calculated_at', '>=', f.from);
  if (f.to) q.where('c.calculated_at', '<', f.to);
  const rows = await q
    .orderBy([
      { column: 'c.calculated_at', order: 'desc' },
      { column: 'c.id', order: 'desc' },
    ])
    .limit(1000)
    .select(
      'c.id',
      'c.level',
      'c.commission_rate',
      'c.commission_amount',
      'c.calculated_at',
      'u.user_code',
      'p.id as payment_id',
      'p.kind',
      'p.status',
    );
  const items = rows.map((r) => ({
    id: r.id as number,
    level: r.level as number,
    rate: String(r.commission_rate),
    amount: fromDecimal(r.commission_amount),
    fromUserCode: r.user_code as string,
    paymentId: (r.payment_id as string | null) ?? null,
    kind: (r.kind as string | null) ?? null,
    clawedBack: r.status === 'REVERSED',
    calculatedAt: new Date(r.calculated_at),
  }));
  // Totals count what was kept: a commission on a reversed payment was clawed back.
  const kept = items.filter((i) => !i.clawedBack);
  const byLevel = new Map<number, Paise>();
  for (const i of kept) byLevel.set(i.level, ((byLevel.get(i.level) ?? 0) + i.amount) as Paise);
  return {
    items,
    byLevel: [...byLevel.entries()].sort(([a], [b]) => a - b).map(([level, amount]) => ({ level, amount })),
    total: kept.reduce((s, i) => s + i.amount, 0) as Paise,
  };
}
