/**
 * A payout above TWO_FACTOR_PAYOUT_ABOVE by a user with two-factor on needs a code, asked once
 * per payment: a replay of its Idempotency-Key is answered without one.
 */
import { currentTotp } from '../../api/auth/secondFactor';
import { enrolTwoFactor } from '../support/api';
import { payer } from '../support/heldPayments';
import { expectLedgerInvariants } from '../support/ledger';
import { idemKey, PaymentsHarness, startPaymentsHarness, waitForStatus } from '../support/payments';

let h: PaymentsHarness;
beforeAll(async () => {
  h = await startPaymentsHarness({ env: { TWO_FACTOR_PAYOUT_ABOVE: '50.00' } });
});
afterAll(() => h?.close());
afterEach(() => expectLedgerInvariants(h.db.knex));

it('asks for a code above the threshold only, once per payment', async () => {
  const p = await payer(h, { balance: '1000.00' });
  const { secret, enrolledAt, recoveryCodes } = await enrolTwoFactor(h.http, p.token);
  // Enrolment spent this 30-second step's code; the next step's is accepted once.
  const nextCode = currentTotp(secret, enrolledAt + 30_000);
  const auth = { Authorization: `Bearer ${p.token}` };
  const added = await h
    .http()
    .post('/v1/beneficiaries')
    .set(auth)
    .set('X-Two-Factor-Code', nextCode)
    .send({ beneficiaryName: 'Meena P', accountNumber: '501000112233', ifscCode: 'HDFC0001234', bankName: 'HDFC' });
  expect(added.status).toBe(201);
  expect((await h.http().post(`/v1/beneficiaries/${added.body.id}/verify`).set(auth).send()).status).toBe(200);

  const payout = (amount: string, key: string, code?: string) => {
    const req = h.http().post('/v1/payments/payouts').set(auth).set('Idempotency-Key', key);
    return (code ? req.set('X-Two-Factor-Code', code) : req).send({ amount, beneficiaryId: added.body.id });
  };
  const small = await payout('50.00', idemKey());
  expect(small.status).toBe(202);

  const key = idemKey();
  const without = await payout('50.01', key);
  expect([without.status, without.body.error.code]).toEqual([403, 'two_factor_required']);
  // No unused TOTP code is left this minute (a code works once); a recovery code does as well.
  expect((await payout('50.01', key, nextCode)).body.error.code).toBe('two_factor_invalid');
  const withCode = await payout('50.01', key, recoveryCodes[0]);
  expect(withCode.status).toBe(202);
  const replay = await payout('50.01', key);
  expect([replay.status, replay.body]).toEqual([202, withCode.body]);

  await waitForStatus(h, p.token, small.body.paymentId, 'COMPLETED');
  await waitForStatus(h, p.token, withCode.body.paymentId, 'COMPLETED');
  // Held once each: ₹1,000.00 less the two payouts.
  expect((await h.http().get('/v1/wallet').set(auth)).body.balance).toBe('899.99');
});
