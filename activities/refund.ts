/**
 * Refund-of-a-top-up activities. The money is held on the wallet before PhonePe is asked, so
 * the customer cannot spend what is being refunded; PhonePe's answer captures or releases it.
 */
import type { Knex } from 'knex';
import type { Ledger } from '../db/ledger';
import { refuseIfFailed } from '../db/payments';
import { createRefundRecord, recordGatewayRefund } from '../db/refunds';
import type { Paise } from '../domain/money';
import { refundCapture } from '../domain/recipes';
import { holdReferenceOf } from '../domain/references';
import type { PhonePeGateway, PhonePeRefund } from '../providers/phonepe/client';
import { PHONEPE_CALLS, providerCall } from './providerCall';

export const refundHoldRef = (refundId: string) => holdReferenceOf('refund', refundId);

export function refundActivities(deps: { knex: Knex; ledger: Ledger; phonepe: PhonePeGateway }) {
  const { knex, ledger, phonepe } = deps;
  return {
    /** Records the refund and says whether it is allowed (≤ what is left of the top-up). */
    async startRefund(r: {
      refundId: string;
      topUpId: string;
      amount: Paise;
      reason: string;
      requestedBy: string;
    }): Promise<{ userId: number; refusal?: string }> {
      const { record, refusal } = await createRefundRecord(knex, r);
      return { userId: record.userId, ...(refusal ? { refusal } : {}) };
    },

    /**
     * A step of its own, so it can re-run without `startRefund` (a workflow task completed
     * between them, then the worker died): it reads the record too, and holds nothing for a
     * refund already recorded FAILED.
     */
    async holdRefundAmount(h: { refundId: string; userId: number; amount: Paise }): Promise<void> {
      await refuseIfFailed(knex, h.refundId, 'refund_failed');
      await ledger.reserve({ reference: refundHoldRef(h.refundId), userId: h.userId, amount: h.amount });
    },

    /**
     * Sends the refund unless PhonePe already has it: a refund is never sent twice. Never for a
     * refund recorded FAILED: its hold is released, so an operator's reset past its opening must
     * not ask PhonePe to pay back what the wallet has back.
     */
    async requestPhonePeRefund(r: {
      refundId: string;
      topUpId: string;
      amount: Paise;
      originalMerchantOrderId?: string;
    }): Promise<PhonePeRefund> {
      await refuseIfFailed(knex, r.refundId, 'refund_failed');
      return providerCall(PHONEPE_CALLS.createRefund, async (stopIfCancelled) => {
        const existing = await phonepe.findRefund(r.refundId);
        if (existing) return existing;
        stopIfCancelled();
        return phonepe.createRefund({
          merchantRefundId: r.refundId,
          originalMerchantOrderId: r.originalMerchantOrderId ?? r.topUpId,
          amount: r.amount,
        });
      });
    },

    async checkPhonePeRefund(refundId: string): Promise<PhonePeRefund | { state: 'NOT_FOUND' }> {
      return (
        (await providerCall(PHONEPE_CALLS.checkRefund, () => phonepe.findRefund(refundId))) ?? { state: 'NOT_FOUND' }
      );
    },

    /** Wallet → PHONEPE_CLEARING for the refunded amount (ledger type Refund). */
    async captureRefund(c: { refundId: string; topUpId: string; amount: Paise; reason: string }): Promise<void> {
      await ledger.capture(refundCapture(c));
      await recordGatewayRefund(knex, { topUpId: c.topUpId, refundId: c.refundId, amount: c.amount, reason: c.reason });
    },

    async releaseRefundHold(r: { refundId: string; reason: string }): Promise<void> {
      await ledger.release(refundHoldRef(r.refundId), r.reason);
    },
  };
}
