/** Bills a user fetched, and which payment pays each (migration 006 explains why). */
import type { Knex } from 'knex';
import { ConflictError, NotFoundError } from '../domain/errors';
import type { Bill, BillFetch } from '../providers/contracts';
import { fromDecimal, toDecimal } from './money';
import { selectRows, update } from './sql';

export interface StoredBillFetch {
  refId: string;
  userId: number;
  billerId: string;
  status: BillFetch['status'];
  bill: Bill | null;
  failureReason: string | null;
  paymentId: string | null;
}

const json = (v: unknown) => (v === null || v === undefined ? null : typeof v === 'string' ? JSON.parse(v) : v);

function toFetch(row: Record<string, any>): StoredBillFetch {
  const bill = json(row.bill);
  return {
    refId: row.ref_id,
    userId: row.user_id,
    billerId: row.biller_id,
    status: row.status,
    bill: bill ? { ...bill, amount: fromDecimal(bill.amount) } : null,
    failureReason: row.failure_reason,
    paymentId: row.payment_id,
  };
}

export async function recordBillFetch(
  knex: Knex,
  f: { refId: string; userId: number; billerId: string; customerParams: Record<string, string> },
): Promise<void> {
  await knex('bill_fetches')
    .insert({
      ref_id: f.refId,
      user_id: f.userId,
      biller_id: f.billerId,
      customer_params: JSON.stringify(f.customerParams),
    })
    .onConflict('ref_id')
    .ignore();
}

export async function updateBillFetch(knex: Knex, f: BillFetch): Promise<void> {
  await knex('bill_fetches')
    .where({ ref_id: f.refId })
    .update({
      status: f.status,
      bill: f.bill ? JSON.stringify({ ...f.bill, amount: toDecimal(f.bill.amount) }) : null,
      failure_reason: f.failureReason ?? null,
    });
}

/**
 * The user's own fetch, or 404 (another user's fetch is indistinguishable from none). Plain SQL:
 * a bill payment reads it, and claims it below, before its workflow starts.
 */
export async function ownBillFetch(knex: Knex, userId: number, refId: string): Promise<StoredBillFetch> {
  const [row] = await selectRows<Record<string, unknown>>(
    knex,
    'SELECT ref_id, user_id, biller_id, status, bill, failure_reason, payment_id FROM bill_fetches WHERE ref_id = ? AND user_id = ?',
    [refId, userId],
  );
  if (!row) throw new NotFoundError('no fetched bill with this reference');
  return toFetch(row);
}

/**
 * Ties the bill to `paymentId`, atomically: refused while another payment of it is open or
 * completed; allowed again once that payment failed.
 */
export async function claimBillForPayment(knex: Knex, refId: string, paymentId: string): Promise<void> {
  const claimed = await update(
    knex,
    `UPDATE bill_fetches SET payment_id = ?
      WHERE ref_id = ?
        AND (payment_id IS NULL OR payment_id = ?
             OR payment_id IN (SELECT id FROM payment_records WHERE status = 'FAILED'))`,
    [paymentId, refId, paymentId],
  );
  if (claimed === 0)
    throw new ConflictError('this bill is already being paid or has been paid', 'duplicate', { fetchRef: refId });
}
