/**
 * A top-up's rows outside the ledger: the read-model record, PhonePe's gateway row in the seed
 * `payments` table, and the user's pending statement row (`transactions`, type deposit) that
 * the credit posting later completes with its opening and closing balances.
 */
import type { Knex } from 'knex';
import { istDate } from '../domain/calendar';
import { BusinessRuleError } from '../domain/errors';
import { Paise } from '../domain/money';
import { workflowIdFor } from '../domain/payments';
import { toDecimal } from './money';
import { getPayment, insertPaymentRecord } from './payments';
import { inSqlTransaction, insertRow, isDuplicateKey, selectRows, updateWhere } from './sql';

/**
 * The top-up's three rows, in one transaction; nothing when its record exists (a re-run). Plain
 * SQL (db/sql.ts): the top-up's first step, which the API's answer waits for, ran four of knex's
 * builders and its transaction for these statements.
 */
export async function createTopUpRecords(knex: Knex, t: { paymentId: string; userId: number; amount: Paise }) {
  const recorded = async () =>
    (await selectRows(knex, 'SELECT id FROM payment_records WHERE id = ?', [t.paymentId])).length > 0;
  if (await recorded()) return;
  await inSqlTransaction(knex, async (trx) => {
    const [user] = await selectRows<{ user_code: string | null }>(trx, 'SELECT user_code FROM users WHERE id = ?', [
      t.userId,
    ]);
    const transactionId = await insertRow(trx, 'transactions', {
      user_id: t.userId,
      transaction_type: 'deposit',
      amount: toDecimal(t.amount),
      reference_number: t.paymentId,
      payment_method: 'phonepe',
      status: 'pending',
      ledger_type: 'TopIn',
      ledger_date: istDate(new Date()),
      user_code: user?.user_code ?? null,
      remarks: 'Top-up via PhonePe',
    });
    const gatewayPaymentId = await insertRow(trx, 'payments', {
      user_id: t.userId,
      transaction_id: transactionId,
      phonepe_merchant_transaction_id: t.paymentId,
      amount: toDecimal(t.amount),
      status: 'pending',
      // NOT NULL in the seed schema, yet unknown until PhonePe reports how the customer paid.
      payment_method: 'upi',
    });
    await insertPaymentRecord(trx, {
      id: t.paymentId,
      kind: 'topup',
      userId: t.userId,
      amount: t.amount,
      workflowId: workflowIdFor('topup', t.paymentId),
      transactionId,
      gatewayPaymentId,
    });
  }).catch(async (err: unknown) => {
    // Two attempts past the check (one that outlived its timeout beside its retry): the statement
    // line's unique reference makes the second wait for the first, and fail only once the first
    // has committed, record and all. The second's rows are rolled back; its work is done.
    if (!(isDuplicateKey(err) && (await recorded()))) throw err;
  });
}

/** PhonePe's payment modes, folded into the seed's payment_method enum. */
function methodFor(paymentMode: string | undefined): 'upi' | 'card' | 'netbanking' | 'wallet' | undefined {
  if (!paymentMode) return undefined;
  const m = paymentMode.toUpperCase();
  if (m.startsWith('UPI')) return 'upi';
  if (m.includes('CARD')) return 'card';
  if (m.includes('NET')) return 'netbanking';
  if (m.includes('WALLET')) return 'wallet';
  return undefined;
}

export async function markGatewayPaymentSucceeded(
  knex: Knex,
  p: { paymentId: string; providerTransactionId?: string; paymentMode?: string; response?: unknown },
): Promise<void> {
  const method = methodFor(p.paymentMode);
  await updateWhere(
    knex,
    'payments',
    { phonepe_merchant_transaction_id: p.paymentId },
    {
      status: 'success',
      completed_at: new Date(),
      phonepe_transaction_id: p.providerTransactionId || undefined,
      payment_method: method,
      gateway_response: p.response ? JSON.stringify(p.response) : undefined,
    },
  );
}

export async function markTopUpFailed(knex: Knex, p: { paymentId: string; reason: string }): Promise<void> {
  await knex.transaction(async (trx) => {
    await trx('payments')
      .where({ phonepe_merchant_transaction_id: p.paymentId, status: 'pending' })
      .update({ status: 'failed', completed_at: new Date() });
    await trx('transactions')
      .where({ reference_number: p.paymentId, status: 'pending' })
      .update({ status: 'failed', failure_reason: p.reason, processed_at: new Date() });
  });
}

/**
 * The user a top-up's credit goes to and its pending statement row, read from its record; a
 * top-up recorded FAILED is refused. FAILED is final: what PhonePe reports paid after it is a
 * late event, parked for finance (`lateEventConcern`), and a workflow reset by an operator that
 * finds the order paid must not credit the wallet as well (finance could credit it again, and
 * the read model would say FAILED over a credited wallet).
 */
export async function topUpToCredit(knex: Knex, paymentId: string): Promise<{ transactionId: number; userId: number }> {
  const rec = await getPayment(knex, paymentId);
  if (rec.status === 'FAILED')
    throw new BusinessRuleError(
      'topup_failed',
      `top-up ${paymentId} is recorded FAILED (${rec.failureReason ?? 'no reason recorded'}): a payment PhonePe reports for it now is settled by finance`,
      { paymentId },
    );
  return { transactionId: rec.transactionId!, userId: rec.userId };
}

/**
 * Top-up orders of `userId` the customer could still pay (created within the checkout window,
 * not yet settled), other than `except`. Orders past the window may stay open while PhonePe is
 * asked about them, but their page has expired, so they do not count.
 */
export async function openTopUpOrders(
  knex: Knex,
  q: { userId: number; windowSeconds: number; except: string; now?: Date },
): Promise<number> {
  const since = new Date((q.now ?? new Date()).getTime() - q.windowSeconds * 1000);
  const [row] = await selectRows<{ n: number }>(
    knex,
    `SELECT COUNT(*) AS n FROM payment_records
      WHERE user_id = ? AND created_at > ? AND kind = 'topup' AND status IN ('CREATED', 'AWAITING_PAYMENT') AND id <> ?`,
    [q.userId, since, q.except],
  );
  return Number(row!.n);
}
