/**
 * Wallet-to-wallet transfer: one posting sender → recipient (ledger type Transfer, plus the fee,
 * if any, to FEE_INCOME), with the
 * sender's rules (active, KYC verified, daily and monthly limits) and the recipient's (active)
 * checked on the locked rows. Idempotent by the posting reference `transfer:<paymentId>:post`.
 */
import type { Knex } from 'knex';
import type { Ledger } from '../db/ledger';
import { insertPaymentRecordMoved, recordPaymentStatus, recordPaymentStatusIn, refuseIfFailed } from '../db/payments';
import { createTransferRecord, transferRecord } from '../db/transfers';
import { InvariantViolation, TransientError } from '../domain/errors';
import type { PostingResult } from '../domain/ledger';
import type { Paise } from '../domain/money';
import type { StatusChange } from '../domain/payments';
import { transferPosting } from '../domain/recipes';
import type { TransferInput } from '../domain/contracts';

export type { TransferInput };

export function transferActivities(deps: { knex: Knex; ledger: Ledger }) {
  const posting = (t: TransferInput) => transferPosting(t, t.fee ?? (0 as Paise));
  return {
    async startTransfer(t: TransferInput): Promise<void> {
      await createTransferRecord(deps.knex, t);
    },

    /**
     * The posting as its own step (the three-step `transferWorkflow`, kept for its histories): a
     * reset of one already recorded FAILED re-runs it, so it reads the record and refuses.
     */
    async postTransfer(t: TransferInput): Promise<{ journalId: number }> {
      await refuseIfFailed(deps.knex, t.paymentId, 'transfer_failed');
      const posted = await deps.ledger.post(posting(t));
      return { journalId: posted.journalId };
    },

    /**
     * The whole transfer in one local activity and one database transaction (`transferWorkflowV2`,
     * and `transferWorkflow` behind `transfer-in-one-step`): the posting, the record and
     * `completed` (COMPLETED) commit together, so a transfer that moved money never reads
     * CREATED, and one that did not never reads COMPLETED. A refused posting rolls the record
     * back with it: the payment is then recorded on its own (CREATED), and the refusal goes to
     * the workflow, which records FAILED with the rule, as the separate steps did. A re-run after a crash finds the posting's
     * reference taken and replays it, before any rule is checked (never refused for the funds the
     * first run moved); the record and COMPLETED are then written on their own, as no-ops unless
     * an earlier run posted without them (a transfer reset from its three-step history).
     *
     * A re-run can also find the transfer already FAILED: the earlier run was refused and
     * recorded it, and its worker died before the workflow's history kept either. The status
     * machine then refuses COMPLETED and rolls the posting back, whatever the rules say now; the
     * step refuses again with the reason recorded, so the workflow ends as the read model says.
     */
    async completeTransfer(t: TransferInput & { completed: StatusChange }): Promise<void> {
      const { completed, ...transfer } = t;
      let posted: PostingResult;
      try {
        posted = await deps.ledger.post(posting(transfer), async (trx) => {
          // Born COMPLETED, unless an earlier run wrote it: then COMPLETED is checked against it.
          if (!(await insertPaymentRecordMoved(trx, transferRecord(transfer), completed)))
            await recordPaymentStatusIn(trx, completed);
        });
      } catch (err) {
        // Whatever stopped the posting, the payment must exist for the workflow to record its
        // end; if even that fails, the step is retried (never taken for the posting's refusal).
        await createTransferRecord(deps.knex, transfer).catch((recordErr: Error) => {
          throw new TransientError(
            `${t.paymentId}: the posting failed (${(err as Error).message}), and recording the transfer failed: ${recordErr.message}`,
          );
        });
        if (err instanceof InvariantViolation) await refuseIfFailed(deps.knex, transfer.paymentId, 'transfer_failed');
        throw err;
      }
      if (posted.replayed) {
        await createTransferRecord(deps.knex, transfer);
        await recordPaymentStatus(deps.knex, completed);
      }
    },
  };
}
