/**
 * Wallet-to-wallet transfer: one posting sender → recipient (ledger type Transfer, plus the fee,
 * if any, to FEE_INCOME), with the
 * sender's rules (active, KYC verified, daily and monthly limits) and the recipient's (active)
 * checked on the locked rows. Idempotent by the posting reference `transfer:<paymentId>:post`.
 */
import type { Knex } from 'knex';
import type { Ledger } from '../db/ledger';
import { createTransferRecord } from '../db/transfers';
import { add, Paise } from '../domain/money';
import { settlementReferenceOf } from '../domain/references';
import type { TransferInput } from '../domain/contracts';

export type { TransferInput };

export function transferActivities(deps: { knex: Knex; ledger: Ledger }) {
  return {
    async startTransfer(t: TransferInput): Promise<void> {
      await createTransferRecord(deps.knex, t);
    },

    async postTransfer(t: TransferInput): Promise<{ journalId: number }> {
      const remarks = t.remarks ?? `Transfer ${t.senderCode} → ${t.recipientCode}`;
      const fee = t.fee ?? (0 as Paise);
      const posted = await deps.ledger.post({
        reference: settlementReferenceOf('transfer', t.paymentId),
        ledgerType: 'Transfer',
        description: `Transfer ${t.paymentId}`,
        lines: [
          {
            account: { user: t.senderId },
            debit: add(t.amount, fee),
            rules: { requireActive: true, requireKyc: true, countTowardLimits: true },
            statement: { referenceNumber: `${t.paymentId}:out`, transactionType: 'transfer', recipientId: t.recipientId, toAccountId: t.recipientId, remarks, ...(fee > 0 ? { feeAmount: fee } : {}) },
          },
          {
            account: { user: t.recipientId },
            credit: t.amount,
            rules: { requireActive: true },
            statement: { referenceNumber: `${t.paymentId}:in`, transactionType: 'transfer', fromAccountId: t.senderId, remarks },
          },
          ...(fee > 0 ? [{ account: { system: 'FEE_INCOME' as const }, credit: fee }] : []),
        ],
      });
      return { journalId: posted.journalId };
    },
  };
}
