/**
 * Refunds of top-ups to the customer's bank through PhonePe. The refund is a payment of its own
 * (`payment_records` kind 'refund', related to the top-up). Its amount is bounded under a lock
 * on the top-up's record, so two admins refunding at once cannot exceed the original.
 */
import type { Knex } from 'knex';
import { NotFoundError } from '../domain/errors';
import { add, formatRupees, Paise } from '../domain/money';
import { workflowIdFor } from '../domain/payments';
import { fromDecimal, toDecimal } from './money';
import { createPaymentRecord, PaymentRecord } from './payments';

/** What has been refunded of a top-up, or is being: its refunds that have not failed. */
export async function refundedOf(knex: Knex, topUpId: string): Promise<Paise> {
  const [row] = await knex('payment_records')
    .where({ related_payment_id: topUpId, kind: 'refund' })
    .whereNot({ status: 'FAILED' })
    .sum({ total: 'amount' });
  return fromDecimal(String(row?.total ?? '0.00'));
}

/**
 * Records the refund (always, so its outcome is visible) and says whether it is allowed: the
 * top-up completed and this refund fits in what is left of it. Decided under a lock on the
 * top-up's record, so two admins refunding at once cannot exceed the original.
 */
export async function createRefundRecord(
  knex: Knex,
  r: { refundId: string; topUpId: string; amount: Paise; reason: string; requestedBy: string },
): Promise<{ record: PaymentRecord; refusal?: string }> {
  return knex.transaction(async (trx) => {
    const topUp = await trx('payment_records').where({ id: r.topUpId }).forUpdate().first();
    if (!topUp || topUp.kind !== 'topup') throw new NotFoundError('top-up not found', { paymentId: r.topUpId });
    const record = await createPaymentRecord(trx, {
      id: r.refundId,
      kind: 'refund',
      userId: topUp.user_id,
      amount: r.amount,
      workflowId: workflowIdFor('refund', r.refundId),
      relatedPaymentId: r.topUpId,
      details: { reason: r.reason, requestedBy: r.requestedBy },
    });
    if (topUp.status !== 'COMPLETED')
      return { record, refusal: `only a completed top-up can be refunded (this one is ${topUp.status})` };
    const [[row]] = await trx.raw(
      `SELECT COALESCE(SUM(amount), 0) AS total FROM payment_records
        WHERE related_payment_id = ? AND kind = 'refund' AND status <> 'FAILED' AND id <> ?`,
      [r.topUpId, r.refundId],
    );
    const refunded = fromDecimal(row.total);
    const original = fromDecimal(topUp.amount);
    if (add(refunded, r.amount) > original) {
      return {
        record,
        refusal: `refunds would exceed the top-up: ₹${formatRupees(original)} paid, ₹${formatRupees(refunded)} already refunded, ₹${formatRupees(r.amount)} asked`,
      };
    }
    return { record };
  });
}

/** Records a completed refund on PhonePe's gateway row of the top-up (seed `payments` columns). */
export async function recordGatewayRefund(
  knex: Knex,
  r: { topUpId: string; refundId: string; amount: Paise; reason: string },
): Promise<void> {
  await knex.transaction(async (trx) => {
    const done = await trx('payment_records').where({ id: r.refundId }).forUpdate().first('details');
    const details = typeof done.details === 'string' ? JSON.parse(done.details) : (done.details ?? {});
    if (details.gatewayRecorded) return; // idempotent across activity retries
    const gw = await trx('payments')
      .where({ phonepe_merchant_transaction_id: r.topUpId })
      .forUpdate()
      .first('refund_amount');
    if (gw) {
      await trx('payments')
        .where({ phonepe_merchant_transaction_id: r.topUpId })
        .update({
          refund_amount: toDecimal(add(fromDecimal(gw.refund_amount ?? '0.00'), r.amount)),
          refund_reason: r.reason,
          refunded_at: new Date(),
        });
    }
    await trx('payment_records')
      .where({ id: r.refundId })
      .update({ details: JSON.stringify({ ...details, gatewayRecorded: true }) });
  });
}
