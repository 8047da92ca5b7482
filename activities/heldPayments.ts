/**
 * Activities of the payments that leave the platform through a provider (payout, recharge,
 * bill): reserve the amount on the wallet, send the order, capture the hold into the
 * provider's payable account (with the statement line and, for recharges and bills, the
 * commissions), or release it; and, when the provider reverses a settled payment, refund the
 * wallet and claw the commissions back. Every step is idempotent by a reference derived from
 * the payment id, so a retried activity or a replayed workflow never moves money twice.
 */
import type { Knex } from 'knex';
import { clawBackCommissions, ClawbackResult, payCommissions } from '../db/commissions';
import type { Ledger } from '../db/ledger';
import {
  getPayment,
  insertPaymentRecord,
  insertPaymentRecordMoved,
  linkStatementLine,
  recordPaymentStatusIn,
  refuseIfFailed,
} from '../db/payments';
import type { Db } from '../db/sql';
import type { CommissionShare } from '../domain/commissions';
import type { Paise } from '../domain/money';
import { workflowIdFor } from '../domain/payments';
import { heldPaymentCapture, reversalRefund } from '../domain/recipes';
import { holdReferenceOf } from '../domain/references';
import { PROVIDER_OF_KIND } from '../domain/reports';
import { TransientError } from '../domain/errors';
import { providerCall } from './providerCall';
import type { HeldPaymentKind, HeldPaymentRecord, ProviderOrder, ProviderOutcome } from '../domain/contracts';
import type { StatusChange } from '../domain/payments';
import type { ProviderOrders } from './providerOrders';

export function heldPaymentActivities(deps: {
  knex: Knex;
  ledger: Ledger;
  orders: ProviderOrders;
  /** The read model's status step (activities/payments.ts), for the settling step that ends in COMPLETED. */
  recordPaymentStatus: (change: StatusChange) => Promise<void>;
}) {
  const { knex, ledger, orders } = deps;

  /** The payment's record, as its opening step writes it. */
  const recordOf = (p: HeldPaymentRecord) => ({
    id: p.paymentId,
    kind: p.kind,
    userId: p.userId,
    amount: p.amount,
    workflowId: workflowIdFor(p.kind, p.paymentId),
    details: p.details,
  });

  /** Records the payment (CREATED); false when it was there already: a re-run. */
  async function startHeldPayment(p: HeldPaymentRecord): Promise<boolean> {
    return insertPaymentRecord(knex, recordOf(p));
  }

  /**
   * A re-run of the opening steps must not hold the amount of a payment an earlier run already
   * recorded FAILED (refused, and its worker died before the workflow's history kept it): the
   * hold would be placed, if the funds have arrived since, on a payment the read model calls
   * failed, and PROCESSING could never be recorded over FAILED.
   */
  const refuseIfFailedBefore = (paymentId: string, db: Db = knex) => refuseIfFailed(db, paymentId, 'payment_failed');

  /** The hold of a payment's amount: the user's rules (active, KYC, funds, limits) are checked on the locked row. */
  const holdRequest = (h: { kind: HeldPaymentKind; paymentId: string; userId: number; amount: Paise }) => ({
    reference: holdReferenceOf(h.kind, h.paymentId),
    userId: h.userId,
    amount: h.amount,
    rules: { requireActive: true, requireKyc: true, countTowardLimits: true },
  });

  async function holdPaymentFunds(h: { kind: HeldPaymentKind; paymentId: string; userId: number; amount: Paise }) {
    await ledger.reserve(holdRequest(h));
  }

  /**
   * Opens a payment in one transaction: the hold, the record and `processing` (PROCESSING) commit
   * together, one durable commit where the separate steps made three. A refused hold rolls the
   * record back with it: the payment is then recorded on its own (CREATED) and the refusal goes
   * to the workflow, which records FAILED with the rule, as the separate steps did. A record
   * found there already (a re-run) is refused if it reads FAILED, nothing held, or else moved to
   * PROCESSING with the hold. False when the hold was placed before (a re-run after this step
   * committed, or one opened by the separate steps): the caller then finishes those steps, each
   * a no-op where done.
   */
  async function openInOneTransaction(p: HeldPaymentRecord, processing: StatusChange): Promise<boolean> {
    try {
      const hold = await ledger.reserve(holdRequest(p), async (trx) => {
        if (await insertPaymentRecordMoved(trx, recordOf(p), processing)) return;
        await refuseIfFailedBefore(p.paymentId, trx);
        try {
          await recordPaymentStatusIn(trx, processing);
        } catch (err) {
          // Never read as a refused hold (the workflow would record FAILED): retried until it records.
          throw new TransientError(`${p.paymentId}: recording PROCESSING failed: ${(err as Error).message}`);
        }
      });
      return !hold.replayed;
    } catch (err) {
      await startHeldPayment(p).catch((recordErr: Error) => {
        throw new TransientError(
          `${p.paymentId}: the hold failed (${(err as Error).message}), and recording the payment failed: ${recordErr.message}`,
        );
      });
      throw err;
    }
  }

  /** Hold → provider's payable account, with the user's statement line: that line's id. */
  async function captureHold(c: { kind: HeldPaymentKind; paymentId: string; outcome: ProviderOutcome }) {
    const record = await getPayment(knex, c.paymentId);
    const posted = await ledger.capture(
      heldPaymentCapture({ kind: c.kind, paymentId: c.paymentId, details: record.details, outcome: c.outcome }),
    );
    const transactionId = posted.lines.find((l) => 'user' in l.account)?.transactionId;
    if (!transactionId) throw new Error(`capture of ${c.paymentId} wrote no statement line`);
    return transactionId;
  }

  /** The capture as its own step (payments started before `held-steps-merged`): links the line to the payment. */
  async function captureHeldPayment(c: {
    kind: HeldPaymentKind;
    paymentId: string;
    outcome: ProviderOutcome;
  }): Promise<{ transactionId: number }> {
    const transactionId = await captureHold(c);
    await linkStatementLine(knex, c.paymentId, transactionId);
    return { transactionId };
  }

  async function payPaymentCommissions(c: {
    paymentId: string;
    userId: number;
    transactionId: number;
    amount: Paise;
    marginRate: number;
  }): Promise<CommissionShare[]> {
    return payCommissions(knex, ledger, { ...c, description: `Commissions on ${c.paymentId}` });
  }

  return {
    async startHeldPayment(p: HeldPaymentRecord): Promise<void> {
      await startHeldPayment(p);
    },

    /**
     * The hold as its own step (payments started before `held-steps-merged`): it cannot tell a
     * re-run, so it always reads the record.
     */
    async holdPaymentFunds(h: { kind: HeldPaymentKind; paymentId: string; userId: number; amount: Paise }) {
      await refuseIfFailedBefore(h.paymentId);
      await holdPaymentFunds(h);
    },

    captureHeldPayment,
    payPaymentCommissions,

    /**
     * Records the payment and holds its amount: the two steps before PROCESSING, in one local
     * activity (one round through the workflow instead of two); since `held-opens-processing`
     * it also records `processing` (PROCESSING), the last step before the API answers, and all
     * three commit in one transaction (`openInOneTransaction`). Each part is idempotent on the
     * payment's id, so a re-run after a crash neither records nor holds twice; a refused hold
     * fails with its rule, the record left CREATED, as the separate steps did, and a re-run that
     * finds the record FAILED holds nothing and refuses again. A failure to record PROCESSING is
     * retried, never a refusal.
     */
    async openHeldPayment(p: HeldPaymentRecord & { processing?: StatusChange }): Promise<void> {
      if (p.processing && (await openInOneTransaction(p, p.processing))) return;
      // Read only when the record was there already (a re-run, or an attempt retried after an
      // error): a first attempt has just created it.
      if (!(await startHeldPayment(p))) await refuseIfFailedBefore(p.paymentId);
      await holdPaymentFunds(p);
      if (!p.processing) return;
      try {
        await deps.recordPaymentStatus(p.processing);
      } catch (err) {
        // The amount is held now: a failure here must never read as a refused hold (the
        // workflow would record FAILED with the money still held). Retried until it records.
        throw new TransientError(
          `${p.paymentId}: the amount is held, recording PROCESSING failed: ${(err as Error).message}`,
        );
      }
    },

    /**
     * Settles a payment the provider paid: captures the hold, pays the uplines their
     * commissions (recharges and bills), then records `completed` (COMPLETED, and the reversal
     * watch it starts). One local activity instead of three; each step is idempotent on the
     * payment's references, so a re-run after a crash captures, pays and records once.
     */
    async settleHeldPayment(s: {
      kind: HeldPaymentKind;
      paymentId: string;
      outcome: ProviderOutcome;
      commissions?: { userId: number; amount: Paise; marginRate: number };
      completed: StatusChange;
    }): Promise<void> {
      const transactionId = await captureHold(s);
      if (s.commissions) await payPaymentCommissions({ paymentId: s.paymentId, transactionId, ...s.commissions });
      // COMPLETED links the statement line too: one write of the record.
      await deps.recordPaymentStatus({ ...s.completed, transactionId });
    },

    /**
     * Sends the order unless the provider already has it; a cancelled send stops before creating.
     * Never for a payment recorded FAILED.
     */
    async sendToProvider(order: ProviderOrder): Promise<ProviderOutcome> {
      // A payment recorded FAILED has had its hold released: an operator's reset past its opening
      // must not send now what was never sent, and could be paid out with the money back.
      await refuseIfFailedBefore(order.paymentId);
      return providerCall({ provider: PROVIDER_OF_KIND[order.kind], operation: 'send' }, (stopIfCancelled) =>
        orders.send(order, stopIfCancelled),
      );
    },

    /** The provider's current answer; `unknown` when it has never seen our reference. */
    async checkWithProvider(c: {
      kind: HeldPaymentKind;
      paymentId: string;
    }): Promise<ProviderOutcome | { outcome: 'unknown'; providerState: 'NOT_FOUND' }> {
      return (
        (await providerCall({ provider: PROVIDER_OF_KIND[c.kind], operation: 'check' }, () =>
          orders.check(c.kind, c.paymentId),
        )) ?? {
          outcome: 'unknown',
          providerState: 'NOT_FOUND',
        }
      );
    },

    async releasePaymentHold(r: { kind: HeldPaymentKind; paymentId: string; reason: string }): Promise<void> {
      await ledger.release(holdReferenceOf(r.kind, r.paymentId), r.reason);
    },

    /** The provider undid a settled payment: the whole amount back to the wallet (type Refund). */
    async refundReversedPayment(r: { kind: HeldPaymentKind; paymentId: string; reason: string }): Promise<void> {
      await ledger.refund(reversalRefund(r));
    },

    async clawBackPaymentCommissions(c: { paymentId: string }): Promise<ClawbackResult> {
      return clawBackCommissions(knex, ledger, c.paymentId);
    },
  };
}
