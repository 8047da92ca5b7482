import type { Paise } from '../domain/money';
import { fromDecimal } from './money';
import type { Knex } from 'knex';

export async function storeReconciliationReport(
  knex: Knex,
  r: { startedAt: Date; finishedAt: Date; ok: boolean; report: unknown },
): Promise<number> {
  const [id] = (await knex('reconciliation_reports').insert({
    started_at: r.startedAt,
    finished_at: r.finishedAt,
    ok: r.ok,
    report: JSON.stringify(r.report),
  })) as [number];
  return id;
}

export async function latestReconciliationReport(
  knex: Knex,
): Promise<{ id: number; finishedAt: Date; ok: boolean; report: unknown } | null> {
  const row = await knex('reconciliation_reports').orderBy('id', 'desc').first();
  if (!row) return null;
  return {
    id: row.id,
    finishedAt: row.finished_at,
    ok: Boolean(row.ok),
    report: typeof row.report === 'string' ? JSON.parse(row.report) : row.report,
  };
}

export async function systemAccountBalances(
  knex: Knex,
): Promise<Array<{ code: string; normalSide: 'debit' | 'credit'; balance: Paise }>> {
  const rows = await knex('system_accounts').select('code', 'normal_side', 'balance').orderBy('code');
  return rows.map((r) => ({ code: r.code, normalSide: r.normal_side, balance: fromDecimal(r.balance) }));
}
