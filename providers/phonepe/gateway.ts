/**
 * What the workflows' activities need from PhonePe, over the protocol client: "does this order
 * (refund) exist, and in which state?" is a question, so an unknown one is null rather than a
 * rejection, and the answer is reduced to the fields a decision is taken on.
 */
import { Paise } from '../../domain/money';
import { ProviderRejectedError } from '../../domain/providerErrors';
import type { PhonePeApi } from './api';

export interface PhonePeOrder {
  state: 'PENDING' | 'COMPLETED' | 'FAILED';
  amount: Paise;
  expireAt?: number;
  errorCode?: string;
  /** PhonePe's id of the successful attempt, and how the customer paid. */
  transactionId?: string;
  paymentMode?: string;
}

export interface PhonePeRefund {
  state: 'PENDING' | 'CONFIRMED' | 'COMPLETED' | 'FAILED';
  amount: Paise;
  errorCode?: string;
}

export interface PhonePeGateway {
  createOrder(req: {
    merchantOrderId: string;
    amount: Paise;
    redirectUrl: string;
    expireAfterSeconds: number;
  }): Promise<{ redirectUrl: string; expireAt: number }>;
  findOrder(merchantOrderId: string): Promise<PhonePeOrder | null>;
  createRefund(req: {
    merchantRefundId: string;
    originalMerchantOrderId: string;
    amount: Paise;
  }): Promise<PhonePeRefund>;
  findRefund(merchantRefundId: string): Promise<PhonePeRefund | null>;
}

async function unlessNotFound<T>(answer: Promise<T>): Promise<T | null> {
  try {
    return await answer;
  } catch (err) {
    if (err instanceof ProviderRejectedError && err.details?.httpStatus === 404) return null;
    throw err;
  }
}

export function phonePeGateway(api: PhonePeApi): PhonePeGateway {
  return {
    async createOrder(req) {
      const created = await api.createPayment({
        merchantOrderId: req.merchantOrderId,
        amount: req.amount,
        expireAfterSeconds: req.expireAfterSeconds,
        redirectUrl: req.redirectUrl,
        message: 'NexasPay wallet top-up',
        // Shown in PhonePe's dashboard next to the order: lets support find our payment.
        metaInfo: { udf1: req.merchantOrderId },
      });
      return { redirectUrl: created.redirectUrl, expireAt: created.expireAt };
    },

    async findOrder(merchantOrderId) {
      const s = await unlessNotFound(api.getOrderStatus(merchantOrderId));
      if (!s) return null;
      const paid = s.paymentDetails.find((d) => d.state === 'COMPLETED');
      const attempt = paid ?? s.paymentDetails.at(-1);
      return {
        state: s.state,
        // The money that moved is the successful attempt's; the order's own amount is what was asked.
        amount: (s.state === 'COMPLETED' ? paid?.amount : undefined) ?? s.amount,
        expireAt: s.expireAt,
        errorCode: s.errorCode,
        transactionId: attempt?.transactionId,
        paymentMode: attempt?.paymentMode,
      };
    },

    async createRefund(req) {
      const r = await api.refund(req);
      return { state: r.state, amount: r.amount };
    },

    async findRefund(merchantRefundId) {
      const r = await unlessNotFound(api.getRefundStatus(merchantRefundId));
      return r && { state: r.state, amount: r.amount, errorCode: r.errorCode };
    },
  };
}
