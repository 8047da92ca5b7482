/**
 * Journal recipes: every posting a payment makes, built by a pure function from the payment's
 * facts. Activities only hand the recipe to the ledger (`ledger.post`, `capture`, `refund`), so
 * what a payment does to the books is read, and unit-tested, here, in one place per posting.
 */
import type { CommissionShare } from './commissions';
import { formatRate, totalOf } from './commissions';
import type { HeldPaymentKind, ProviderOutcome, TransferInput } from './contracts';
import { heldKind } from './heldKinds';
import type { CaptureRequest, PostingRequest, RefundRequest, StatementInfo } from './ledger';
import { add, Paise } from './money';
import {
  captureReferenceOf,
  clawbackReferenceOf,
  commissionReferenceOf,
  holdReferenceOf,
  reversalReferenceOf,
  settlementReferenceOf,
} from './references';

/** PHONEPE_CLEARING → wallet, the statement line being the pending row the top-up opened. */
export function topUpCredit(c: {
  paymentId: string;
  userId: number;
  amount: Paise;
  statementRowId: number;
  phonePeTransactionId?: string;
}): PostingRequest {
  return {
    reference: settlementReferenceOf('topup', c.paymentId),
    ledgerType: 'TopIn',
    description: `Top-up ${c.paymentId} via PhonePe`,
    lines: [
      { account: { system: 'PHONEPE_CLEARING' }, debit: c.amount },
      {
        account: { user: c.userId },
        credit: c.amount,
        statement: {
          transactionId: c.statementRowId,
          transactionType: 'deposit',
          paymentMethod: 'phonepe',
          remarks: 'Top-up via PhonePe',
          bankReference: c.phonePeTransactionId,
        },
      },
    ],
  };
}

/** Sender → recipient (plus the fee to FEE_INCOME), sender and recipient rules checked on the locked rows. */
export function transferPosting(t: TransferInput, fee: Paise): PostingRequest {
  const remarks = t.remarks ?? `Transfer ${t.senderCode} → ${t.recipientCode}`;
  return {
    reference: settlementReferenceOf('transfer', t.paymentId),
    ledgerType: 'Transfer',
    description: `Transfer ${t.paymentId}`,
    lines: [
      {
        account: { user: t.senderId },
        debit: add(t.amount, fee),
        rules: { requireActive: true, requireKyc: true, countTowardLimits: true },
        statement: {
          referenceNumber: `${t.paymentId}:out`,
          transactionType: 'transfer',
          recipientId: t.recipientId,
          toAccountId: t.recipientId,
          remarks,
          ...(fee > 0 ? { feeAmount: fee } : {}),
        },
      },
      {
        account: { user: t.recipientId },
        credit: t.amount,
        rules: { requireActive: true },
        statement: {
          referenceNumber: `${t.paymentId}:in`,
          transactionType: 'transfer',
          fromAccountId: t.senderId,
          remarks,
        },
      },
      ...(fee > 0 ? [{ account: { system: 'FEE_INCOME' as const }, credit: fee }] : []),
    ],
  };
}

/** The user's statement line of a held payment's capture: the kind's own lines (`domain/heldKinds/`). */
function heldStatement(
  kind: HeldPaymentKind,
  paymentId: string,
  details: Record<string, unknown>,
  outcome: ProviderOutcome,
): StatementInfo {
  return {
    transactionType: heldKind(kind).settlement.transactionType,
    referenceNumber: paymentId,
    paymentMethod: 'wallet',
    ...heldKind(kind).statement(details, outcome),
    ...(outcome.providerRef ? { bankReference: outcome.providerRef } : {}),
  };
}

/** The held amount → the provider's payable account, with the user's statement line. */
export function heldPaymentCapture(c: {
  kind: HeldPaymentKind;
  paymentId: string;
  details: Record<string, unknown>;
  outcome: ProviderOutcome;
}): CaptureRequest {
  const { settlement } = heldKind(c.kind);
  return {
    holdReference: holdReferenceOf(c.kind, c.paymentId),
    reference: captureReferenceOf(c.kind, c.paymentId),
    to: { system: settlement.account },
    ledgerType: settlement.ledgerType,
    description: `${c.kind} ${c.paymentId} settled by the provider (${c.outcome.providerState})`,
    statement: heldStatement(c.kind, c.paymentId, c.details, c.outcome),
  };
}

/** The provider undid a settled payment: the whole amount back to the wallet (type Refund). */
export function reversalRefund(r: { kind: HeldPaymentKind; paymentId: string; reason: string }): RefundRequest {
  return {
    reference: reversalReferenceOf(r.kind, r.paymentId),
    originalReference: captureReferenceOf(r.kind, r.paymentId),
    description: `${r.kind} ${r.paymentId} reversed by the provider`,
    statement: {
      transactionType: 'refund',
      referenceNumber: `${r.paymentId}:reversal`,
      remarks: `Reversed: ${r.reason}`,
    },
  };
}

/** A top-up's refund, once PhonePe paid it: the hold → PHONEPE_CLEARING (type Refund). */
export function refundCapture(c: { refundId: string; topUpId: string; reason: string }): CaptureRequest {
  return {
    holdReference: holdReferenceOf('refund', c.refundId),
    reference: settlementReferenceOf('refund', c.refundId),
    to: { system: 'PHONEPE_CLEARING' },
    ledgerType: 'Refund',
    description: `Refund ${c.refundId} of top-up ${c.topUpId} to the customer's bank`,
    statement: {
      transactionType: 'refund',
      paymentMethod: 'phonepe',
      referenceNumber: c.refundId,
      remarks: `Refund of top-up ${c.topUpId}: ${c.reason}`,
    },
  };
}

/** COMMISSION_EXPENSE → each upline, one posting for all levels of a payment. */
export function commissionPosting(c: {
  paymentId: string;
  payerId: number;
  description: string;
  shares: CommissionShare[];
}): PostingRequest {
  return {
    reference: commissionReferenceOf(c.paymentId),
    ledgerType: 'Commission',
    description: c.description,
    lines: [
      { account: { system: 'COMMISSION_EXPENSE' }, debit: totalOf(c.shares) },
      ...c.shares.map((s) => ({
        account: { user: s.userId },
        credit: s.amount,
        statement: {
          transactionType: 'commission' as const,
          referenceNumber: `${c.paymentId}:commission:${s.level}`,
          fromAccountId: c.payerId,
          remarks: `Level ${s.level} commission at ${formatRate(s.rate)} on ${c.paymentId}`,
        },
      })),
    ],
  };
}

/** One level's commission back to COMMISSION_EXPENSE after the payment was reversed. */
export function clawbackPosting(paymentId: string, share: CommissionShare): PostingRequest {
  return {
    reference: clawbackReferenceOf(paymentId, share.level),
    ledgerType: 'Commission',
    description: `Claw-back of the level ${share.level} commission on reversed payment ${paymentId}`,
    lines: [
      {
        account: { user: share.userId },
        debit: share.amount,
        statement: {
          transactionType: 'commission',
          referenceNumber: `${paymentId}:clawback:${share.level}`,
          remarks: `Commission reversed: ${paymentId} was reversed by the provider`,
        },
      },
      { account: { system: 'COMMISSION_EXPENSE' }, credit: share.amount },
    ],
  };
}
