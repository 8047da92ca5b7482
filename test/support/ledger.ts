import type { Knex } from 'knex';
import { createLedger } from '../../db/ledger';
import { checkInvariants } from '../../db/ledger/invariants';
import { REPORT_CHECKS } from '../../db/reports/invariants';
import { Paise, parseRupees } from '../../domain/money';
import { userCodeFor } from '../../domain/users';

let seq = 0;

export interface TestUserOptions {
  balance?: string;
  kyc?: 'pending' | 'verified' | 'rejected';
  active?: boolean;
  dailyLimit?: string;
  monthlyLimit?: string;
  role?: 'customer' | 'retailer' | 'distributor' | 'admin';
  parentId?: number | null;
  commissionRate?: string;
}

/**
 * Inserts a user; an opening balance is posted through the ledger (PLATFORM_EQUITY → wallet),
 * never written directly, so the invariants hold from the first line of every test.
 */
export async function createUser(knex: Knex, opts: TestUserOptions = {}): Promise<{ id: number; userCode: string }> {
  // Each suite has its own database, so a per-process counter is unique enough.
  const n = ++seq;
  const [id] = (await knex('users').insert({
    email: `u${n}@example.test`,
    username: `u${n}`,
    phone: `9${String(n).padStart(9, '0')}`,
    password: 'not-a-real-hash',
    role: opts.role ?? 'retailer',
    kyc_status: opts.kyc ?? 'verified',
    is_active: opts.active ?? true,
    daily_limit: opts.dailyLimit ?? '25000.00',
    monthly_limit: opts.monthlyLimit ?? '100000.00',
    parent_distributor_id: opts.parentId ?? null,
    commission_rate: opts.commissionRate ?? '0.0000',
  })) as [number];
  const userCode = userCodeFor(id);
  await knex('users').where({ id }).update({ user_code: userCode });
  if (opts.balance && opts.balance !== '0.00') {
    await createLedger(knex).post({
      reference: `test:opening:${id}`,
      ledgerType: 'TopIn',
      description: 'opening balance',
      lines: [
        { account: { system: 'PLATFORM_EQUITY' }, debit: parseRupees(opts.balance) },
        { account: { user: id }, credit: parseRupees(opts.balance) },
      ],
    });
  }
  return { id, userCode };
}

export async function walletOf(knex: Knex, userId: number): Promise<{ balance: string; held: string }> {
  const row = await knex('users').where({ id: userId }).first('wallet_balance', 'held_balance');
  return { balance: row.wallet_balance, held: row.held_balance };
}

/**
 * Every test that moves money ends with this. `only` narrows it to some checks, for a test that
 * checks after each of thousands of steps (the full set still runs at its end).
 */
export async function expectLedgerInvariants(knex: Knex, only?: readonly string[]): Promise<void> {
  const report = only ? await checkInvariants(knex, only) : await createLedger(knex).checkInvariants();
  const failed = report.checks.filter((c) => !c.ok);
  if (failed.length > 0) {
    throw new Error(`ledger invariants violated:\n${JSON.stringify(failed, null, 2)}`);
  }
  expect(report.ok).toBe(true);
}

/**
 * The report rollups against their sources, alone: for tests that write payment records
 * without the postings a real payment makes (the ledger's own checks would rightly refuse them).
 */
export async function expectReportInvariants(knex: Knex): Promise<void> {
  const report = await checkInvariants(
    knex,
    REPORT_CHECKS.map((c) => c.id),
  );
  expect(report.checks.filter((c) => !c.ok)).toEqual([]);
  expect(report.checks).toHaveLength(REPORT_CHECKS.length);
}

export const rs = (text: string): Paise => parseRupees(text);
