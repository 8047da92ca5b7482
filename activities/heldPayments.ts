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
import { createPaymentRecord, getPayment, linkStatementLine } from '../db/payments';
import type { CommissionShare } from '../domain/commissions';
import type { LedgerType, StatementInfo, SystemAccountCode } from '../domain/ledger';
import type { Paise } from '../domain/money';
import { workflowIdFor } from '../domain/payments';
import { holdReferenceOf, settlementReferenceOf } from '../domain/references';
import { providerCall } from './providerCall';
import type { HeldPaymentKind, HeldPaymentRecord, ProviderOrder, ProviderOutcome } from '../domain/contracts';
import type { ProviderOrders } from './providerOrders';

export const holdReference = (kind: HeldPaymentKind, paymentId: string) => holdReferenceOf(kind, paymentId);
export const captureReference = (kind: HeldPaymentKind, paymentId: string) => settlementReferenceOf(kind, paymentId);
export const reversalReference = (kind: HeldPaymentKind, paymentId: string) => `${kind}:${paymentId}:reversal`;

/** Where each kind's money goes, and how it reads on the user's statement. */
const SETTLEMENT: Record<HeldPaymentKind, { account: SystemAccountCode; ledgerType: LedgerType; transactionType: NonNullable<StatementInfo['transactionType']> }> = {
  // The seed's ledger types have no "payout"; money leaving to a bank account is a transfer out.
  payout: { account: 'PAYOUT_CLEARING', ledgerType: 'Transfer', transactionType: 'withdrawal' },
  recharge: { account: 'RECHARGE_PAYABLE', ledgerType: 'Recharge', transactionType: 'recharge' },
  bill: { account: 'BBPS_PAYABLE', ledgerType: 'Bill', transactionType: 'bill_payment' },
};

function statementFor(kind: HeldPaymentKind, paymentId: string, d: Record<string, any>, outcome: ProviderOutcome): StatementInfo {
  const base = { transactionType: SETTLEMENT[kind].transactionType, referenceNumber: paymentId, paymentMethod: 'wallet' as const };
  switch (kind) {
    case 'payout':
      return {
        ...base,
        remarks: d.remarks ?? `${d.mode} payout to ${d.beneficiaryName}`,
        beneficiaryName: d.beneficiaryName,
        beneficiaryAccount: d.accountMasked,
        beneficiaryIfsc: d.ifsc,
        beneficiaryBank: d.bankName,
        ...(outcome.utr ? { utrNumber: outcome.utr } : {}),
        ...(outcome.providerRef ? { bankReference: outcome.providerRef } : {}),
      };
    case 'recharge':
      return { ...base, remarks: `${d.operator} recharge of ${d.mobile} (${d.circle})`, ...(outcome.providerRef ? { bankReference: outcome.providerRef } : {}) };
    case 'bill':
      return {
        ...base,
        remarks: `${d.billerName ?? d.billerId} bill ${d.billNumber ?? ''}`.trim(),
        ...(outcome.providerRef ? { bankReference: outcome.providerRef } : {}),
      };
  }
}

export function heldPaymentActivities(deps: { knex: Knex; ledger: Ledger; orders: ProviderOrders }) {
  const { knex, ledger, orders } = deps;
  return {
    async startHeldPayment(p: HeldPaymentRecord): Promise<void> {
      await createPaymentRecord(knex, { id: p.paymentId, kind: p.kind, userId: p.userId, amount: p.amount, workflowId: workflowIdFor(p.kind, p.paymentId), details: p.details });
    },

    /** Reserves the amount: the user's rules (active, KYC, funds, limits) are checked on the locked row. */
    async holdPaymentFunds(h: { kind: HeldPaymentKind; paymentId: string; userId: number; amount: Paise }): Promise<void> {
      await ledger.reserve({
        reference: holdReference(h.kind, h.paymentId),
        userId: h.userId,
        amount: h.amount,
        rules: { requireActive: true, requireKyc: true, countTowardLimits: true },
      });
    },

    /** Sends the order unless the provider already has it; a cancelled send stops before creating. */
    async sendToProvider(order: ProviderOrder): Promise<ProviderOutcome> {
      return providerCall((stopIfCancelled) => orders.send(order, stopIfCancelled));
    },

    /** The provider's current answer; `unknown` when it has never seen our reference. */
    async checkWithProvider(c: { kind: HeldPaymentKind; paymentId: string }): Promise<ProviderOutcome | { outcome: 'unknown'; providerState: 'NOT_FOUND' }> {
      return (await providerCall(() => orders.check(c.kind, c.paymentId))) ?? { outcome: 'unknown', providerState: 'NOT_FOUND' };
    },

    /** Hold → provider's payable account, with the user's statement line; links that line to the payment. */
    async captureHeldPayment(c: { kind: HeldPaymentKind; paymentId: string; outcome: ProviderOutcome }): Promise<{ transactionId: number }> {
      const record = await getPayment(knex, c.paymentId);
      const settlement = SETTLEMENT[c.kind];
      const posted = await ledger.capture({
        holdReference: holdReference(c.kind, c.paymentId),
        reference: captureReference(c.kind, c.paymentId),
        to: { system: settlement.account },
        ledgerType: settlement.ledgerType,
        description: `${c.kind} ${c.paymentId} settled by the provider (${c.outcome.providerState})`,
        statement: statementFor(c.kind, c.paymentId, record.details, c.outcome),
      });
      const transactionId = posted.lines.find((l) => 'user' in l.account)?.transactionId;
      if (!transactionId) throw new Error(`capture of ${c.paymentId} wrote no statement line`);
      await linkStatementLine(knex, c.paymentId, transactionId);
      return { transactionId };
    },

    async releasePaymentHold(r: { kind: HeldPaymentKind; paymentId: string; reason: string }): Promise<void> {
      await ledger.release(holdReference(r.kind, r.paymentId), r.reason);
    },

    async payPaymentCommissions(c: { paymentId: string; userId: number; transactionId: number; amount: Paise; marginRate: number }): Promise<CommissionShare[]> {
      return payCommissions(knex, ledger, { ...c, description: `Commissions on ${c.paymentId}` });
    },

    /** The provider undid a settled payment: the whole amount back to the wallet (type Refund). */
    async refundReversedPayment(r: { kind: HeldPaymentKind; paymentId: string; reason: string }): Promise<void> {
      await ledger.refund({
        reference: reversalReference(r.kind, r.paymentId),
        originalReference: captureReference(r.kind, r.paymentId),
        description: `${r.kind} ${r.paymentId} reversed by the provider`,
        statement: { transactionType: 'refund', referenceNumber: `${r.paymentId}:reversal`, remarks: `Reversed: ${r.reason}` },
      });
    },

    async clawBackPaymentCommissions(c: { paymentId: string }): Promise<ClawbackResult> {
      return clawBackCommissions(knex, ledger, c.paymentId);
    },
  };
}
