/**
 * Wallet-to-wallet transfer: one posting sender → recipient (ledger type Transfer, plus the fee,
 * if any, to FEE_INCOME), with the
 * sender's rules (active, KYC verified, daily and monthly limits) and the recipient's (active)
 * checked on the locked rows. Idempotent by the posting reference `transfer:<paymentId>:post`.
 */
import type { Knex } from 'knex';
import type { Ledger } from '../db/ledger';
import { createTransferRecord } from '../db/transfers';
import type { Paise } from '../domain/money';
import { transferPosting } from '../domain/recipes';
import type { TransferInput } from '../domain/contracts';

export type { TransferInput };

export function transferActivities(deps: { knex: Knex; ledger: Ledger }) {
  return {
    async startTransfer(t: TransferInput): Promise<void> {
      await createTransferRecord(deps.knex, t);
    },

    async postTransfer(t: TransferInput): Promise<{ journalId: number }> {
      const posted = await deps.ledger.post(transferPosting(t, t.fee ?? (0 as Paise)));
      return { journalId: posted.journalId };
    },
  };
}
