import { createLedger, Ledger } from '../../db/ledger';
import {
  AccountInactiveError,
  HoldAlreadyResolvedError,
  InsufficientFundsError,
  KycRequiredError,
  LimitExceededError,
  NotFoundError,
  ReferenceConflictError,
  ValidationError,
} from '../../domain/errors';
import { istDate, istMonthStart } from '../../domain/calendar';
import { toDecimal } from '../../db/money';
import { createTestDatabase, TestDatabase } from '../support/db';
import { createUser, expectLedgerInvariants, rs, walletOf } from '../support/ledger';

let db: TestDatabase;
let ledger: Ledger;

beforeAll(async () => {
  db = await createTestDatabase();
  ledger = createLedger(db.knex);
});
afterAll(() => db.drop());
afterEach(() => expectLedgerInvariants(db.knex));

const transfer = (ref: string, from: number, to: number, amount: string, rules = {}) =>
  ledger.post({
    reference: ref,
    ledgerType: 'Transfer',
    lines: [
      { account: { user: from }, debit: rs(amount), rules },
      { account: { user: to }, credit: rs(amount) },
    ],
  });

describe('posting a journal', () => {
  it('moves money, writes entries and both statement rows with opening and closing balances', async () => {
    const a = await createUser(db.knex, { balance: '500.00' });
    const b = await createUser(db.knex, { balance: '20.00' });
    const result = await transfer('t:basic', a.id, b.id, '120.50');
    expect(result.replayed).toBe(false);
    expect(await walletOf(db.knex, a.id)).toEqual({ balance: '379.50', held: '0.00' });
    expect(await walletOf(db.knex, b.id)).toEqual({ balance: '140.50', held: '0.00' });
    const rows = await db.knex('transactions').where('reference_number', 'like', 't:basic%').orderBy('user_id');
    expect(rows).toHaveLength(2);
    const [ra, rb] = a.id < b.id ? rows : [rows[1], rows[0]];
    expect(ra).toMatchObject({
      user_id: a.id,
      opening_balance: '500.00',
      closing_balance: '379.50',
      debit_amount: '120.50',
      credit_amount: '0.00',
      ledger_type: 'Transfer',
      transaction_type: 'transfer',
      status: 'completed',
      user_code: a.userCode,
    });
    expect(rb).toMatchObject({
      user_id: b.id,
      opening_balance: '20.00',
      closing_balance: '140.50',
      debit_amount: '0.00',
      credit_amount: '120.50',
    });
    expect(ra.ledger_date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it("links each user line's entry to its own statement row, new or named, whatever the users' order", async () => {
    const [a, b, c] = [
      await createUser(db.knex, { balance: '100.00' }),
      await createUser(db.knex),
      await createUser(db.knex),
    ];
    // c's line names a statement row of its own (as a top-up's pending deposit is); a's and b's are new.
    const [pending] = await db.knex('transactions').insert({
      user_id: c.id,
      transaction_type: 'deposit',
      amount: '5.00',
      reference_number: 't:links:pending',
      status: 'pending',
    });
    const lines = [
      { account: { user: b.id }, credit: rs('30.00') },
      { account: { user: c.id }, credit: rs('5.00'), statement: { transactionId: pending } },
      { account: { user: a.id }, debit: rs('40.00') },
      { account: { system: 'FEE_INCOME' as const }, credit: rs('5.00') },
    ];
    const posted = await ledger.post({ reference: 't:links', ledgerType: 'Transfer', lines });
    expect(posted.lines[1]!.transactionId).toBe(pending);
    expect(posted.lines[3]!.transactionId).toBeNull();
    for (const [k, user] of [
      [0, b],
      [1, c],
      [2, a],
    ] as const) {
      const line = posted.lines[k]!;
      expect(await db.knex('transactions').where({ id: line.transactionId }).first()).toMatchObject({
        user_id: user.id,
        debit_amount: toDecimal(line.debit),
        credit_amount: toDecimal(line.credit),
        closing_balance: toDecimal(line.balanceAfter),
      });
      const entry = await db.knex('ledger_entries').where({ journal_id: posted.journalId, user_id: user.id }).first();
      expect(entry.transaction_id).toBe(posted.lines[k]!.transactionId);
    }
    expect(await db.knex('transactions').where({ id: posted.lines[0]!.transactionId }).first()).toMatchObject({
      reference_number: `t:links:${b.userCode}`,
      credit_amount: '30.00',
      closing_balance: '30.00',
    });
  });

  it('refuses a posting whose new statement row takes a reference number in use, and leaves no trace', async () => {
    const a = await createUser(db.knex, { balance: '100.00' });
    const b = await createUser(db.knex);
    await transfer('t:taken', a.id, b.id, '1.00');
    const err = await ledger
      .post({
        reference: 't:taken-again',
        ledgerType: 'Transfer',
        lines: [
          { account: { user: a.id }, debit: rs('2.00') },
          { account: { user: b.id }, credit: rs('2.00'), statement: { referenceNumber: `t:taken:${b.userCode}` } },
        ],
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReferenceConflictError);
    expect((err as ReferenceConflictError).details).toEqual({
      referenceNumbers: [`t:taken-again:${a.userCode}`, `t:taken:${b.userCode}`],
    });
    expect(await db.knex('ledger_journals').where({ reference: 't:taken-again' })).toHaveLength(0);
    expect(await walletOf(db.knex, a.id)).toEqual({ balance: '99.00', held: '0.00' });
  });

  it('the checker finds an entry whose statement row says otherwise', async () => {
    const a = await createUser(db.knex, { balance: '100.00' });
    const b = await createUser(db.knex);
    const posted = await transfer('t:mislinked', a.id, b.id, '10.00');
    const credited = posted.lines[1]!.transactionId!;
    await db.knex('transactions').where({ id: credited }).update({ credit_amount: '11.00' });
    const check = (await ledger.checkInvariants()).checks.find((c) => c.id === 'statement_links')!;
    expect(check.ok).toBe(false);
    expect(check.offending).toEqual([
      expect.objectContaining({ user_id: b.id, transaction_id: credited, credit: '10.00', credit_amount: '11.00' }),
    ]);
    await db.knex('transactions').where({ id: credited }).update({ credit_amount: '10.00' });
  });

  it('is idempotent by reference: a repeat returns the original and changes nothing', async () => {
    const a = await createUser(db.knex, { balance: '100.00' });
    const b = await createUser(db.knex);
    const first = await transfer('t:idem', a.id, b.id, '10.00');
    const again = await transfer('t:idem', a.id, b.id, '10.00');
    expect(again.replayed).toBe(true);
    expect(again.journalId).toBe(first.journalId);
    expect(again.lines.map((l) => l.balanceAfter)).toEqual(first.lines.map((l) => l.balanceAfter));
    expect((await walletOf(db.knex, a.id)).balance).toBe('90.00');
  });

  it('fails loudly when a reference is reused with different lines', async () => {
    const a = await createUser(db.knex, { balance: '100.00' });
    const b = await createUser(db.knex);
    await transfer('t:conflict', a.id, b.id, '10.00');
    await expect(transfer('t:conflict', a.id, b.id, '11.00')).rejects.toThrow(ReferenceConflictError);
    expect((await walletOf(db.knex, a.id)).balance).toBe('90.00');
  });

  it('rejects unbalanced and ambiguous postings before touching the database', async () => {
    const a = await createUser(db.knex, { balance: '100.00' });
    await expect(
      ledger.post({
        reference: 't:unbalanced',
        ledgerType: 'Transfer',
        lines: [
          { account: { user: a.id }, debit: rs('1.00') },
          { account: { system: 'FEE_INCOME' }, credit: rs('2.00') },
        ],
      }),
    ).rejects.toThrow(ValidationError);
    await expect(
      ledger.post({
        reference: 't:oneline',
        ledgerType: 'Transfer',
        lines: [{ account: { user: a.id }, debit: rs('1.00') }],
      }),
    ).rejects.toThrow(ValidationError);
    await expect(
      ledger.post({
        reference: 't:bothsides',
        ledgerType: 'Transfer',
        lines: [
          { account: { user: a.id }, debit: rs('1.00'), credit: rs('1.00') },
          { account: { system: 'FEE_INCOME' }, credit: rs('0.00') },
        ],
      }),
    ).rejects.toThrow(ValidationError);
    expect(
      await db.knex('ledger_journals').where('reference', 'like', 't:unbal%').orWhere('reference', 'like', 't:one%'),
    ).toHaveLength(0);
  });

  it('refuses to overdraw and leaves no trace of the refused posting', async () => {
    const a = await createUser(db.knex, { balance: '5.00' });
    const b = await createUser(db.knex);
    await expect(transfer('t:overdraw', a.id, b.id, '5.01')).rejects.toThrow(InsufficientFundsError);
    expect(await db.knex('ledger_journals').where({ reference: 't:overdraw' })).toHaveLength(0);
    await transfer('t:overdraw', a.id, b.id, '5.00'); // the reference is free for a valid retry
    expect((await walletOf(db.knex, a.id)).balance).toBe('0.00');
  });

  it('names the missing user when an account does not exist, whichever side it is on, and writes nothing', async () => {
    const a = await createUser(db.knex, { balance: '5.00' });
    const missing = a.id + 1000;
    for (const [ref, from, to] of [
      ['t:missing-to', a.id, missing],
      ['t:missing-from', missing, a.id],
    ] as const) {
      const err = await transfer(ref, from, to, '1.00').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NotFoundError);
      expect((err as NotFoundError).details).toEqual({ userId: missing });
      expect(await db.knex('ledger_journals').where({ reference: ref })).toHaveLength(0);
    }
    expect((await walletOf(db.knex, a.id)).balance).toBe('5.00');
  });

  it('applies KYC and active rules only where asked', async () => {
    const unverified = await createUser(db.knex, { balance: '50.00', kyc: 'pending' });
    const inactive = await createUser(db.knex, { balance: '50.00', active: false });
    const b = await createUser(db.knex);
    await expect(transfer('t:kyc', unverified.id, b.id, '1.00', { requireKyc: true })).rejects.toThrow(
      KycRequiredError,
    );
    await expect(transfer('t:inactive', inactive.id, b.id, '1.00', { requireActive: true })).rejects.toThrow(
      AccountInactiveError,
    );
    await transfer('t:kyc-not-needed', unverified.id, b.id, '1.00', { requireActive: true });
  });

  it('enforces daily and monthly limits on outgoing money, counting active holds', async () => {
    const a = await createUser(db.knex, { balance: '1000.00', dailyLimit: '100.00', monthlyLimit: '150.00' });
    const b = await createUser(db.knex);
    const limited = { countTowardLimits: true };
    await transfer('t:lim1', a.id, b.id, '60.00', limited);
    await ledger.reserve({ reference: 'h:lim', userId: a.id, amount: rs('30.00'), rules: limited });
    await expect(transfer('t:lim2', a.id, b.id, '10.01', limited)).rejects.toThrow(LimitExceededError);
    await transfer('t:lim3', a.id, b.id, '10.00', limited); // exactly at the daily limit
    // Money that does not count toward limits (e.g. fees, internal moves) is not bounded.
    await transfer('t:unlimited', a.id, b.id, '200.00');
    await ledger.release('h:lim', 'test');
    const usage = await ledger.usage(a.id);
    expect(usage.today).toBe(rs('70.00'));
  });

  it('keeps usage as counters: a hold placed on an earlier day leaves today alone when it resolves', async () => {
    const a = await createUser(db.knex, { balance: '1000.00' });
    const b = await createUser(db.knex);
    const limited = { countTowardLimits: true };
    await ledger.reserve({ reference: 'h:days', userId: a.id, amount: rs('25.00'), rules: limited });
    // Date the hold and its count one day back, as if it had been placed yesterday.
    const now = new Date();
    const yesterday = new Date(now.getTime() - 86_400_000);
    await db.knex('holds').where({ reference: 'h:days' }).update({ created_at: yesterday });
    await db
      .knex('users')
      .where({ id: a.id })
      .update({ limit_day: istDate(yesterday), limit_month: istMonthStart(yesterday) });
    await expectLedgerInvariants(db.knex);

    await transfer('t:days', a.id, b.id, '40.00', limited);
    const sameMonth = istMonthStart(yesterday) === istMonthStart(now);
    expect(await ledger.usage(a.id)).toEqual({ today: rs('40.00'), month: rs(sameMonth ? '65.00' : '40.00') });
    await ledger.release('h:days', 'test');
    expect(await ledger.usage(a.id)).toEqual({ today: rs('40.00'), month: rs('40.00') });
    expect((await ledger.usage(a.id, new Date(now.getTime() + 86_400_000))).today).toBe(rs('0.00'));
    await expect(ledger.usage(a.id, yesterday)).rejects.toThrow(ValidationError); // no history kept
  });

  it('moves a captured hold from the day it was placed to the day of its capture', async () => {
    const a = await createUser(db.knex, { balance: '1000.00', dailyLimit: '100.00' });
    const limited = { countTowardLimits: true };
    await ledger.reserve({ reference: 'h:cap', userId: a.id, amount: rs('90.00'), rules: limited });
    await ledger.capture({
      holdReference: 'h:cap',
      reference: 'c:cap',
      amount: rs('30.00'),
      to: { system: 'RECHARGE_PAYABLE' },
      ledgerType: 'Recharge',
    });
    expect(await ledger.usage(a.id)).toEqual({ today: rs('30.00'), month: rs('30.00') });
    await transfer('t:after-cap', a.id, (await createUser(db.knex)).id, '70.00', limited); // exactly the rest
    await expect(
      ledger.reserve({ reference: 'h:over', userId: a.id, amount: rs('0.01'), rules: limited }),
    ).rejects.toThrow(LimitExceededError);
  });

  it('the checker finds limit counters that disagree with the entries', async () => {
    const a = await createUser(db.knex, { balance: '100.00' });
    await transfer('t:tamper', a.id, (await createUser(db.knex)).id, '10.00', { countTowardLimits: true });
    await db.knex('users').where({ id: a.id }).decrement('limit_day_used', 1);
    const report = await ledger.checkInvariants();
    const check = report.checks.find((c) => c.id === 'limit_counters')!;
    expect(check.ok).toBe(false);
    expect(check.offending).toEqual([expect.objectContaining({ user_id: a.id, day_from_entries: '10.00' })]);
    await db.knex('users').where({ id: a.id }).increment('limit_day_used', 1);
  });

  it('the checker names a dropped immutability, timeline and report trigger, and only those', async () => {
    const own = await createTestDatabase();
    try {
      await own.knex.raw('DROP TRIGGER ledger_entries_no_delete');
      await own.knex.raw('DROP TRIGGER payment_records_timeline_start');
      await own.knex.raw('DROP TRIGGER payment_records_settled_update');
      const report = await createLedger(own.knex).checkInvariants();
      const failed = report.checks.filter((c) => !c.ok);
      expect(failed.map((c) => [c.id, c.offending])).toEqual([
        ['immutability', [{ missing_trigger: 'ledger_entries_no_delete' }]],
        ['payment_timelines', [{ missing_trigger: 'payment_records_timeline_start' }]],
        ['report_triggers', [{ missing_trigger: 'payment_records_settled_update' }]],
      ]);
    } finally {
      await own.drop();
    }
  });

  it('enforces the monthly limit independently of the daily one', async () => {
    const a = await createUser(db.knex, { balance: '1000.00', dailyLimit: '500.00', monthlyLimit: '50.00' });
    const b = await createUser(db.knex);
    await expect(transfer('t:month', a.id, b.id, '50.01', { countTowardLimits: true })).rejects.toThrow(/monthly/);
  });
});

describe('holds', () => {
  it('reserve reduces available, capture posts it, release frees it', async () => {
    const a = await createUser(db.knex, { balance: '300.00' });
    await ledger.reserve({ reference: 'h:1', userId: a.id, amount: rs('100.00') });
    expect(await walletOf(db.knex, a.id)).toEqual({ balance: '300.00', held: '100.00' });
    await expect(ledger.reserve({ reference: 'h:too-much', userId: a.id, amount: rs('200.01') })).rejects.toThrow(
      InsufficientFundsError,
    );
    const posted = await ledger.capture({
      holdReference: 'h:1',
      reference: 'c:1',
      to: { system: 'RECHARGE_PAYABLE' },
      ledgerType: 'Recharge',
    });
    expect(posted.lines.find((l) => 'user' in l.account)!.balanceAfter).toBe(rs('200.00'));
    expect(await walletOf(db.knex, a.id)).toEqual({ balance: '200.00', held: '0.00' });
    await ledger.reserve({ reference: 'h:2', userId: a.id, amount: rs('50.00') });
    await ledger.release('h:2', 'provider said failed');
    expect(await walletOf(db.knex, a.id)).toEqual({ balance: '200.00', held: '0.00' });
  });

  it('partial capture posts the captured part and releases the rest', async () => {
    const a = await createUser(db.knex, { balance: '300.00' });
    await ledger.reserve({ reference: 'h:partial', userId: a.id, amount: rs('100.00') });
    await ledger.capture({
      holdReference: 'h:partial',
      reference: 'c:partial',
      amount: rs('60.00'),
      to: { system: 'BBPS_PAYABLE' },
      ledgerType: 'Bill',
    });
    expect(await walletOf(db.knex, a.id)).toEqual({ balance: '240.00', held: '0.00' });
    const hold = await db.knex('holds').where({ reference: 'h:partial' }).first();
    expect(hold).toMatchObject({ status: 'captured', captured_amount: '60.00' });
  });

  it('resolves once: repeats return the earlier outcome, the opposite one fails clearly', async () => {
    const a = await createUser(db.knex, { balance: '100.00' });
    const reserve = () => ledger.reserve({ reference: 'h:once', userId: a.id, amount: rs('40.00') });
    const first = await reserve();
    expect((await reserve()).id).toBe(first.id); // idempotent reserve
    await expect(ledger.reserve({ reference: 'h:once', userId: a.id, amount: rs('41.00') })).rejects.toThrow(
      ReferenceConflictError,
    );
    const cap = () =>
      ledger.capture({
        holdReference: 'h:once',
        reference: 'c:once',
        to: { system: 'PAYOUT_CLEARING' },
        ledgerType: 'Transfer',
      });
    const c1 = await cap();
    const c2 = await cap();
    expect(c2.replayed).toBe(true);
    expect(c2.journalId).toBe(c1.journalId);
    await expect(ledger.release('h:once', 'too late')).rejects.toThrow(HoldAlreadyResolvedError);
    await expect(
      ledger.capture({
        holdReference: 'h:once',
        reference: 'c:once-other',
        to: { system: 'PAYOUT_CLEARING' },
        ledgerType: 'Transfer',
      }),
    ).rejects.toThrow(HoldAlreadyResolvedError);

    await ledger.reserve({ reference: 'h:released', userId: a.id, amount: rs('10.00') });
    const r1 = await ledger.release('h:released', 'failed');
    const r2 = await ledger.release('h:released', 'failed again');
    expect(r2.status).toBe('released');
    expect(r2.releaseReason).toBe(r1.releaseReason);
    await expect(
      ledger.capture({
        holdReference: 'h:released',
        reference: 'c:released',
        to: { system: 'PAYOUT_CLEARING' },
        ledgerType: 'Transfer',
      }),
    ).rejects.toThrow(HoldAlreadyResolvedError);
    expect((await walletOf(db.knex, a.id)).balance).toBe('60.00');
  });

  it('a capture cannot exceed its hold', async () => {
    const a = await createUser(db.knex, { balance: '100.00' });
    await ledger.reserve({ reference: 'h:cap-over', userId: a.id, amount: rs('10.00') });
    await expect(
      ledger.capture({
        holdReference: 'h:cap-over',
        reference: 'c:cap-over',
        amount: rs('10.01'),
        to: { system: 'FEE_INCOME' },
        ledgerType: 'Transfer',
      }),
    ).rejects.toThrow(ValidationError);
    await ledger.release('h:cap-over', 'cleanup');
  });
});

describe('refunds', () => {
  it('moves money back along the original, at most the original amount, each reference once', async () => {
    const a = await createUser(db.knex, { balance: '100.00' });
    await ledger.reserve({ reference: 'h:refund', userId: a.id, amount: rs('80.00') });
    await ledger.capture({
      holdReference: 'h:refund',
      reference: 'c:refund',
      to: { system: 'RECHARGE_PAYABLE' },
      ledgerType: 'Recharge',
    });
    const r1 = await ledger.refund({ reference: 'r:1', originalReference: 'c:refund', amount: rs('30.00') });
    expect(r1.ledgerType).toBe('Refund');
    expect((await walletOf(db.knex, a.id)).balance).toBe('50.00');
    expect(
      (await ledger.refund({ reference: 'r:1', originalReference: 'c:refund', amount: rs('30.00') })).replayed,
    ).toBe(true);
    await expect(
      ledger.refund({ reference: 'r:2', originalReference: 'c:refund', amount: rs('50.01') }),
    ).rejects.toThrow(/exceed/);
    await ledger.refund({ reference: 'r:3', originalReference: 'c:refund', amount: rs('50.00') });
    expect((await walletOf(db.knex, a.id)).balance).toBe('100.00');
    await expect(
      ledger.refund({ reference: 'r:4', originalReference: 'c:refund', amount: rs('0.01') }),
    ).rejects.toThrow(/exceed/);
    const stmt = await db.knex('transactions').where({ reference_number: 'r:3' }).first();
    expect(stmt).toMatchObject({
      transaction_type: 'refund',
      ledger_type: 'Refund',
      credit_amount: '50.00',
      opening_balance: '50.00',
      closing_balance: '100.00',
    });
  });

  it('a full refund of a multi-line posting reverses every line', async () => {
    const a = await createUser(db.knex, { balance: '100.00' });
    const b = await createUser(db.knex);
    await ledger.post({
      reference: 't:fee',
      ledgerType: 'Transfer',
      lines: [
        { account: { user: a.id }, debit: rs('12.00') },
        { account: { user: b.id }, credit: rs('10.00') },
        { account: { system: 'FEE_INCOME' }, credit: rs('2.00') },
      ],
    });
    await expect(
      ledger.refund({ reference: 'r:fee-partial', originalReference: 't:fee', amount: rs('1.00') }),
    ).rejects.toThrow(ValidationError);
    await ledger.refund({ reference: 'r:fee', originalReference: 't:fee' });
    expect((await walletOf(db.knex, a.id)).balance).toBe('100.00');
    expect((await walletOf(db.knex, b.id)).balance).toBe('0.00');
  });
});
