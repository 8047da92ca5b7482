/**
 * The PhonePe protocol as the engine calls it, one method per endpoint: implemented by the
 * client (client.ts), used by the gateway (gateway.ts), so neither imports the other's module.
 */
import type { Paise } from '../../domain/money';
import type { OrderStatus, PayAnswer, RefundAnswer, RefundStatus } from './wire';

export interface CreatePaymentInput {
  merchantOrderId: string;
  amount: Paise;
  /** 300-3600; PhonePe's default (1200) when absent. */
  expireAfterSeconds?: number;
  redirectUrl: string;
  message?: string;
  /** udf1..udf15. */
  metaInfo?: Record<string, string>;
}

export interface RefundInput {
  merchantRefundId: string;
  originalMerchantOrderId: string;
  amount: Paise;
}

/** The protocol, one method per PhonePe endpoint. */
export interface PhonePeApi {
  createPayment(input: CreatePaymentInput): Promise<PayAnswer>;
  /** An unknown order is a ProviderRejectedError with details.httpStatus 404. */
  getOrderStatus(merchantOrderId: string): Promise<OrderStatus>;
  refund(input: RefundInput): Promise<RefundAnswer>;
  getRefundStatus(merchantRefundId: string): Promise<RefundStatus>;
}
