/**
 * A distributor's network (the users below them through parent_distributor_id, as deep as commissions go) and a user's own
 * spending, from the same rollups as the admin's reports.
 */
import type { Knex } from 'knex';
import { MAX_COMMISSION_LEVELS } from '../../domain/commissions';
import { add, Paise, sum, ZERO } from '../../domain/money';
import type { PaymentKind } from '../../domain/payments';
import { DayRange, Granularity, periodOf, periodsOf } from '../../domain/reports';
import { fromDecimal } from '../money';
import { LevelCommission, levelCommission, plusLevel } from './admin';
import { commissionRowsSql, grouped, inSnapshot, memberRowsSql, query, Snapshot } from './snapshot';

/** As far down as commissions reach (and /v1/me/downline shows); a cycle in bad data cannot loop past it. */
const MAX_DEPTH = MAX_COMMISSION_LEVELS;

export interface NetworkMember {
  userId: number;
  userCode: string | null;
  name: string | null;
  role: string;
  /** 1 = directly below. */
  depth: number;
  payments: number;
  volume: Paise;
  /** What the distributor earned on this member's payments, net of claw-backs. */
  commission: Paise;
}

export interface NetworkPoint {
  period: string;
  payments: number;
  volume: Paise;
  commission: Paise;
}

export interface NetworkReport {
  range: DayRange;
  granularity: Granularity;
  members: number;
  payments: number;
  volume: Paise;
  commissions: LevelCommission[];
  commission: Paise;
  byMember: NetworkMember[];
  trend: NetworkPoint[];
}

async function membersBelow(s: Snapshot, distributorId: number) {
  return query<{ id: number; depth: number; user_code: string | null; full_name: string | null; role: string }>(
    s,
    `WITH RECURSIVE below (id, depth) AS (
       SELECT id, 1 FROM users WHERE parent_distributor_id = ?
       UNION ALL
       SELECT u.id, b.depth + 1 FROM users u JOIN below b ON u.parent_distributor_id = b.id WHERE b.depth < ${MAX_DEPTH})
     SELECT b.id, MIN(b.depth) AS depth, u.user_code, u.full_name, u.role
       FROM below b JOIN users u ON u.id = b.id WHERE b.id <> ? GROUP BY b.id, u.user_code, u.full_name, u.role`,
    [distributorId, distributorId],
  );
}

export async function networkReport(
  knex: Knex,
  distributorId: number,
  range: DayRange,
  granularity: Granularity,
): Promise<NetworkReport> {
  return inSnapshot(knex, async (s) => {
    const members = await membersBelow(s, distributorId);
    const ids = members.map((m) => m.id);
    // One read of each source, by member (or payer) and day; the totals by member and by day are
    // made from the same rows here.
    const volume = await grouped(
      s,
      memberRowsSql(range, ids),
      ['user_id', 'day'],
      'SELECT user_id, day, SUM(payments) AS payments, SUM(amount) AS amount FROM ({rows}) x GROUP BY user_id, day',
    );
    const commission = await grouped(
      s,
      commissionRowsSql(range, distributorId),
      ['payer_id', 'day', 'level'],
      `SELECT payer_id, day, level, SUM(paid_count) AS paid, SUM(paid_amount) AS paid_amount,
              SUM(clawback_count) AS clawed, SUM(clawback_amount) AS clawback_amount
         FROM ({rows}) x GROUP BY payer_id, day, level`,
    );

    const byMember = new Map<number, NetworkMember>(
      members.map((m) => [
        m.id,
        {
          userId: m.id,
          userCode: m.user_code,
          name: m.full_name,
          role: m.role,
          depth: Number(m.depth),
          payments: 0,
          volume: ZERO,
          commission: ZERO,
        },
      ]),
    );
    const trend = new Map<string, NetworkPoint>(
      periodsOf(range, granularity).map((p) => [p, { period: p, payments: 0, volume: ZERO, commission: ZERO }]),
    );
    for (const r of volume) {
      const payments = Number(r.payments);
      const amount = fromDecimal(r.amount);
      const m = byMember.get(Number(r.user_id));
      if (m) {
        m.payments += payments;
        m.volume = add(m.volume, amount);
      }
      const p = trend.get(periodOf(r.day!, granularity))!;
      p.payments += payments;
      p.volume = add(p.volume, amount);
    }
    const levels = new Map<number, LevelCommission>();
    for (const r of commission) {
      const c = levelCommission(r);
      const m = byMember.get(Number(r.payer_id));
      if (m) m.commission = add(m.commission, c.net);
      const l = levels.get(c.level);
      levels.set(c.level, l ? plusLevel(l, c) : c);
      const p = trend.get(periodOf(r.day!, granularity))!;
      p.commission = add(p.commission, c.net);
    }
    const all = [...byMember.values()];
    const commissions = [...levels.values()].sort((a, b) => a.level - b.level);
    return {
      range,
      granularity,
      members: all.length,
      payments: all.reduce((a, m) => a + m.payments, 0),
      volume: sum(all.map((m) => m.volume)),
      commissions,
      commission: sum(commissions.map((c) => c.net)),
      byMember: all.sort((a, b) => b.volume - a.volume || a.userId - b.userId),
      trend: [...trend.values()],
    };
  });
}

export interface SpendingLine {
  month: string;
  kind: PaymentKind;
  payments: number;
  amount: Paise;
  fee: Paise;
}

/** A user's completed payments by IST month and kind. */
export async function spendingByMonth(knex: Knex, userId: number, range: DayRange): Promise<SpendingLine[]> {
  return inSnapshot(knex, async (s) => {
    const rows = await grouped(
      s,
      memberRowsSql(range, [userId]),
      ['month', 'kind'],
      `SELECT DATE_FORMAT(day, '%Y-%m-01') AS month, kind, SUM(payments) AS payments, SUM(amount) AS amount, SUM(fee) AS fee
         FROM ({rows}) x GROUP BY month, kind`,
    );
    rows.sort((a, b) => a.month!.localeCompare(b.month!) || a.kind!.localeCompare(b.kind!));
    return rows
      .map((r) => ({
        month: r.month!,
        kind: r.kind as PaymentKind,
        payments: Number(r.payments),
        amount: fromDecimal(r.amount),
        fee: fromDecimal(r.fee),
      }))
      .filter((l) => l.payments !== 0);
  });
}
