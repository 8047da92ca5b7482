/**
 * Model-based test: random sequences of postings, holds, captures, releases and replays run
 * against real MariaDB and against a tiny in-memory reference ledger. After every step the
 * wallets must match the model and the invariant checker must pass.
 */
import fc from 'fast-check';
import { createLedger, Ledger } from '../../db/ledger';
import { INVARIANT_IDS } from '../../db/ledger/invariants';
import { REPORT_CHECKS } from '../../db/reports/invariants';
import { HoldAlreadyResolvedError, InsufficientFundsError } from '../../domain/errors';
import { Paise, paise } from '../../domain/money';
import { createTestDatabase, TestDatabase } from '../support/db';
import { createUser, expectLedgerInvariants, walletOf } from '../support/ledger';
import { fromDecimal } from '../../db/money';
import { istDate } from '../../domain/calendar';

interface ModelHold {
  ref: string;
  user: number;
  amount: number;
  status: 'active' | 'captured' | 'released';
  counted: boolean;
  captureRef?: string;
  capturedAmount?: number;
}
interface Model {
  wallets: Map<number, { balance: number; held: number }>;
  /** Outgoing money counted toward limits, per user (every step runs on one IST day). */
  used: Map<number, number>;
  holds: ModelHold[];
  posted: Array<{ ref: string; from: number; to: number; amount: number; counted: boolean }>;
}
interface Real {
  ledger: Ledger;
  users: number[];
  run: number;
  seq: { n: number };
}

const available = (m: Model, u: number) => m.wallets.get(u)!.balance - m.wallets.get(u)!.held;
const count = (m: Model, u: number, amount: number) => m.used.set(u, (m.used.get(u) ?? 0) + amount);
const transferLines = (from: number, to: number, amount: number, counted: boolean) => [
  { account: { user: from }, debit: paise(amount), rules: { countTowardLimits: counted } },
  from === to
    ? { account: { system: 'FEE_INCOME' as const }, credit: paise(amount) }
    : { account: { user: to }, credit: paise(amount) },
];

let steps = 0;
async function verify(m: Model, r: Real): Promise<void> {
  steps++;
  for (const u of r.users) {
    const w = await walletOf(db.knex, u);
    expect({ user: u, balance: fromDecimal(w.balance), held: fromDecimal(w.held) }).toEqual({
      user: u,
      ...m.wallets.get(u)!,
    });
    // The counters' own day is the model's only while the run stays inside one IST day.
    if (istDate(new Date()) === runDay) {
      const used = m.used.get(u) ?? 0;
      expect({ user: u, ...(await r.ledger.usage(u)) }).toEqual({ user: u, today: used, month: used });
    }
  }
  await expectLedgerInvariants(db.knex, LEDGER_ONLY);
}

/** The model moves money but makes no payments: the report rollups' checks run once, at the end. */
const LEDGER_ONLY = INVARIANT_IDS.filter((id) => !REPORT_CHECKS.some((c) => c.id === id));

class Transfer implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly from: number,
    readonly to: number,
    readonly amount: number,
    readonly counted: boolean,
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const [from, to] = [r.users[this.from]!, r.users[this.to]!];
    const ref = `m${r.run}:p${r.seq.n++}`;
    const lines = transferLines(from, to, this.amount, this.counted);
    const attempt = r.ledger.post({ reference: ref, ledgerType: 'Transfer', lines });
    if (available(m, from) >= this.amount) {
      await attempt;
      m.wallets.get(from)!.balance -= this.amount;
      if (from !== to) m.wallets.get(to)!.balance += this.amount;
      if (this.counted) count(m, from, this.amount);
      m.posted.push({ ref, from, to, amount: this.amount, counted: this.counted });
    } else {
      await expect(attempt).rejects.toBeInstanceOf(InsufficientFundsError);
    }
    await verify(m, r);
  }
  toString = () => `Transfer(${this.from}→${this.to}, ${this.amount}${this.counted ? ', counted' : ''})`;
}

class Replay implements fc.AsyncCommand<Model, Real> {
  constructor(readonly pick: number) {}
  check = (m: Readonly<Model>) => m.posted.length > 0;
  async run(m: Model, r: Real) {
    const p = m.posted[this.pick % m.posted.length]!;
    const lines = transferLines(p.from, p.to, p.amount, p.counted);
    const result = await r.ledger.post({ reference: p.ref, ledgerType: 'Transfer', lines });
    expect(result.replayed).toBe(true);
    await verify(m, r);
  }
  toString = () => `Replay(${this.pick})`;
}

class Reserve implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly user: number,
    readonly amount: number,
    readonly counted: boolean,
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const user = r.users[this.user]!;
    const ref = `m${r.run}:h${r.seq.n++}`;
    const rules = { countTowardLimits: this.counted };
    const attempt = r.ledger.reserve({ reference: ref, userId: user, amount: paise(this.amount), rules });
    if (available(m, user) >= this.amount) {
      await attempt;
      m.wallets.get(user)!.held += this.amount;
      if (this.counted) count(m, user, this.amount);
      m.holds.push({ ref, user, amount: this.amount, status: 'active', counted: this.counted });
    } else {
      await expect(attempt).rejects.toBeInstanceOf(InsufficientFundsError);
    }
    await verify(m, r);
  }
  toString = () => `Reserve(${this.user}, ${this.amount}${this.counted ? ', counted' : ''})`;
}

class Capture implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly pick: number,
    readonly fraction: number,
  ) {}
  check = (m: Readonly<Model>) => m.holds.length > 0;
  async run(m: Model, r: Real) {
    const h = m.holds[this.pick % m.holds.length]!;
    const amount = Math.max(1, Math.floor((h.amount * this.fraction) / 100));
    const captureRef = h.captureRef ?? `${h.ref}:capture`;
    const attempt = r.ledger.capture({
      holdReference: h.ref,
      reference: captureRef,
      amount: paise(h.status === 'captured' ? h.capturedAmount! : amount),
      to: { system: 'RECHARGE_PAYABLE' },
      ledgerType: 'Recharge',
    });
    if (h.status === 'active') {
      await attempt;
      const w = m.wallets.get(h.user)!;
      w.held -= h.amount;
      w.balance -= amount;
      if (h.counted) count(m, h.user, amount - h.amount); // counted when captured, no longer as placed
      Object.assign(h, { status: 'captured', captureRef, capturedAmount: amount });
    } else if (h.status === 'captured') {
      expect((await attempt).replayed).toBe(true); // the same capture again: the earlier outcome
    } else {
      await expect(attempt).rejects.toBeInstanceOf(HoldAlreadyResolvedError);
    }
    await verify(m, r);
  }
  toString = () => `Capture(${this.pick}, ${this.fraction}%)`;
}

class Release implements fc.AsyncCommand<Model, Real> {
  constructor(readonly pick: number) {}
  check = (m: Readonly<Model>) => m.holds.length > 0;
  async run(m: Model, r: Real) {
    const h = m.holds[this.pick % m.holds.length]!;
    const attempt = r.ledger.release(h.ref, 'model');
    if (h.status === 'captured') {
      await expect(attempt).rejects.toBeInstanceOf(HoldAlreadyResolvedError);
    } else {
      await attempt;
      if (h.status === 'active') {
        m.wallets.get(h.user)!.held -= h.amount;
        if (h.counted) count(m, h.user, -h.amount);
      }
      h.status = 'released';
    }
    await verify(m, r);
  }
  toString = () => `Release(${this.pick})`;
}

let db: TestDatabase;
const runDay = istDate(new Date());
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

const USERS = 3;
const amount = fc.integer({ min: 1, max: 6_000 }); // paise

it('random ledger operations match an in-memory model and keep every invariant', async () => {
  let run = 0;
  const ledger = createLedger(db.knex);
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: USERS, maxLength: USERS }),
      fc.commands(
        [
          fc
            .tuple(fc.nat(USERS - 1), fc.nat(USERS - 1), amount, fc.boolean())
            .map(([f, t, a, c]) => new Transfer(f, t, a, c)),
          fc.nat().map((p) => new Replay(p)),
          fc.tuple(fc.nat(USERS - 1), amount, fc.boolean()).map(([u, a, c]) => new Reserve(u, a, c)),
          fc.tuple(fc.nat(), fc.integer({ min: 1, max: 100 })).map(([p, f]) => new Capture(p, f)),
          fc.nat().map((p) => new Release(p)),
        ],
        { maxCommands: 40, size: 'max' },
      ),
      async (openings, commands) => {
        run++;
        const users: number[] = [];
        const wallets = new Map<number, { balance: number; held: number }>();
        for (const o of openings) {
          const rupees = `${Math.floor(o / 100)}.${String(o % 100).padStart(2, '0')}`;
          const u = await createUser(db.knex, { balance: rupees });
          users.push(u.id);
          wallets.set(u.id, { balance: o as Paise, held: 0 });
        }
        await fc.asyncModelRun(
          () => ({
            model: { wallets, used: new Map(), holds: [], posted: [] },
            real: { ledger, users, run, seq: { n: 0 } },
          }),
          commands,
        );
      },
    ),
    { numRuns: 60 },
  );
  // Guards against a generator that silently produces nothing to check.
  expect(steps).toBeGreaterThan(500);
  await expectLedgerInvariants(db.knex);
  // ~40 s alone; beside the chaos run and the fuzzer on 2 cores it has taken 116 s.
}, 300_000);
