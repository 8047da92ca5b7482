/**
 * Top-up activities: thin steps over db/ and the PhonePe gateway, each idempotent by the
 * payment id (PhonePe's merchantOrderId is our payment id; the credit's ledger reference is
 * `topup:<paymentId>:credit`).
 */
import type { Knex } from 'knex';
import type { Ledger } from '../db/ledger';
import { createTopUpRecords, markGatewayPaymentSucceeded, markTopUpFailed, topUpToCredit } from '../db/topups';
import type { Paise } from '../domain/money';
import { topUpCredit } from '../domain/recipes';
import type { PhonePeGateway, PhonePeOrder } from '../providers/phonepe/client';
import { PHONEPE_CALLS, providerCall } from './providerCall';

export type OrderCheck =
  | PhonePeOrder
  | {
      state: 'NOT_FOUND';
      amount?: undefined;
      expireAt?: undefined;
      errorCode?: undefined;
      transactionId?: undefined;
      paymentMode?: undefined;
    };

/**
 * A PhonePe order opened for a top-up, or found already open: then its page is not ours to give
 * (`redirectUrl` null), and `paid` says the customer already paid it (a workflow reset to before
 * this step finds the order it opened the first time).
 */
export interface CreatedOrder {
  redirectUrl: string | null;
  expireAt: number;
  paid?: true;
}

export function topUpActivities(deps: { knex: Knex; ledger: Ledger; phonepe: PhonePeGateway }) {
  const { knex, ledger, phonepe } = deps;
  return {
    async startTopUp(t: { paymentId: string; userId: number; amount: Paise }): Promise<void> {
      await createTopUpRecords(knex, t);
    },

    /**
     * Creates the order unless it exists. A timeout on /pay leaves the outcome unknown, so a
     * retry first asks PhonePe: an order that exists is never created twice.
     */
    async createPhonePeOrder(req: {
      paymentId: string;
      /** Another order of the same payment (the page of the first was lost); the payment id by default. */
      merchantOrderId?: string;
      amount: Paise;
      redirectUrl: string;
      expireAfterSeconds: number;
    }): Promise<CreatedOrder> {
      const merchantOrderId = req.merchantOrderId ?? req.paymentId;
      return providerCall(PHONEPE_CALLS.createOrder, async (stopIfCancelled) => {
        const existing = await phonepe.findOrder(merchantOrderId);
        if (existing)
          return {
            redirectUrl: null,
            expireAt: existing.expireAt ?? Date.now() + req.expireAfterSeconds * 1000,
            ...(existing.state === 'COMPLETED' ? { paid: true as const } : {}),
          };
        stopIfCancelled();
        return phonepe.createOrder({
          merchantOrderId,
          amount: req.amount,
          redirectUrl: req.redirectUrl,
          expireAfterSeconds: req.expireAfterSeconds,
        });
      });
    },

    /** The state of one PhonePe order (by merchant order id: the payment id, or a later order's). */
    async checkPhonePeOrder(merchantOrderId: string): Promise<OrderCheck> {
      return (
        (await providerCall(PHONEPE_CALLS.checkOrder, () => phonepe.findOrder(merchantOrderId))) ?? {
          state: 'NOT_FOUND',
        }
      );
    },

    /**
     * PHONEPE_CLEARING → wallet, once: the ledger reference makes a retry a replay. Never for a
     * top-up recorded FAILED (db/topups.ts, `topUpToCredit`).
     */
    async creditTopUp(c: {
      paymentId: string;
      userId: number;
      amount: Paise;
      transactionId?: string;
      paymentMode?: string;
    }): Promise<{ journalId: number }> {
      const row = await topUpToCredit(knex, c.paymentId);
      const posted = await ledger.post(
        topUpCredit({
          paymentId: c.paymentId,
          userId: row.userId,
          amount: c.amount,
          statementRowId: row.transactionId,
          phonePeTransactionId: c.transactionId,
        }),
      );
      await markGatewayPaymentSucceeded(knex, {
        paymentId: c.paymentId,
        providerTransactionId: c.transactionId,
        paymentMode: c.paymentMode,
      });
      return { journalId: posted.journalId };
    },

    async failTopUp(f: { paymentId: string; reason: string }): Promise<void> {
      await markTopUpFailed(knex, f);
    },
  };
}
