/**
 * Demo data for `npm run dev`: an admin, a three-level distributor chain with a retailer at the
 * bottom, and a customer, with known passwords. Idempotent: users are matched by username and
 * opening balances are ledger postings with fixed references, so re-running changes nothing.
 * The admin has two-factor on (admins must) with a fixed development secret, which `npm run dev`
 * prints and `npm run totp` turns into the current code.
 */
import type { Knex } from 'knex';
import { enrolWithSecret, TwoFactorKeys } from '../twoFactor';
import { hashPassword } from '../passwords';
import { parseRupees } from '../../domain/money';
import { createLedger } from '../ledger';
import { userCodeFor } from '../../domain/users';

interface DemoUser {
  username: string;
  fullName: string;
  role: 'admin' | 'distributor' | 'retailer' | 'customer';
  password: string;
  commissionRate: string;
  parent?: string;
  balance: string;
}

/** The demo admin's TOTP secret (base32). Development only: the seed never runs in production. */
export const DEMO_ADMIN_TOTP_SECRET = 'NEXASPAYDEMOADMINTOTPSECRET23456';

export const DEMO_USERS: DemoUser[] = [
  {
    username: 'admin',
    fullName: 'Asha Admin',
    role: 'admin',
    password: 'admin-demo-pass',
    commissionRate: '0.0000',
    balance: '0.00',
  },
  {
    username: 'super_dist',
    fullName: 'Suresh Super Distributor',
    role: 'distributor',
    password: 'demo-pass-123',
    commissionRate: '0.0025',
    balance: '0.00',
  },
  {
    username: 'area_dist',
    fullName: 'Anita Area Distributor',
    role: 'distributor',
    password: 'demo-pass-123',
    commissionRate: '0.0050',
    parent: 'super_dist',
    balance: '0.00',
  },
  {
    username: 'local_dist',
    fullName: 'Lalit Local Distributor',
    role: 'distributor',
    password: 'demo-pass-123',
    commissionRate: '0.0100',
    parent: 'area_dist',
    balance: '0.00',
  },
  {
    username: 'retailer',
    fullName: 'Ravi Retailer',
    role: 'retailer',
    password: 'demo-pass-123',
    commissionRate: '0.0000',
    parent: 'local_dist',
    balance: '5000.00',
  },
  {
    username: 'customer',
    fullName: 'Chitra Customer',
    role: 'customer',
    password: 'demo-pass-123',
    commissionRate: '0.0000',
    balance: '1000.00',
  },
];

export interface SeededUser {
  username: string;
  password: string;
  role: string;
  userCode: string;
  balance: string;
}

export async function seedDemoData(knex: Knex, twoFactorKeys: TwoFactorKeys): Promise<SeededUser[]> {
  const ledger = createLedger(knex);
  const ids = new Map<string, number>();
  const seeded: SeededUser[] = [];
  for (const [i, u] of DEMO_USERS.entries()) {
    let row = await knex('users').where({ username: u.username }).first('id', 'user_code');
    if (!row) {
      const [id] = (await knex('users').insert({
        email: `${u.username}@demo.nexaspay.in`,
        username: u.username,
        phone: `90000000${String(i + 1).padStart(2, '0')}`,
        password: await hashPassword(u.password),
        full_name: u.fullName,
        role: u.role,
        kyc_status: 'verified',
        commission_rate: u.commissionRate,
        parent_distributor_id: u.parent ? ids.get(u.parent)! : null,
        email_verified: true,
        phone_verified: true,
      })) as [number];
      await knex('users')
        .where({ id })
        .update({ user_code: userCodeFor(id) });
      row = { id, user_code: userCodeFor(id) };
    }
    ids.set(u.username, row.id);
    if (u.role === 'admin') await enrolWithSecret(knex, twoFactorKeys, row.id, DEMO_ADMIN_TOTP_SECRET);
    if (u.balance !== '0.00') {
      await ledger.post({
        reference: `seed:opening:${u.username}`,
        ledgerType: 'TopIn',
        description: 'Demo opening balance',
        lines: [
          { account: { system: 'PLATFORM_EQUITY' }, debit: parseRupees(u.balance) },
          { account: { user: row.id }, credit: parseRupees(u.balance), statement: { remarks: 'Demo opening balance' } },
        ],
      });
    }
    seeded.push({
      username: u.username,
      password: u.password,
      role: u.role,
      userCode: row.user_code,
      balance: u.balance,
    });
  }
  return seeded;
}
