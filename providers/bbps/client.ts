/** The BBPS client (protocol in wire.ts): implements BbpsGateway. */
import type { Paise } from '../../domain/money';
import type { BbpsGateway, BillPaymentState } from '../contracts';
import { keyedApi } from '../keyedApi';
import { billersAnswer, fetchAnswer, fetchStarted, paymentAnswer } from './wire';

export interface BbpsClientOptions {
  baseUrl: string;
  apiKey: string;
  timeoutMs: number;
}

const toPayment = (a: ReturnType<typeof paymentAnswer.parse>): BillPaymentState => ({
  paymentRefId: a.paymentRefId,
  status: a.status,
  ...(a.bbpsTxnId ? { bbpsTxnId: a.bbpsTxnId } : {}),
  ...(a.billerRefId ? { billerRefId: a.billerRefId } : {}),
  ...(a.failureReason ? { failureReason: a.failureReason } : {}),
});

export function createBbpsClient(o: BbpsClientOptions): BbpsGateway {
  const api = keyedApi({ provider: 'bbps', ...o });
  return {
    async billers(category) {
      const a = await api.get(
        `/v1/billers${category ? `?category=${encodeURIComponent(category)}` : ''}`,
        billersAnswer,
      );
      return a.billers;
    },
    async requestBill(req) {
      return api.create('/v1/bills/fetch', req, fetchStarted);
    },
    async findBill(refId) {
      const a = await api.find(`/v1/bills/fetch/${encodeURIComponent(refId)}`, fetchAnswer);
      if (!a) return null;
      return {
        refId: a.refId,
        billerId: a.billerId,
        status: a.status,
        ...(a.bill ? { bill: { ...a.bill, amount: a.bill.amount as Paise } } : {}),
        ...(a.failureReason ? { failureReason: a.failureReason } : {}),
      };
    },
    async payBill(req) {
      return toPayment(
        await api.create('/v1/bills/pay', { ...req, timestamp: new Date().toISOString() }, paymentAnswer),
      );
    },
    async findBillPayment(paymentRefId) {
      const a = await api.find(`/v1/bills/payments/${encodeURIComponent(paymentRefId)}`, paymentAnswer);
      return a && toPayment(a);
    },
  };
}
