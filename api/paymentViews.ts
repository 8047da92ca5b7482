import { z } from 'zod';
import type { PaymentRecord } from '../db/payments';
import type { paymentTrail } from '../db/paymentTrail';
import { istTimestamp } from '../domain/calendar';
import { PAYMENT_KINDS, PAYMENT_STATUSES, TimelineEntry } from '../domain/payments';
import { money, rupees } from './schemas';

export const paymentView = z.object({
  paymentId: z.string(),
  kind: z.enum(PAYMENT_KINDS),
  status: z.enum(PAYMENT_STATUSES),
  amount: money,
  fee: money,
  createdAt: z.string(),
  updatedAt: z.string(),
  provider: z.record(z.string(), z.string().nullable()),
  timeline: z.array(
    z.object({
      status: z.enum(PAYMENT_STATUSES),
      at: z.string(),
      note: z.string().optional(),
      actor: z.string().optional(),
    }),
  ),
  failureReason: z.string().optional(),
  relatedPaymentId: z.string().optional(),
});

export function toPaymentView(p: PaymentRecord, timeline: TimelineEntry[]) {
  return {
    paymentId: p.id,
    kind: p.kind,
    status: p.status,
    amount: rupees(p.amount),
    fee: rupees(p.fee),
    createdAt: p.createdAt.toISOString(),
    updatedAt: p.updatedAt.toISOString(),
    provider: { ref: p.providerRef, ...p.providerRefs },
    timeline,
    ...(p.failureReason ? { failureReason: p.failureReason } : {}),
    ...(p.relatedPaymentId ? { relatedPaymentId: p.relatedPaymentId } : {}),
  };
}

const at = (d: Date | null) => (d ? istTimestamp(d) : null);

/** The console's payment page: the payment with its ledger and webhook trail. */
export const adminPaymentView = paymentView.extend({
  userId: z.number(),
  userCode: z.string().nullable(),
  workflowId: z.string(),
  temporalUrl: z.string(),
  attention: z.string().nullable(),
  journals: z.array(
    z.object({
      reference: z.string(),
      ledgerType: z.string(),
      description: z.string().nullable(),
      createdAt: z.string(),
      lines: z.array(z.object({ account: z.string(), debit: money, credit: money, balanceAfter: money })),
    }),
  ),
  holds: z.array(
    z.object({
      reference: z.string(),
      amount: money,
      status: z.string(),
      capturedAmount: money.nullable(),
      releaseReason: z.string().nullable(),
      createdAt: z.string(),
      resolvedAt: z.string().nullable(),
    }),
  ),
  webhooks: z.array(
    z.object({
      id: z.number(),
      provider: z.string(),
      eventType: z.string(),
      providerRef: z.string(),
      receivedAt: z.string(),
      signalledAt: z.string().nullable(),
      undeliveredReason: z.string().nullable(),
    }),
  ),
});

export function toAdminPaymentView(
  p: PaymentRecord,
  timeline: TimelineEntry[],
  trail: Awaited<ReturnType<typeof paymentTrail>>,
  userCode: string | null,
  temporalUrl: string,
) {
  return {
    ...toPaymentView(p, timeline),
    userId: p.userId,
    userCode,
    workflowId: p.workflowId,
    temporalUrl,
    attention: p.orphanReason ? `orphaned: ${p.orphanReason}` : null,
    journals: trail.journals.map((j) => ({
      reference: j.reference,
      ledgerType: j.ledgerType,
      description: j.description,
      createdAt: istTimestamp(j.createdAt),
      lines: j.lines.map((l) => ({
        account: l.account,
        debit: rupees(l.debit),
        credit: rupees(l.credit),
        balanceAfter: rupees(l.balanceAfter),
      })),
    })),
    holds: trail.holds.map((h) => ({
      reference: h.reference,
      amount: rupees(h.amount),
      status: h.status,
      capturedAmount: h.capturedAmount === null ? null : rupees(h.capturedAmount),
      releaseReason: h.releaseReason,
      createdAt: istTimestamp(h.createdAt),
      resolvedAt: at(h.resolvedAt),
    })),
    webhooks: trail.webhooks.map((w) => ({
      ...w,
      receivedAt: istTimestamp(w.receivedAt),
      signalledAt: at(w.signalledAt),
    })),
  };
}
