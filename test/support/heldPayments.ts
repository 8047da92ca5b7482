/**
 * Drivers for the payments that go through a provider (payout, recharge, bill), so one suite can
 * run the same scenarios for each kind: a funded, KYC-verified retailer under a three-level
 * distributor chain, and a way to start a payment whose simulator outcome the test scripts.
 */
import { randomInt } from 'node:crypto';
import { createLedger } from '../../db/ledger';
import { registerUser } from './api';
import { createUser, rs } from './ledger';
import { idemKey, PaymentsHarness } from './payments';
import { eventually, simControl } from './simulators';

export type HeldKind = 'payout' | 'recharge' | 'bill';
export const SIM_OF = { payout: 'payout', recharge: 'recharge', bill: 'bbps' } as const;
export const PAYABLE_OF = { payout: 'PAYOUT_CLEARING', recharge: 'RECHARGE_PAYABLE', bill: 'BBPS_PAYABLE' } as const;

export interface Payer {
  id: number;
  userCode: string;
  token: string;
  /** Level 1, 2, 3 distributors above the payer (rates 1.5%, 1%, 0.5%). */
  uplines: Array<{ id: number; level: number }>;
}

let funding = 0;
export async function fund(h: PaymentsHarness, userId: number, amount: string) {
  await createLedger(h.db.knex).post({
    reference: `test:fund:${userId}:${++funding}`,
    ledgerType: 'TopIn',
    lines: [
      { account: { system: 'PLATFORM_EQUITY' }, debit: rs(amount) },
      { account: { user: userId }, credit: rs(amount) },
    ],
  });
}

export async function payer(
  h: PaymentsHarness,
  opts: { balance?: string; kyc?: 'verified' | 'pending'; dailyLimit?: string } = {},
): Promise<Payer> {
  const superDist = await createUser(h.db.knex, { role: 'distributor', commissionRate: '0.0050' });
  const area = await createUser(h.db.knex, { role: 'distributor', commissionRate: '0.0100', parentId: superDist.id });
  const local = await createUser(h.db.knex, { role: 'distributor', commissionRate: '0.0150', parentId: area.id });
  const u = await registerUser(h.http, { role: 'retailer' });
  await h.db
    .knex('users')
    .where({ id: u.user.id })
    .update({
      kyc_status: opts.kyc ?? 'verified',
      parent_distributor_id: local.id,
      ...(opts.dailyLimit ? { daily_limit: opts.dailyLimit } : {}),
    });
  if (opts.balance !== '0.00') await fund(h, u.user.id, opts.balance ?? '10000.00');
  return {
    id: u.user.id,
    userCode: u.user.userCode,
    token: u.accessToken,
    uplines: [
      { id: local.id, level: 1 },
      { id: area.id, level: 2 },
      { id: superDist.id, level: 3 },
    ],
  };
}

const digits = (n: number) => Array.from({ length: n }, () => randomInt(10)).join('');

export interface PreparedPayment {
  /** The simulator scenario key for this payment (mobile, account number, customer parameter). */
  match: string;
  pay(amount: string, key?: string): Promise<import('supertest').Response>;
}

/** Everything a payment of `kind` needs before it can be sent, for this payer. */
export async function prepare(h: PaymentsHarness, kind: HeldKind, p: Payer): Promise<PreparedPayment> {
  const auth = (r: import('supertest').Test) => r.set('Authorization', `Bearer ${p.token}`);
  switch (kind) {
    case 'recharge': {
      const mobile = `9${digits(9)}`;
      const ops = await auth(h.http().get('/v1/recharge/operators'));
      const jio = ops.body.items.find((o: any) => o.code === 'JIO');
      return {
        match: mobile,
        pay: (amount, key = idemKey()) =>
          auth(h.http().post('/v1/payments/recharges'))
            .set('Idempotency-Key', key)
            .send({ operator: 'JIO', circle: jio.circles[0].code, mobile, amount }),
      };
    }
    case 'payout': {
      const accountNumber = `5010${digits(10)}`;
      const created = await auth(h.http().post('/v1/beneficiaries')).send({
        beneficiaryName: 'Test Payee',
        accountNumber,
        ifscCode: 'HDFC0001234',
        bankName: 'HDFC Bank',
      });
      if (created.status !== 201) throw new Error(`beneficiary: ${created.status} ${JSON.stringify(created.body)}`);
      const verified = await auth(h.http().post(`/v1/beneficiaries/${created.body.id}/verify`)).send();
      if (verified.status === 422 && verified.body.error.code === 'kyc_required') {
        // Only KYC-verified users may penny-drop; this payer stands for one whose KYC lapsed
        // after the payee was verified.
        await h.db
          .knex('beneficiaries')
          .where({ id: created.body.id })
          .update({ is_verified: true, verification_date: new Date(), name_at_bank: 'TEST PAYEE' });
      } else if (verified.status !== 200)
        throw new Error(`verify: ${verified.status} ${JSON.stringify(verified.body)}`);
      return {
        match: accountNumber,
        pay: (amount, key = idemKey()) =>
          auth(h.http().post('/v1/payments/payouts'))
            .set('Idempotency-Key', key)
            .send({ amount, beneficiaryId: created.body.id }),
      };
    }
    case 'bill': {
      const biller = await anyAmountBiller(h, p.token);
      const value = `${digits(9)}1`; // never ends in 0000 (the simulator's "no bill due")
      const params = { [biller.customerParams[0]!.name]: value };
      let fetchRef: string | undefined;
      return {
        match: value,
        pay: async (amount, key = idemKey()) => {
          // The scenario is looked up when the bill is fetched and paid: fetch lazily, after the test scripted it.
          if (!fetchRef) {
            const fetched = await auth(h.http().post('/v1/bills/fetch')).send({
              billerId: biller.billerId,
              customerParams: params,
            });
            if (fetched.status !== 200)
              throw new Error(`bill fetch: ${fetched.status} ${JSON.stringify(fetched.body)}`);
            fetchRef = fetched.body.fetchRef as string;
          }
          return auth(h.http().post('/v1/payments/bills'))
            .set('Idempotency-Key', key)
            .send({ billerId: biller.billerId, fetchRef, amount });
        },
      };
    }
  }
}

/** A FETCH biller of exactness ANY whose first parameter takes 10 digits, so tests choose the amount. */
export async function anyAmountBiller(h: PaymentsHarness, token: string) {
  const res = await h.http().get('/v1/bills/billers').set('Authorization', `Bearer ${token}`);
  const biller = res.body.items.find(
    (b: any) =>
      b.exactness === 'ANY' &&
      b.fetchType === 'FETCH' &&
      new RegExp(`^(?:${b.customerParams[0].regex})$`).test('1234567890'),
  );
  if (!biller)
    throw new Error(
      `the BBPS catalogue has no FETCH biller with exactness ANY taking a 10-digit number: ${JSON.stringify(res.body)}`,
    );
  return biller as {
    billerId: string;
    name: string;
    exactness: string;
    customerParams: Array<{ name: string; regex: string }>;
  };
}

export function control(h: PaymentsHarness, kind: HeldKind) {
  return simControl(h.sims, SIM_OF[kind]);
}

/** Resolves once the provider's simulator has received the create (the order or the bill's payment) for this payment. */
export const createReached = (h: PaymentsHarness, kind: HeldKind, paymentId: string) =>
  eventually(
    () => control(h, kind).requests(),
    (reqs) => reqs.some((r) => r.method === 'POST' && JSON.stringify(r.body ?? {}).includes(paymentId)),
    10_000,
  );
