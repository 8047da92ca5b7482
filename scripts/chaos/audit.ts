/**
 * What a chaos run proves, checked after every payment has settled: nothing lost, nothing
 * doubled. Each check is independent of the engine's own code paths where it can be: plain SQL
 * over the ledger, the simulators' record of what each provider did, and the clients' answers.
 */
import type { Knex } from 'knex';
import { createLedger } from '../../db/ledger';
import { fromDecimal } from '../../db/money';
import { paymentIdOfMerchantOrder } from '../../domain/payments';
import type { Answered } from './workload';

export interface Violation {
  check: string;
  detail: string;
}

const SETTLED = ['COMPLETED', 'FAILED', 'REVERSED'];

async function rows<T = Record<string, any>>(
  knex: Knex,
  sql: string,
  bindings: readonly Knex.Value[] = [],
): Promise<T[]> {
  const [r] = await knex.raw(sql, bindings);
  return r as T[];
}

export async function audit(knex: Knex, answered: Answered[], simUrl: string): Promise<Violation[]> {
  const v: Violation[] = [];
  const add = (check: string, detail: string) => v.push({ check, detail });

  // 1. Every payment ended, or waits for an operator with a reason on its timeline.
  const open = await rows(
    knex,
    `SELECT p.id, p.status, (SELECT note FROM payment_events e WHERE e.payment_id = p.id ORDER BY e.id DESC LIMIT 1) AS note
    FROM payment_records p WHERE p.status NOT IN ('COMPLETED', 'FAILED', 'REVERSED')`,
  );
  for (const p of open)
    if (p.status !== 'NEEDS_ATTENTION' || !p.note)
      add('every payment settled', `${p.id} is ${p.status}${p.note ? '' : ' without a reason'}`);

  // 2. One payment per idempotency key, and every payment belongs to a key a client sent.
  for (const a of answered)
    if (new Set(a.paymentIds).size > 1)
      add('one payment per key', `${a.key} answered ${[...new Set(a.paymentIds)].join(', ')}`);
  const keyed = await rows(
    knex,
    `SELECT resource_id, COUNT(*) AS n FROM idempotency_keys GROUP BY resource_id HAVING n > 1`,
  );
  for (const k of keyed) add('one payment per key', `${k.resource_id} is claimed by ${k.n} keys`);
  const unkeyed = await rows(
    knex,
    `SELECT p.id FROM payment_records p LEFT JOIN idempotency_keys k ON k.resource_id = p.id WHERE k.id IS NULL`,
  );
  for (const p of unkeyed) add('one payment per key', `${p.id} has no idempotency key`);
  const known = new Set((await rows(knex, 'SELECT id FROM payment_records')).map((r) => r.id));
  for (const a of answered)
    for (const id of a.paymentIds)
      if (!known.has(id)) add('answered payments exist', `${a.key} was answered ${id}, which has no record`);

  // 3. The engine's own invariant checker.
  const invariants = await createLedger(knex).checkInvariants();
  for (const c of invariants.checks.filter((x) => !x.ok))
    add(`invariant ${c.id}`, JSON.stringify(c.offending.slice(0, 3)));

  // 4. Independent SQL over the ledger.
  for (const j of await rows(
    knex,
    'SELECT journal_id, SUM(debit) AS d, SUM(credit) AS c FROM ledger_entries GROUP BY journal_id HAVING SUM(debit) <> SUM(credit)',
  )) {
    add('journals balance', `journal ${j.journal_id}: debits ${j.d} ≠ credits ${j.c}`);
  }
  const wallets = await rows(
    knex,
    `SELECT u.id, u.wallet_balance, u.held_balance,
      COALESCE((SELECT SUM(e.credit - e.debit) FROM ledger_entries e WHERE e.user_id = u.id), 0) AS entries,
      COALESCE((SELECT SUM(h.amount) FROM holds h WHERE h.user_id = u.id AND h.status = 'active'), 0) AS holds
    FROM users u`,
  );
  for (const w of wallets) {
    // In paise, parsed digit by digit: 2.07 * 100 in floating point is 206.99999999999997.
    if (fromDecimal(w.wallet_balance) !== fromDecimal(w.entries))
      add('cached balance = entries', `user ${w.id}: ${w.wallet_balance} vs ${w.entries}`);
    if (fromDecimal(w.held_balance) !== fromDecimal(w.holds))
      add('held = active holds', `user ${w.id}: ${w.held_balance} vs ${w.holds}`);
    if (fromDecimal(w.wallet_balance) < 0) add('no negative wallet', `user ${w.id}: ${w.wallet_balance}`);
  }
  const holding = await rows(
    knex,
    `SELECT p.id, p.status FROM payment_records p JOIN holds h ON h.reference = CONCAT(p.kind, ':', p.id, ':hold')
    WHERE h.status = 'active' AND p.status IN ('COMPLETED', 'FAILED', 'REVERSED')`,
  );
  for (const p of holding) add('no settled payment holds money', `${p.id} is ${p.status} with an active hold`);

  // 5. What each provider did, against what our books say.
  const journals = new Set((await rows(knex, 'SELECT reference FROM ledger_journals')).map((r) => r.reference));
  const payments = await rows(knex, 'SELECT id, kind, status, amount FROM payment_records');
  const phonepeOrders = (await (await fetch(`${simUrl}/phonepe/__sim/orders`)).json()) as Array<{
    merchantOrderId: string;
    state: string;
    paidAmount?: number;
    amount: number;
  }>;
  const paidOrders = new Map<string, number>();
  for (const o of phonepeOrders)
    if (o.state === 'COMPLETED')
      paidOrders.set(
        paymentIdOfMerchantOrder(o.merchantOrderId),
        (paidOrders.get(paymentIdOfMerchantOrder(o.merchantOrderId)) ?? 0) + 1,
      );
  const simOf = { recharge: 'recharge', bill: 'bbps', payout: 'payout' } as Record<string, string>;
  for (const p of payments) {
    const captured = journals.has(`${p.kind}:${p.id}:capture`);
    const reversed = journals.has(`${p.kind}:${p.id}:reversal`);
    if (p.kind === 'topup') {
      const paid = paidOrders.get(p.id) ?? 0;
      const credited = journals.has(`topup:${p.id}:credit`);
      if (paid > 1) add('provider: top-up paid once', `${p.id}: ${paid} PhonePe orders paid`);
      if (paid > 0 && !credited && p.status !== 'NEEDS_ATTENTION')
        add('provider: top-ups PhonePe collected are credited', `${p.id} is ${p.status}`);
      if (paid === 0 && credited) add('provider: nothing credited that PhonePe did not collect', p.id);
      continue;
    }
    if (p.kind === 'transfer') {
      const posted = journals.has(`transfer:${p.id}:post`);
      if (posted !== (p.status === 'COMPLETED'))
        add('transfers: COMPLETED exactly when posted', `${p.id} is ${p.status}, posted: ${posted}`);
      continue;
    }
    const sim = simOf[p.kind];
    if (!sim) continue;
    const res = await fetch(`${simUrl}/${sim}/__sim/transactions/${encodeURIComponent(p.id)}`);
    if (res.status === 404) {
      if (captured || (p.status !== 'FAILED' && p.status !== 'NEEDS_ATTENTION'))
        add('provider: never sent, never captured', `${p.id} is ${p.status}, captured: ${captured}`);
      continue;
    }
    const t = (await res.json()) as { phase: string; createCount: number };
    if (t.createCount > 1) add('provider: each order executed once', `${p.id} executed ${t.createCount} times`);
    const ok =
      t.phase === 'success'
        ? p.status === 'COMPLETED' && captured && !reversed
        : t.phase === 'failure'
          ? p.status === 'FAILED' && !captured
          : t.phase === 'reversed'
            ? (p.status === 'REVERSED' && captured && reversed) || (p.status === 'FAILED' && !captured)
            : p.status === 'NEEDS_ATTENTION' || !SETTLED.includes(p.status);
    if (!ok)
      add(
        'provider: our books follow what the provider did',
        `${p.id} (${p.kind}): provider ${t.phase}, ours ${p.status}, captured ${captured}, reversed ${reversed}`,
      );
  }
  return v;
}

/**
 * Proves the audit can fail: inside a transaction that is rolled back, it tampers with the
 * books in four ways a bug could, and each must be caught by the check meant for it.
 */
export async function auditSelfTest(
  knex: Knex,
  answered: Answered[],
  simUrl: string,
): Promise<{ caught: string[]; missed: string[] }> {
  const trx = await knex.transaction();
  try {
    const payer = await trx('users').where('username', 'like', 'chaos_payer_%').first('id');
    await trx('users').where({ id: payer.id }).increment('wallet_balance', 0.01);
    const failed = await trx('payment_records')
      .whereIn('kind', ['recharge', 'bill', 'payout'])
      .where({ status: 'FAILED' })
      .whereNot('failure_reason', 'like', '%insufficient%')
      .first('id', 'kind');
    const completed = await trx('payment_records').where({ kind: 'recharge', status: 'COMPLETED' }).first('id');
    if (failed)
      await trx('holds')
        .where({ reference: `${failed.kind}:${failed.id}:hold` })
        .update({ status: 'active' });
    if (completed) await trx('payment_records').where({ id: completed.id }).update({ status: 'FAILED' });
    const doubled = answered.find((a) => a.paymentIds.length > 0);
    const tampered = doubled
      ? [...answered.filter((a) => a !== doubled), { ...doubled, paymentIds: [...doubled.paymentIds, 'pay_ANOTHER'] }]
      : answered;
    const found = new Set((await audit(trx as unknown as Knex, tampered, simUrl)).map((x) => x.check));
    const expected = [
      'cached balance = entries',
      'one payment per key',
      ...(failed ? ['no settled payment holds money', 'held = active holds'] : []),
      ...(completed ? ['provider: our books follow what the provider did'] : []),
    ];
    return { caught: expected.filter((e) => found.has(e)), missed: expected.filter((e) => !found.has(e)) };
  } finally {
    await trx.rollback();
  }
}
