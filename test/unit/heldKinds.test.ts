/**
 * The held kinds' registry is what the API, the workflows, the ledger recipes and the invariant
 * checker read; a kind registered under another kind's name would capture into the wrong account.
 */
import { BillPaymentInput, HELD_KINDS, HeldPaymentKind, PayoutInput, RechargeInput } from '../../domain/heldKinds';
import { HELD_WORKFLOWS } from '../../workflows/heldKinds';
import { paise } from '../../domain/money';

const timing = {
  polling: { firstCheckMs: 1, phases: [], steadyEveryMs: 1, graceMs: 0, lateWindowMs: 0, lateEveryMs: 1 },
  reversalWatchMs: 1,
};

describe('held kinds registry', () => {
  const kinds = Object.keys(HELD_KINDS) as HeldPaymentKind[];

  it('registers each kind under its own name, with its own workflow', () => {
    expect(kinds.sort()).toEqual(['bill', 'payout', 'recharge']);
    for (const k of kinds) {
      expect(HELD_KINDS[k].kind).toBe(k);
      expect(typeof HELD_WORKFLOWS[k]).toBe('function');
    }
    expect(Object.keys(HELD_WORKFLOWS).sort()).toEqual(kinds.sort());
  });

  it('settles each kind into a distinct system account', () => {
    const accounts = kinds.map((k) => HELD_KINDS[k].settlement.account);
    expect(new Set(accounts).size).toBe(kinds.length);
  });

  it('maps every provider status word to one of the engine outcomes, with exactly one success word', () => {
    for (const k of kinds) {
      const outcomes = Object.values(HELD_KINDS[k].outcomes);
      expect(outcomes.every((o) => ['pending', 'succeeded', 'failed', 'reversed'].includes(o))).toBe(true);
      expect(outcomes.filter((o) => o === 'succeeded')).toHaveLength(1);
    }
  });

  const base = { ...timing, paymentId: 'NP000042', userId: 7, amount: paise(14_900) };
  const recharge: RechargeInput = {
    ...base,
    operator: 'JIO',
    circle: 'MH',
    mobile: '9876543210',
    commissionMarginRate: 300,
  };
  const bill: BillPaymentInput = {
    ...base,
    billerId: 'B1',
    billerName: 'Power',
    fetchRef: 'F1',
    bill: { customerName: 'A', billNumber: 'N1', dueDate: null },
    commissionMarginRate: 50,
  };
  const payout: PayoutInput = {
    ...base,
    beneficiaryId: 3,
    mode: 'IMPS',
    beneficiary: { name: 'A', accountMasked: 'XXXXXX1234', ifsc: 'HDFC0000001', bankName: 'HDFC' },
  };

  it('builds each order from its input with the payment id as our reference, and reads them on the statement', () => {
    const orders = {
      recharge: HELD_KINDS.recharge.order(recharge),
      bill: HELD_KINDS.bill.order(bill),
      payout: HELD_KINDS.payout.order(payout),
    };
    for (const [k, order] of Object.entries(orders)) {
      expect(order).toMatchObject({ kind: k, paymentId: 'NP000042', userId: 7, amount: 14_900 });
    }
    const line = HELD_KINDS.payout.statement(HELD_KINDS.payout.details(payout), {
      outcome: 'succeeded',
      providerState: 'PROCESSED',
      providerRef: 'PO-1',
      utr: 'UTR123',
    });
    expect(line).toMatchObject({ beneficiaryAccount: 'XXXXXX1234', utrNumber: 'UTR123' });
    expect(HELD_KINDS.recharge.summary(recharge).line).toEqual(['JIO', '98xxxxx210']);
  });

  it('pays commissions on recharges and bills at the margin given, never on payouts', () => {
    expect(HELD_KINDS.recharge.commissionMarginRate(recharge)).toBe(300);
    expect(HELD_KINDS.bill.commissionMarginRate(bill)).toBe(50);
    expect(HELD_KINDS.payout.commissionMarginRate(payout)).toBeUndefined();
  });
});
