/** Journal recipes: each posting a payment makes, as pure data, balanced and under its one reference. */
import { paise, Paise } from '../../domain/money';
import { accountKey, PostingRequest } from '../../domain/ledger';
import {
  clawbackPosting,
  commissionPosting,
  heldPaymentCapture,
  refundCapture,
  reversalRefund,
  topUpCredit,
  transferPosting,
} from '../../domain/recipes';
import { referenceSql, settlementReferenceOf } from '../../domain/references';

const balance = (p: PostingRequest) => p.lines.reduce((s, l) => s + (l.debit ?? 0) - (l.credit ?? 0), 0);
const side = (p: PostingRequest) =>
  Object.fromEntries(p.lines.map((l) => [accountKey(l.account), (l.credit ?? 0) - (l.debit ?? 0)]));

it('a top-up credits the wallet from PHONEPE_CLEARING on the pending statement row', () => {
  const r = topUpCredit({
    paymentId: 'pay_1',
    userId: 7,
    amount: paise(50_000),
    statementRowId: 99,
    phonePeTransactionId: 'T1',
  });
  expect(r.reference).toBe('topup:pay_1:credit');
  expect(balance(r)).toBe(0);
  expect(side(r)).toEqual({ 'system:PHONEPE_CLEARING': -50_000, 'user:7': 50_000 });
  expect(r.lines[1]!.statement).toMatchObject({ transactionId: 99, transactionType: 'deposit', bankReference: 'T1' });
});

it('a transfer debits the sender the amount and the fee, with the sender rules, in one posting', () => {
  const t = {
    paymentId: 'pay_2',
    senderId: 1,
    senderCode: 'NP1',
    recipientId: 2,
    recipientCode: 'NP2',
    amount: paise(10_000),
  };
  const withFee = transferPosting(t, paise(500));
  expect(balance(withFee)).toBe(0);
  expect(side(withFee)).toEqual({ 'user:1': -10_500, 'user:2': 10_000, 'system:FEE_INCOME': 500 });
  expect(withFee.lines[0]!.rules).toEqual({ requireActive: true, requireKyc: true, countTowardLimits: true });
  expect(withFee.lines[0]!.statement).toMatchObject({ feeAmount: 500, remarks: 'Transfer NP1 → NP2' });
  const free = transferPosting(t, 0 as Paise);
  expect(free.lines).toHaveLength(2);
  expect(free.reference).toBe(settlementReferenceOf('transfer', 'pay_2'));
});

it.each([
  ['payout', 'PAYOUT_CLEARING', 'Transfer', 'withdrawal'],
  ['recharge', 'RECHARGE_PAYABLE', 'Recharge', 'recharge'],
  ['bill', 'BBPS_PAYABLE', 'Bill', 'bill_payment'],
] as const)('a %s capture goes to %s as %s, its statement a %s', (kind, account, ledgerType, transactionType) => {
  const c = heldPaymentCapture({
    kind,
    paymentId: 'pay_3',
    details: {
      mode: 'IMPS',
      beneficiaryName: 'A',
      accountMasked: 'XXXXXX1234',
      operator: 'JIO',
      mobile: '98',
      circle: 'DL',
      billerName: 'Power',
    },
    outcome: { outcome: 'succeeded', providerState: 'OK', providerRef: 'P1', utr: 'U1' },
  });
  expect(c).toMatchObject({
    holdReference: `${kind}:pay_3:hold`,
    reference: `${kind}:pay_3:capture`,
    to: { system: account },
    ledgerType,
  });
  expect(c.statement).toMatchObject({ transactionType, referenceNumber: 'pay_3', bankReference: 'P1' });
  expect(c.statement!.utrNumber).toBe(kind === 'payout' ? 'U1' : undefined);
});

it('a reversal refunds along the capture; a top-up refund captures its hold into PHONEPE_CLEARING', () => {
  expect(reversalRefund({ kind: 'bill', paymentId: 'pay_4', reason: 'biller returned it' })).toMatchObject({
    reference: 'bill:pay_4:reversal',
    originalReference: 'bill:pay_4:capture',
  });
  expect(refundCapture({ refundId: 'rfd_1', topUpId: 'pay_5', reason: 'asked' })).toMatchObject({
    holdReference: 'refund:rfd_1:hold',
    reference: 'refund:rfd_1:capture',
    to: { system: 'PHONEPE_CLEARING' },
    ledgerType: 'Refund',
  });
});

it('commissions: one balanced posting for all levels; a claw-back per level', () => {
  const shares = [
    { level: 1, userId: 11, rate: 100, amount: paise(199) },
    { level: 2, userId: 12, rate: 50, amount: paise(99) },
  ];
  const c = commissionPosting({ paymentId: 'pay_6', payerId: 10, description: 'Commissions on pay_6', shares });
  expect(c.reference).toBe('commission:pay_6');
  expect(balance(c)).toBe(0);
  expect(side(c)).toEqual({ 'system:COMMISSION_EXPENSE': -298, 'user:11': 199, 'user:12': 99 });
  const back = clawbackPosting('pay_6', shares[1]!);
  expect(back.reference).toBe('commission:pay_6:clawback:2');
  expect(side(back)).toEqual({ 'user:12': -99, 'system:COMMISSION_EXPENSE': 99 });
});

it('references read the same in SQL as in TypeScript', () => {
  expect(referenceSql('hold', { kind: 'p.kind', id: 'p.id' })).toBe("CONCAT(p.kind, ':', p.id, ':hold')");
  expect(referenceSql('topUpCredit', { id: 'p.id' })).toBe("CONCAT('topup:', p.id, ':credit')");
  expect(referenceSql('clawback', { id: 'p.id', level: 'c.level' })).toBe(
    "CONCAT('commission:', p.id, ':clawback:', c.level)",
  );
});
