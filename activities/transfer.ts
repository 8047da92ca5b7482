/**
 * Wallet-to-wallet transfer: one posting sender → recipient (ledger type Transfer, plus the fee,
 * if any, to FEE_INCOME), with the
 * sender's rules (active, KYC verified, daily and monthly limits) and the recipient's (active)
 * checked on the locked rows. Idempotent by the posting reference `transfer:<paymentId>:post`.
 */
import type { Knex } from 'knex';
import type { Ledger } from '../db/ledger';
import { createTransferRecord } from '../db/transfers';
import { TransientError } from '../domain/errors';
import type { Paise } from '../domain/money';
import type { StatusChange } from '../domain/payments';
import { transferPosting } from '../domain/recipes';
import type { TransferInput } from '../domain/contracts';

export type { TransferInput };

export function transferActivities(deps: {
  knex: Knex;
  ledger: Ledger;
  /** The read model's status step (activities/payments.ts), for the step that ends in COMPLETED. */
  recordPaymentStatus: (change: StatusChange) => Promise<void>;
}) {
  async function startTransfer(t: TransferInput): Promise<void> {
    await createTransferRecord(deps.knex, t);
  }

  async function postTransfer(t: TransferInput): Promise<{ journalId: number }> {
    const posted = await deps.ledger.post(transferPosting(t, t.fee ?? (0 as Paise)));
    return { journalId: posted.journalId };
  }

  return {
    startTransfer,
    postTransfer,

    /**
     * The whole transfer in one local activity (`transfer-in-one-step`): records it, posts it,
     * then records `completed` (COMPLETED). Each part is idempotent on the payment's id, so a
     * re-run after a crash records, posts and completes once (a posting already made is
     * replayed before any rule is checked, so a re-run is never refused for the funds it moved).
     * A refused posting fails with its rule, the record left CREATED, as the separate steps did;
     * a failure to record COMPLETED, the money moved, is retried, never a refusal.
     */
    async completeTransfer(t: TransferInput & { completed: StatusChange }): Promise<void> {
      const { completed, ...transfer } = t;
      await startTransfer(transfer);
      await postTransfer(transfer);
      try {
        await deps.recordPaymentStatus(completed);
      } catch (err) {
        // The money has moved: a failure here must never read as a refusal (the workflow
        // would record FAILED for a transfer that was posted). Retried until it records.
        throw new TransientError(
          `${t.paymentId}: the transfer is posted, recording COMPLETED failed: ${(err as Error).message}`,
        );
      }
    },
  };
}
