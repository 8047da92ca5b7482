/**
 * Moves the deltas the triggers wrote (migration 020) into the daily rollups. Each batch is one
 * transaction: the delta rows are locked and read, their sums added to the rollups, and exactly
 * those rows deleted, so a delta is folded once or not at all. A delta whose transaction is still
 * open is waited for or left to the next batch, never skipped: only the rows this batch read are
 * deleted. READ COMMITTED keeps the fold from locking the gap where new deltas are appended.
 */
import type { Knex } from 'knex';
import { periodOf, settleBucketOf } from '../../domain/reports';
import { fromDecimal, toDecimal } from '../money';
import type { Paise } from '../../domain/money';

export const FOLD_BATCH = 5_000;

type Sums = Record<string, number>;
type Groups = Map<string, { key: unknown[]; sums: Sums }>;

/** Adds a delta's numbers into the group keyed by `key`. */
function add(groups: Groups, key: unknown[], sums: Sums): void {
  const k = JSON.stringify(key);
  const g = groups.get(k);
  if (!g) {
    groups.set(k, { key, sums: { ...sums } });
    return;
  }
  for (const [name, v] of Object.entries(sums)) g.sums[name] = (g.sums[name] ?? 0) + v;
}

async function upsert(
  trx: Knex.Transaction,
  table: string,
  keyColumns: string[],
  money: string[],
  groups: Groups,
): Promise<void> {
  if (groups.size === 0) return;
  const rows = [...groups.values()].map(({ key, sums }) => ({
    ...Object.fromEntries(keyColumns.map((c, i) => [c, key[i]])),
    ...Object.fromEntries(Object.entries(sums).map(([c, v]) => [c, money.includes(c) ? toDecimal(v as Paise) : v])),
  }));
  const sumColumns = Object.keys(rows[0]!).filter((c) => !keyColumns.includes(c));
  await trx(table)
    .insert(rows)
    .onConflict(keyColumns)
    .merge(Object.fromEntries(sumColumns.map((c) => [c, trx.raw('?? + VALUES(??)', [c, c])])));
}

/**
 * One delta table's batch: its oldest rows locked and read, `fold` adds them to the rollups,
 * then exactly those rows are deleted. Returns how many were folded.
 */
async function foldBatch(
  trx: Knex.Transaction,
  table: string,
  limit: number,
  fold: (deltas: Array<Record<string, any>>) => Promise<void>,
): Promise<number> {
  const deltas = await trx(table).orderBy('id').limit(limit).forUpdate().select('*');
  if (deltas.length === 0) return 0;
  await fold(deltas);
  await trx(table)
    .whereIn(
      'id',
      deltas.map((d) => d.id),
    )
    .delete();
  return deltas.length;
}

const foldPayments = (trx: Knex.Transaction, limit: number) =>
  foldBatch(trx, 'report_payment_deltas', limit, async (deltas) => {
    const days: Groups = new Map();
    const users: Groups = new Map();
    const weeks: Groups = new Map();
    for (const d of deltas) {
      const sums = { payments: d.payments, amount: fromDecimal(d.amount), fee: fromDecimal(d.fee) };
      add(days, [d.day, d.kind, d.status], sums);
      if (d.status === 'COMPLETED') {
        add(users, [d.day, d.user_id, d.kind], sums);
        add(weeks, [periodOf(d.day, 'week'), d.user_id], sums);
      }
    }
    await upsert(trx, 'report_payment_days', ['day', 'kind', 'status'], ['amount', 'fee'], days);
    await upsert(trx, 'report_user_days', ['day', 'user_id', 'kind'], ['amount', 'fee'], users);
    await upsert(trx, 'report_user_weeks', ['week', 'user_id'], ['amount', 'fee'], weeks);
  });

const foldSettlements = (trx: Knex.Transaction, limit: number) =>
  foldBatch(trx, 'report_settle_deltas', limit, async (deltas) => {
    const groups: Groups = new Map();
    for (const d of deltas) {
      const ms = Number(d.settle_ms);
      add(groups, [d.day, d.kind, settleBucketOf(ms)], { payments: d.payments, total_ms: d.payments * ms });
    }
    await upsert(trx, 'report_settle_days', ['day', 'kind', 'bucket'], [], groups);
  });

const foldCommissions = (trx: Knex.Transaction, limit: number) =>
  foldBatch(trx, 'report_commission_deltas', limit, async (deltas) => {
    // A claw-back's statement row does not name the payer: its payment does.
    const missing = [...new Set(deltas.filter((d) => d.payer_id === null).map((d) => d.payment_id as string))];
    const payers = new Map<string, number>();
    if (missing.length > 0) {
      const rows = await trx('payment_records').whereIn('id', missing).select('id', 'user_id');
      for (const r of rows) payers.set(r.id, r.user_id);
    }
    const byEarner: Groups = new Map();
    const byLevel: Groups = new Map();
    for (const d of deltas) {
      const sums = {
        paid_count: d.paid_count,
        paid_amount: fromDecimal(d.paid_amount),
        clawback_count: d.clawback_count,
        clawback_amount: fromDecimal(d.clawback_amount),
      };
      add(byEarner, [d.earner_id, d.day, d.payer_id ?? payers.get(d.payment_id) ?? 0, d.level], sums);
      add(byLevel, [d.day, d.level], sums);
    }
    const money = ['paid_amount', 'clawback_amount'];
    await upsert(trx, 'report_commission_days', ['earner_id', 'day', 'payer_id', 'level'], money, byEarner);
    await upsert(trx, 'report_commission_level_days', ['day', 'level'], money, byLevel);
  });

export interface FoldResult {
  payments: number;
  settlements: number;
  commissions: number;
}

/**
 * Folds until no delta is left or `maxBatches` batches ran (a long backlog is folded over
 * several runs; reports stay exact meanwhile, only slower). `onBatch` reports progress.
 */
export async function foldReportDeltas(
  knex: Knex,
  opts: { batch?: number; maxBatches?: number; onBatch?: (r: FoldResult) => void } = {},
): Promise<FoldResult> {
  const batch = opts.batch ?? FOLD_BATCH;
  const total: FoldResult = { payments: 0, settlements: 0, commissions: 0 };
  for (let i = 0; i < (opts.maxBatches ?? Infinity); i++) {
    const r = await knex.transaction(
      async (trx) => ({
        payments: await foldPayments(trx, batch),
        settlements: await foldSettlements(trx, batch),
        commissions: await foldCommissions(trx, batch),
      }),
      { isolationLevel: 'read committed' },
    );
    total.payments += r.payments;
    total.settlements += r.settlements;
    total.commissions += r.commissions;
    opts.onBatch?.(total);
    if (r.payments < batch && r.settlements < batch && r.commissions < batch) break;
  }
  return total;
}
